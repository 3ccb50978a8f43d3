import type { Database, Queryable } from '../../db/index.ts';
import { assert, err, ok, type Clock, type Result, msToNs, LIMITS } from '../../kernel/index.ts';
import type { HashAlgorithm } from '../../crypto/index.ts';
import type { ContentVerifier, JournalService } from '../journal/index.ts';
import { createLedgerEngine, type CloseResult, type LedgerEngine, type LedgerMetrics } from './ledger.engine.ts';
import { createLedgerRepository, type LedgerRepository, type AccountFilter, type BalanceSnapshot, type Balances, type SortOrder, type TransferFilter } from './ledger.repository.ts';
import { createPostgresLedgerStore } from './ledger.store.postgres.ts';
import { createSqliteLedgerStore } from './ledger.store.sqlite.ts';
import { createSeriesAccumulator, SERIES_SCAN_CHUNK_ROWS, type SeriesTransfer } from './ledger.series.ts';
import { createDefinitionVerifier, createLedgerVerifier } from './ledger.verify.ts';
import type { BatchPayload } from './ledger.digest.ts';
import { AccountFlags, type Account, type AccountRequest, type Ledger, type Transfer, type TransferRequest } from './ledger.ts';
import type { ItemResult } from './ledger.apply.ts';
import type { AccountError, LedgerError, TransferError } from './ledger.errors.ts';

export interface LedgerServiceDeps {
  readonly db: Database;
  readonly journal: JournalService;
  readonly clock: Clock;
  readonly hashAlgorithm: HashAlgorithm;
  readonly knownParties: (ids: readonly string[]) => Promise<Set<string>>;
  readonly metrics?: LedgerMetrics;
  readonly expiryIntervalMs?: number;
}

export interface BalancesAt extends Balances {
  readonly accountId: string;
  readonly at: bigint;
  /** "recorded" for accounts with the history flag (one lookup), "computed" when summed from transfers. */
  readonly source: 'recorded' | 'computed' | 'current';
}

export interface LedgerService {
  createLedger(input: Omit<Ledger, 'timestamp'>): Promise<Result<{ ledger: Ledger; created: boolean }, LedgerError>>;
  getLedger(id: number): Promise<Ledger | undefined>;
  listLedgers(): Promise<Ledger[]>;
  /** `submittedBy`: the API key whose request this is; the journal records it with the accounts opened. */
  createAccounts(requests: readonly AccountRequest[], submittedBy?: string | null): Promise<ItemResult<AccountError>[]>;
  /** `submittedBy`: the API key whose request this is; the journal records it with the transfers stored. */
  createTransfers(requests: readonly TransferRequest[], submittedBy?: string | null): Promise<ItemResult<TransferError>[]>;
  /**
   * As createTransfers, but answered at the commit with the promise of its flush: for a caller that
   * writes its own record of the outcome to the same database before it answers anyone, and waits
   * for `durable` before it does (see LedgerEngine.submitTransfersCommitted).
   */
  createTransfersCommitted(requests: readonly TransferRequest[], submittedBy?: string | null): Promise<{ readonly results: ItemResult<TransferError>[]; readonly durable: Promise<void> }>;
  /**
   * The API key whose request stored the transfer or opened the account, as its ledger batch's
   * journal entry records it; null when none did (made inside the process, or before keys were journaled).
   */
  submitterOf(record: { readonly timestamp: bigint }): Promise<string | null>;
  setAccountClosed(accountId: string, closed: boolean): Promise<CloseResult>;
  getAccount(id: string): Promise<Account | undefined>;
  /** The accounts among these ids that exist, in no particular order (an id not found is left out). */
  getAccounts(ids: readonly string[]): Promise<Account[]>;
  /**
   * The accounts these ids name (at most LIMITS.batchMaxItems ids), in the order of the ids, each
   * once at the first id naming it; an id not found is left out. One statement per
   * IDS_PER_LOOKUP_STATEMENT ids, as TigerBeetle's lookup_accounts answers a batch.
   */
  lookupAccounts(ids: readonly string[]): Promise<Account[]>;
  listAccounts(filter: AccountFilter): Promise<Account[]>;
  getTransfer(id: string): Promise<Transfer | undefined>;
  /** The transfers these ids name, as lookupAccounts answers accounts (TigerBeetle's lookup_transfers). */
  lookupTransfers(ids: readonly string[]): Promise<Transfer[]>;
  listTransfers(filter: TransferFilter): Promise<Transfer[]>;
  balancesAt(accountId: string, at?: bigint): Promise<Result<BalancesAt, 'account_not_found'>>;
  /**
   * balancesAt at each of `instants` (ascending, at most LIMITS.balanceSeriesMaxPoints), each point
   * exactly as balancesAt answers it, from one ordered pass over the account's transfers.
   */
  balanceSeries(accountId: string, instants: readonly bigint[]): Promise<Result<BalancesAt[], 'account_not_found'>>;
  balanceHistory(accountId: string, options: { after?: bigint; fromNs?: bigint; toNs?: bigint; order: SortOrder; limit: number }): Promise<Result<BalanceSnapshot[], 'account_not_found' | 'account_history_not_enabled'>>;
  pendingStatus(id: string): Promise<{ status: string; expiresAt: bigint; resolvedAt: bigint } | undefined>;
  totalsByLedger(): ReturnType<ReturnType<typeof createLedgerRepository>['totalsByLedger']>;
  expireDue(): Promise<void>;
  /** Fresh verifiers for one verification run (they keep running totals), of a journal chained with `algorithm` (by default this one's). */
  verifiers(q?: Queryable, algorithm?: HashAlgorithm): ContentVerifier[];
  queuedItems(): number;
  stop(): Promise<void>;
}

