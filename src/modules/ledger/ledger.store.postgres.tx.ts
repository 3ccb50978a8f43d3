import { assert, isCanonicalUuid } from '../../kernel/index.ts';
import type { Queryable, Row, SqlValue } from '../../db/index.ts';
import type { ExpectedReads, LedgerWriteTx } from './ledger.store.ts';
import type { Account, PendingState, Transfer } from './ledger.ts';
import type { TransferError } from './ledger.errors.ts';
import { ACCOUNT_COLUMNS, TRANSFER_COLUMNS, toAccount, toPending, toTransfer, type AccountRow, type PendingRow, type TransferRow } from './ledger.rows.ts';
import { int8s, sendWrites, uuids, writeAccounts } from './ledger.store.postgres.writes.ts';

/** The journal's head read and move inside a ledger batch (journal.service.ts readHead, append). */
export const JOURNAL_HEAD_FOR_UPDATE = 'SELECT seq, hash, algorithm FROM journal_head WHERE id = 1 FOR UPDATE';
const JOURNAL_HEAD_UPDATE = 'UPDATE journal_head SET seq = ?, hash = ? WHERE id = 1';
const CLOCK_FOR_UPDATE = 'SELECT last_timestamp FROM ledger_clock WHERE id = 1 FOR UPDATE';
const DUE_EXPIRIES = "SELECT id, expires_at FROM ledger_pending WHERE status = 'pending' AND expires_at > 0 AND expires_at <= ? ORDER BY expires_at LIMIT ?";
/**
 * Pending transfers read ahead as possibly due are those expiring up to this long after the dry run's
 * instant; the real run keeps those due at its own instant, which comes later by the time the lock
 * was granted. Should the wait have been longer, the due ones are read again.
 */
const DUE_READ_AHEAD_NS = 10_000_000_000n;

/** The ids the transaction reads, as its dry run asked for them: the first batch's, and what all its batches name. */
export interface ReadPlan {
  expiry?: { readonly nowNs: bigint; readonly limit: number };
  transfers: readonly string[];
  accounts: readonly string[];
  pending: readonly string[];
  failures: readonly string[];
  ledgers: readonly number[];
  expected?: ExpectedReads;
}

/** Values read at the lock for a set of ids, by the id the database spells, once they arrive. */
interface Ahead<V> {
  readonly ids: ReadonlySet<string>;
  readonly values: Promise<Map<string, V>>;
}

type Failure = { readonly id: string; readonly result: TransferError };
type LedgerId = { readonly id: string };

const handled = <T>(promise: Promise<T>): Promise<T> => {
  promise.catch(() => {});
  return promise;
};

const byTimeAscending = ([, left]: [string, bigint], [, right]: [string, bigint]) => (left < right ? -1 : left > right ? 1 : 0);

/**
 * One transaction's side of the ledger: it may carry several batches. With a plan, the clock lock,
 * the journal head lock and the reads of every batch (what the dry run saw of the first, what the
 * engine said all of them name) are sent at once, right behind BEGIN; the server runs them in that
 * order, so the reads see everything committed before the locks were granted, and no other process
 * can change those rows until this transaction ends.
 *
 * A batch is then answered from what this transaction holds, never waiting for the server while
 * earlier batches' writes run there: the records its earlier batches wrote and the objects they were
 * handed (the engine changes accounts and pending states in place), else the rows read at the lock
 * (which nothing of this transaction changed, or it would hold them), else a read now, which on this
 * connection sees this transaction's own writes. The clock and the journal head are what this
 * transaction last set. So the engine applies batch after batch while the server writes the ones
 * before, and account rows are rewritten once, at the end (finish()).
 */
export function createWriteTx(q: Queryable, plan: ReadPlan | undefined): LedgerWriteTx & { finish(): void } {
  const byIds = <R extends Row>(sql: string, ids: SqlValue) => q.all<R>(sql, [ids]);
  // Only ids up to the table's largest can be in it: time-ordered ids of new transfers are above it,
  // so a batch of them costs one index probe instead of one per id (and the planner, seeing a short
  // list, never trades the index for a scan of the whole table).
  const byIdsUpToLargest = (table: string, columns: string) =>
    `SELECT ${columns} FROM ${table} WHERE id = ANY(ARRAY(SELECT u FROM UNNEST(?::uuid[]) AS u WHERE u <= (SELECT id FROM ${table} ORDER BY id DESC LIMIT 1)))`;
  const readTransfers = (ids: readonly string[]) => byIds<TransferRow>(byIdsUpToLargest('ledger_transfers', TRANSFER_COLUMNS), uuids(ids));
  const readAccounts = (ids: readonly string[]) => byIds<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts WHERE id = ANY(?::uuid[])`, uuids(ids));
  const readPending = (ids: readonly string[]) => byIds<PendingRow>('SELECT id, status, expires_at, resolved_at FROM ledger_pending WHERE id = ANY(?::uuid[])', uuids(ids));
  const readFailures = (ids: readonly string[]) => byIds<{ id: string; result: string }>(byIdsUpToLargest('ledger_transfer_failures', 'id, result'), uuids(ids));
  const readLedgers = (ids: readonly string[]) => byIds<{ id: bigint }>('SELECT id FROM ledger_ledgers WHERE id = ANY(?::bigint[])', int8s(ids.map(Number)));
  const asFailure = (row: { id: string; result: string }): Failure => ({ id: row.id, result: row.result as TransferError });
  const asLedger = (row: { id: bigint }): LedgerId => ({ id: String(row.id) });

  function ahead<R, V extends { id: string }>(ids: readonly (string | number)[], read: (ids: readonly string[]) => Promise<R[]>, convert: (row: R) => V): Ahead<V> | undefined {
    if (ids.length === 0) return undefined;
    const unique = new Set(ids.map(String));
    const values = read([...unique]).then((rows) => {
      const byId = new Map<string, V>();
      for (const row of rows) {
        const value = convert(row);
        byId.set(value.id, value);
      }
      return byId;
    });
    return { ids: unique, values: handled(values) };
  }
  const both = <T>(first: readonly T[] | undefined, second: readonly T[] | undefined): readonly T[] => (second && second.length > 0 ? [...(first ?? []), ...second] : (first ?? []));

  // Sent now, right behind BEGIN, in this order: the locks first.
  let clock = plan ? handled(q.get<{ last_timestamp: bigint }>(CLOCK_FOR_UPDATE)) : undefined;
  let headAhead = plan ? handled(q.get(JOURNAL_HEAD_FOR_UPDATE)) : undefined;
  const due = plan?.expiry
    ? { ...plan.expiry, bound: plan.expiry.nowNs + DUE_READ_AHEAD_NS, rows: handled(q.all<{ id: string; expires_at: bigint }>(DUE_EXPIRIES, [plan.expiry.nowNs + DUE_READ_AHEAD_NS, plan.expiry.limit])) }
    : undefined;
  const transfersAhead = plan ? ahead(both(plan.transfers, plan.expected?.transfers), readTransfers, toTransfer) : undefined;
  const failuresAhead = plan ? ahead(both(plan.failures, plan.expected?.failures), readFailures, asFailure) : undefined;
  const accountsAhead = plan ? ahead(both(plan.accounts, plan.expected?.accounts), readAccounts, toAccount) : undefined;
  const pendingAhead = plan ? ahead(both(plan.pending, plan.expected?.pending), readPending, toPending) : undefined;
  const ledgersAhead = plan ? ahead(both(plan.ledgers, plan.expected?.ledgers), readLedgers, asLedger) : undefined;

  // What this transaction wrote or handed out, by id, as it now is.
  const accounts = new Map<string, Account>();
  const transfers = new Map<string, Transfer>();
  const pending = new Map<string, PendingState>();
  const failures = new Map<string, Failure>();
  /** Accounts whose rows finish() must rewrite. */
  const unwritten = new Map<string, Account>();
  let clockNow: bigint | undefined;
  let head: { seq: bigint; hash: string; algorithm: string } | undefined;
  let algorithm: string | undefined;
  let wrote = false;
  /**
   * Cleared once a batch creates a record under an id spelt otherwise than the database spells it
   * (upper-case digits): a later batch asking for the database's spelling must then find the row,
   * which the reads at the lock cannot show, so ids not held here are read from the table again.
   */
  let trustAhead = true;

  /**
   * Values for `ids`: this transaction's own, else those read at the lock, else read now. With
   * `keep`, values handed out join this transaction's own, so that every batch gets the same object.
   */
  async function lookup<R, V extends { id: string }>(
    ids: readonly string[], own: Map<string, V>, readAhead: Ahead<V> | undefined, read: (ids: readonly string[]) => Promise<R[]>, convert: (row: R) => V, keep: boolean,
  ): Promise<V[]> {
    const found: V[] = [];
    const missing: string[] = [];
    let aheadValues: Map<string, V> | undefined;
    for (const id of ids) {
      const mine = own.get(id);
      if (mine) {
        found.push(mine);
      } else if (readAhead && trustAhead && readAhead.ids.has(id)) {
        aheadValues ??= await readAhead.values;
        const value = aheadValues.get(id);
        if (value) {
          found.push(value);
          if (keep) own.set(value.id, value);
        }
      } else {
        missing.push(id);
      }
    }
    if (missing.length === 0) return found;
    for (const row of await read(missing)) {
      const value = convert(row);
      // The object already handed out under the database's spelling is the current one.
      const mine = own.get(value.id);
      found.push(mine ?? value);
      if (!mine && keep) own.set(value.id, value);
    }
    return found;
  }

  /** Keeps a record this transaction created, under its id if the database spells it so. */
  function keepCreated<V>(own: Map<string, V>, id: string, value: V): void {
    if (isCanonicalUuid(id)) own.set(id, value);
    else trustAhead = false;
  }

  const learnHead = (sql: string, params: readonly SqlValue[] | undefined) => {
    if (sql === JOURNAL_HEAD_UPDATE && params && algorithm !== undefined) head = { seq: BigInt(params[0] as bigint), hash: String(params[1]), algorithm };
  };
  // The journal's head is answered from the read sent ahead, then from what this transaction's last
  // append moved it to: the transaction holds its row lock from the first read on.
  const queryable: Queryable = {
    dialect: q.dialect,
    all: q.all,
    run: (sql, params) => {
      learnHead(sql, params);
      return q.run(sql, params);
    },
    defer: (sql, params) => {
      learnHead(sql, params);
      void q.run(sql, params);
    },
    get: <R extends Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined> => {
      if (sql !== JOURNAL_HEAD_FOR_UPDATE || (params !== undefined && params.length > 0)) return q.get<R>(sql, params);
      if (head) return Promise.resolve({ ...head } as unknown as R);
      const planned = headAhead;
      headAhead = undefined;
      return (planned ?? q.get(sql)).then((row): R | undefined => {
        algorithm = row === undefined ? undefined : String(row.algorithm);
        return row as R | undefined;
      });
    },
  };

  return {
    queryable,
    async lockClock() {
      if (clockNow !== undefined) return clockNow;
      const planned = clock;
      clock = undefined;
      const row = await (planned ?? q.get<{ last_timestamp: bigint }>(CLOCK_FOR_UPDATE));
      assert(row, 'ledger clock row missing');
      clockNow = BigInt(row.last_timestamp);
      return clockNow;
    },
    async setClock(lastTimestamp) {
      clockNow = lastTimestamp;
      // Not waited for: it travels with COMMIT, which the transaction sends only after checking it
      // (src/db/postgres.ts withClient, which also keeps its failure from going unhandled).
      void q.run('UPDATE ledger_clock SET last_timestamp = ? WHERE id = 1', [lastTimestamp]);
    },
    async dueExpiries(nowNs, limit) {
      if (due && limit === due.limit && nowNs <= due.bound) {
        const rows = await due.rows;
        // The read ahead is ordered by expiry and reaches past `nowNs`, so those due by `nowNs` are
        // its first rows: exactly what the same query with `nowNs` would return.
        if (!wrote) return rows.filter((row) => BigInt(row.expires_at) <= nowNs).map((row) => row.id);
        // Short of the limit it holds every pending transfer due by its bound at the lock; this
        // transaction's own states (resolved, or new) are the only ones that changed since.
        if (rows.length < limit && trustAhead) {
          const expiry = new Map<string, bigint>();
          for (const row of rows) if (!pending.has(row.id)) expiry.set(row.id, BigInt(row.expires_at));
          for (const state of pending.values()) if (state.status === 'pending' && state.expiresAt > 0n) expiry.set(state.id, state.expiresAt);
          return [...expiry].filter(([, at]) => at <= nowNs).sort(byTimeAscending).slice(0, limit).map(([id]) => id);
        }
      }
      const rows = await q.all<{ id: string }>(DUE_EXPIRIES, [nowNs, limit]);
      return rows.map((row) => row.id);
    },
    loadTransfers: (ids) => lookup(ids, transfers, transfersAhead, readTransfers, toTransfer, false),
    loadAccounts: (ids) => lookup(ids, accounts, accountsAhead, readAccounts, toAccount, true),
    loadPending: (ids) => lookup(ids, pending, pendingAhead, readPending, toPending, true),
    async loadFailures(ids) {
      const found = new Map<string, TransferError>();
      for (const failure of await lookup(ids, failures, failuresAhead, readFailures, asFailure, false)) found.set(failure.id, failure.result);
      return found;
    },
    async existingLedgers(ids) {
      const found = await lookup(ids.map(String), new Map<string, LedgerId>(), ledgersAhead, readLedgers, asLedger, false);
      return new Set(found.map((ledger) => Number(ledger.id)));
    },
    async write(effects, snapshot) {
      wrote = true;
      for (const created of effects.newAccounts) keepCreated(accounts, created.id, snapshot.accounts.get(created.id) ?? created);
      for (const transfer of effects.newTransfers) keepCreated(transfers, transfer.id, transfer);
      for (const state of effects.newPending) keepCreated(pending, state.id, snapshot.pending.get(state.id) ?? state);
      for (const failure of effects.failures) keepCreated(failures, failure.id, { id: failure.id, result: failure.result });
      sendWrites(q, effects, snapshot, unwritten);
    },
    finish() {
      writeAccounts(q, unwritten);
    },
  };
}