export function createLedgerService(deps: LedgerServiceDeps): LedgerService {
  const { db } = deps;
  const repository = createLedgerRepository(db);
  const store = db.dialect === 'sqlite' ? createSqliteLedgerStore(db) : createPostgresLedgerStore(db);
  const engine: LedgerEngine = createLedgerEngine({
    store,
    journal: deps.journal,
    clock: deps.clock,
    hashAlgorithm: deps.hashAlgorithm,
    knownParties: deps.knownParties,
    metrics: deps.metrics,
    expiryIntervalMs: deps.expiryIntervalMs,
  });

  return {
    async createLedger(input) {
      return db.transaction(async (tx) => {
        const existing = await repository.getLedger(input.id, tx);
        if (existing) {
          if (existing.assetCode !== input.assetCode) return err('ledger_exists_with_different_asset_code');
          if (existing.scale !== input.scale) return err('ledger_exists_with_different_scale');
          if (existing.name !== input.name) return err('ledger_exists_with_different_name');
          return ok({ ledger: existing, created: false });
        }
        const ledger: Ledger = { ...input, timestamp: msToNs(deps.clock.nowMs()) };
        await repository.insertLedger(tx, ledger);
        // Ledger definitions are journaled inline: the scale of a currency is part of what its amounts mean.
        const payload = JSON.stringify({ id: ledger.id, assetCode: ledger.assetCode, scale: ledger.scale, name: ledger.name });
        await deps.journal.append(tx, { kind: 'ledger.definition', payload, digest: '', timestamp: ledger.timestamp });
        return ok({ ledger, created: true });
      });
    },
    getLedger: (id) => repository.getLedger(id),
    listLedgers: () => repository.listLedgers(),
    createAccounts: (requests, submittedBy) => engine.submitAccounts(requests, submittedBy ?? null),
    createTransfers: (requests, submittedBy) => engine.submitTransfers(requests, submittedBy ?? null),
    createTransfersCommitted: (requests, submittedBy) => engine.submitTransfersCommitted(requests, submittedBy ?? null),
    async submitterOf({ timestamp }) {
      const entry = await deps.journal.entryAt('ledger.batch', timestamp);
      if (!entry) return null;
      try {
        const payload = JSON.parse(entry.payload) as BatchPayload;
        if (timestamp > BigInt(payload.last)) return null;
        const run = payload.keys?.find(([, first, last]) => BigInt(first) <= timestamp && timestamp <= BigInt(last));
        return run ? run[0] : null;
      } catch {
        // A payload edited out of shape names nobody; `sluice verify` reports the edit.
        return null;
      }
    },
    setAccountClosed: (accountId, closed) => engine.setClosed(accountId, closed),
    getAccount: (id) => repository.getAccount(id),
    getAccounts: (ids) => repository.getAccounts(ids),
    async lookupAccounts(ids) {
      assert(ids.length <= LIMITS.batchMaxItems, `a lookup takes at most ${LIMITS.batchMaxItems} ids`);
      return repository.lookupAccounts(ids);
    },
    listAccounts: (filter) => repository.listAccounts(filter),
    getTransfer: (id) => repository.getTransfer(id),
    async lookupTransfers(ids) {
      assert(ids.length <= LIMITS.batchMaxItems, `a lookup takes at most ${LIMITS.batchMaxItems} ids`);
      return repository.lookupTransfers(ids);
    },
    listTransfers: (filter) => repository.listTransfers(filter),
    async balancesAt(accountId, at) {
      const account = await repository.getAccount(accountId);
      if (!account) return err('account_not_found');
      if (at === undefined) return ok({ accountId, at: msToNs(deps.clock.nowMs()), source: 'current', ...balancesOf(account) });
      if (at < account.timestamp) return ok({ accountId, at, source: 'computed', debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });
      if (account.flags & AccountFlags.history) {
        const recorded = await repository.recordedBalanceAt(accountId, at);
        const zero = { debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n };
        const { timestamp: _, ...balances } = recorded ?? { timestamp: 0n, ...zero };
        return ok({ accountId, at, source: 'recorded', ...balances });
      }
      return ok({ accountId, at, source: 'computed', ...(await repository.computedBalanceAt(accountId, at)) });
    },
    async balanceSeries(accountId, instants) {
      assert(instants.length <= LIMITS.balanceSeriesMaxPoints, `a balance series has at most ${LIMITS.balanceSeriesMaxPoints} points`);
      assert(instants.every((at, index) => index === 0 || (instants[index - 1] as bigint) <= at), 'the instants of a balance series must not decrease');
      const account = await repository.getAccount(accountId);
      if (!account) return err('account_not_found');
      return ok(await seriesOf(repository, account, instants));
    },
    async balanceHistory(accountId, options) {
      const account = await repository.getAccount(accountId);
      if (!account) return err('account_not_found');
      if (!(account.flags & AccountFlags.history)) return err('account_history_not_enabled');
      return ok(await repository.balanceHistory(accountId, { ...options, limit: Math.min(options.limit, LIMITS.pageMaxItems) }));
    },
    pendingStatus: (id) => repository.pendingStatus(id),
    totalsByLedger: () => repository.totalsByLedger(),
    expireDue: () => engine.expireDue(),
    verifiers: (q = db, algorithm = deps.hashAlgorithm) => [createLedgerVerifier(q, algorithm), createDefinitionVerifier(q)],
    queuedItems: () => engine.queuedItems(),
    stop: () => engine.stop(),
  };
}

function balancesOf(account: Account): Balances {
  return {
    debitsPending: account.debitsPending,
    debitsPosted: account.debitsPosted,
    creditsPending: account.creditsPending,
    creditsPosted: account.creditsPosted,
  };
}

const ZERO_BALANCES: Balances = Object.freeze({ debitsPending: 0n, debitsPosted: 0n, creditsPending: 0n, creditsPosted: 0n });

/**
 * The series behind balanceSeries, with balancesAt's rules: zero before the opening; the recorded
 * row for history accounts, one index probe per point (cheaper than reading every row of a long
 * history, and bounded by the point limit); otherwise the account's transfers up to the last
 * instant, read once in order, in chunks of `chunkRows`.
 */
export async function seriesOf(repository: LedgerRepository, account: Account, instants: readonly bigint[], chunkRows = SERIES_SCAN_CHUNK_ROWS): Promise<BalancesAt[]> {
  const accountId = account.id;
  const opened = instants.filter((at) => at >= account.timestamp);
  const before = instants.slice(0, instants.length - opened.length).map((at): BalancesAt => ({ accountId, at, source: 'computed', ...ZERO_BALANCES }));
  if (account.flags & AccountFlags.history) {
    const recorded: BalancesAt[] = [];
    for (const at of opened) {
      const { timestamp: _, ...balances } = (await repository.recordedBalanceAt(accountId, at)) ?? { timestamp: 0n, ...ZERO_BALANCES };
      recorded.push({ accountId, at, source: 'recorded', ...balances });
    }
    return [...before, ...recorded];
  }
  const through = opened.at(-1);
  if (through === undefined) return before;
  const accumulator = createSeriesAccumulator(accountId, opened);
  await scanTransfers(repository, account, through, chunkRows, (transfer) => accumulator.add(transfer));
  const computed = accumulator.balances().map((balances, index): BalancesAt => ({ accountId, at: opened[index] as bigint, source: 'computed', ...balances }));
  return [...before, ...computed];
}

/**
 * Hands every transfer of the account up to `through` to `visit`, oldest first, reading at most
 * `chunkRows` per statement. Each read covers a window of time that starts after the last row read:
 * timestamps are unique, so every transfer is read once. The window is about twice what the last
 * full chunk spanned, and doubles while reads come back short, because SQLite's postings give a
 * read the account's entries in its whole window before the limit applies: without a window, every
 * chunk would pay for all the transfers after it. The first read starts before every timestamp, as
 * computedBalanceAt does, and spans everything.
 */
async function scanTransfers(repository: LedgerRepository, account: Account, through: bigint, chunkRows: number, visit: (transfer: SeriesTransfer) => void): Promise<void> {
  let after = -1n;
  let width = through - after;
  while (after < through) {
    const until = through - after > width ? after + width : through;
    const chunk = await repository.seriesTransfers(account.id, after, until, chunkRows);
    for (const transfer of chunk) visit(transfer);
    const last = chunk.at(-1);
    if (chunk.length === chunkRows && last) {
      const spanned = last.timestamp - (after > account.timestamp ? after : account.timestamp);
      width = spanned > 0n ? 2n * spanned : 1n;
      after = last.timestamp;
    } else {
      width *= 2n;
      after = until;
    }
  }
}
