import { LIMITS, assert, msToNs, type Clock } from '../../kernel/index.ts';
import { createLineDigest, type HashAlgorithm } from '../../crypto/index.ts';
import type { JournalService } from '../journal/index.ts';
import { createBatchApplier, type BatchEffects, type ItemResult, type LedgerSnapshot } from './ledger.apply.ts';
import { accountEventLine, accountLine, expiryLine, sortLines, transferLine, type BatchPayload, type DigestLine } from './ledger.digest.ts';
import { TransferFlags, type AccountRequest, type TransferRequest } from './ledger.ts';
import type { AccountError, TransferError } from './ledger.errors.ts';
import type { LedgerStore, LedgerWriteTx } from './ledger.store.ts';

/**
 * Group commit. Callers submit commands; the engine gathers whatever has arrived into one batch of
 * at most LIMITS.batchMaxItems items, applies it in one database transaction and answers every caller
 * only after that transaction has committed. While one batch commits the next one fills up, so the
 * cost of a durable commit is shared by everyone who arrived meanwhile.
 */
export type CloseResult = 'ok' | 'account_not_found' | 'account_already_closed' | 'account_not_closed' | 'account_has_pending_balance';

export interface LedgerMetrics {
  observeBatch(items: number, commitSeconds: number): void;
  countResults(kind: 'transfers' | 'accounts', ok: number, failed: number): void;
}

export interface LedgerEngine {
  submitTransfers(requests: readonly TransferRequest[]): Promise<ItemResult<TransferError>[]>;
  submitAccounts(requests: readonly AccountRequest[]): Promise<ItemResult<AccountError>[]>;
  setClosed(accountId: string, closed: boolean): Promise<CloseResult>;
  /** Runs a pass that only expires due pending transfers (also done at the start of every batch). */
  expireDue(): Promise<void>;
  /** Stops taking commands, finishes the batch in flight and fails the queued ones. */
  stop(): Promise<void>;
  queuedItems(): number;
}

export class LedgerOverloadedError extends Error {
  override readonly name = 'LedgerOverloadedError';
}
export class LedgerStoppedError extends Error {
  override readonly name = 'LedgerStoppedError';
}

type Command =
  | { kind: 'transfers'; items: readonly TransferRequest[]; resolve: (r: ItemResult<TransferError>[]) => void; reject: (e: unknown) => void }
  | { kind: 'accounts'; items: readonly AccountRequest[]; resolve: (r: ItemResult<AccountError>[]) => void; reject: (e: unknown) => void }
  | { kind: 'close'; accountId: string; closed: boolean; resolve: (r: CloseResult) => void; reject: (e: unknown) => void }
  | { kind: 'expire'; resolve: (r: void) => void; reject: (e: unknown) => void };

const size = (command: Command) => (command.kind === 'transfers' || command.kind === 'accounts' ? command.items.length : 1);

export interface LedgerEngineDeps {
  readonly store: LedgerStore;
  readonly journal: JournalService;
  readonly clock: Clock;
  readonly hashAlgorithm: HashAlgorithm;
  /** Which of the named parties exist; accounts may only be owned by known parties. */
  readonly knownParties: (ids: readonly string[]) => Promise<Set<string>>;
  readonly metrics?: LedgerMetrics;
  /** How often to look for pending transfers that have timed out, in milliseconds; 0 turns it off. */
  readonly expiryIntervalMs?: number;
}

export function createLedgerEngine(deps: LedgerEngineDeps): LedgerEngine {
  const queue: Command[] = [];
  let queued = 0;
  let draining = false;
  let stopped = false;
  let idle: Promise<void> = Promise.resolve();

  const expiryTimer =
    deps.expiryIntervalMs && deps.expiryIntervalMs > 0
      ? setInterval(() => {
          if (!draining && queue.length === 0) engine.expireDue().catch(() => {});
        }, deps.expiryIntervalMs)
      : undefined;
  expiryTimer?.unref();

  function enqueue(command: Command): void {
    if (stopped) return command.reject(new LedgerStoppedError('the ledger is shutting down'));
    const items = size(command);
    if (queued + items > LIMITS.engineQueueMaxItems && queue.length > 0) {
      return command.reject(new LedgerOverloadedError(`more than ${LIMITS.engineQueueMaxItems} items are waiting for the ledger`));
    }
    queue.push(command);
    queued += items;
    if (!draining) {
      draining = true;
      idle = new Promise((resolve) => setImmediate(() => drain().finally(resolve)));
    }
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch: Command[] = [];
        let items = 0;
        while (queue.length > 0) {
          const next = queue[0] as Command;
          if (batch.length > 0 && items + size(next) > LIMITS.batchMaxItems) break;
          batch.push(queue.shift() as Command);
          items += size(next);
        }
        queued -= items;
        await runBatch(batch, items);
        // Let the event loop take in new requests before the next batch closes.
        if (queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      draining = false;
    }
  }

  async function runBatch(batch: Command[], items: number): Promise<void> {
    const started = performance.now();
    try {
      const partyIds = new Set<string>();
      for (const command of batch) {
        if (command.kind === 'accounts') for (const item of command.items) if (item.partyId) partyIds.add(item.partyId);
      }
      const parties = partyIds.size > 0 ? await deps.knownParties([...partyIds]) : new Set<string>();
      const answers = await deps.store.writeBatch((tx) => applyBatch(tx, batch, parties));
      batch.forEach((command, index) => (command.resolve as (value: unknown) => void)(answers[index]));
      deps.metrics?.observeBatch(items, (performance.now() - started) / 1000);
    } catch (error) {
      for (const command of batch) command.reject(error);
    }
  }

  async function applyBatch(tx: LedgerWriteTx, batch: Command[], parties: Set<string>): Promise<unknown[]> {
    const last = await tx.lockClock();
    const now = msToNs(deps.clock.nowMs());
    const base = now > last ? now : last + 1n;
    const due = await tx.dueExpiries(base, LIMITS.expiryMaxPerPass);
    const snapshot = await loadSnapshot(tx, batch, due, parties);
    const applier = createBatchApplier(snapshot, base);
    const expired = applier.expire(due);
    const answers = batch.map((command): unknown => {
      switch (command.kind) {
        case 'transfers': {
          const results = applier.createTransfers(command.items);
          const ok = results.filter((result) => result.result === 'ok').length;
          deps.metrics?.countResults('transfers', ok, results.length - ok);
          return results;
        }
        case 'accounts': {
          const results = applier.createAccounts(command.items);
          const ok = results.filter((result) => result.result === 'ok').length;
          deps.metrics?.countResults('accounts', ok, results.length - ok);
          return results;
        }
        case 'close':
          return applier.setClosed(command.accountId, command.closed);
        case 'expire':
          return undefined;
      }
    });
    const effects = applier.effects();
    const lines = digestLines(effects, expired, snapshot);
    if (lines.length === 0 && effects.failures.length === 0) return answers;
    await tx.write(effects, snapshot);
    if (lines.length > 0) {
      const digest = createLineDigest(deps.hashAlgorithm);
      for (const line of sortLines(lines)) digest.add(line.line);
      const payload: BatchPayload = {
        first: String((lines[0] as DigestLine).timestamp),
        last: String((lines[lines.length - 1] as DigestLine).timestamp),
        accounts: effects.newAccounts.length,
        transfers: effects.newTransfers.length,
        events: effects.accountEvents.length,
        expiries: expired.length,
      };
      await deps.journal.append(tx.queryable, { kind: 'ledger.batch', payload: JSON.stringify(payload), digest: digest.hex(), timestamp: base });
    }
    await tx.setClock(applier.nextTimestamp() - 1n);
    return answers;
  }

  const engine: LedgerEngine = {
    submitTransfers: (items) => new Promise((resolve, reject) => enqueue({ kind: 'transfers', items, resolve, reject })),
    submitAccounts: (items) => new Promise((resolve, reject) => enqueue({ kind: 'accounts', items, resolve, reject })),
    setClosed: (accountId, closed) => new Promise((resolve, reject) => enqueue({ kind: 'close', accountId, closed, resolve, reject })),
    expireDue: () => new Promise((resolve, reject) => enqueue({ kind: 'expire', resolve, reject })),
    async stop() {
      stopped = true;
      if (expiryTimer) clearInterval(expiryTimer);
      await idle;
      for (const command of queue.splice(0)) command.reject(new LedgerStoppedError('the ledger is shutting down'));
      queued = 0;
    },
    queuedItems: () => queued,
  };
  return engine;
}

/** Loads everything the batch names: two rounds, because a post or void names its accounts only through the pending transfer. */
async function loadSnapshot(tx: LedgerWriteTx, batch: Command[], due: string[], parties: Set<string>): Promise<LedgerSnapshot> {
  const transferIds = new Set<string>(due);
  const requestIds = new Set<string>();
  const pendingIds = new Set<string>(due);
  const accountIds = new Set<string>();
  const ledgerIds = new Set<number>();
  for (const command of batch) {
    if (command.kind === 'transfers') {
      for (const item of command.items) {
        transferIds.add(item.id);
        requestIds.add(item.id);
        if (item.pendingId) {
          transferIds.add(item.pendingId);
          pendingIds.add(item.pendingId);
        }
        if (item.debitAccountId) accountIds.add(item.debitAccountId);
        if (item.creditAccountId) accountIds.add(item.creditAccountId);
      }
    } else if (command.kind === 'accounts') {
      for (const item of command.items) {
        accountIds.add(item.id);
        ledgerIds.add(item.ledger);
      }
    } else if (command.kind === 'close') {
      accountIds.add(command.accountId);
    }
  }
  const transfers = await tx.loadTransfers([...transferIds]);
  for (const transfer of transfers) {
    if (pendingIds.has(transfer.id) && transfer.flags & TransferFlags.pending) {
      accountIds.add(transfer.debitAccountId);
      accountIds.add(transfer.creditAccountId);
    }
  }
  const [accounts, pending, failures, ledgers] = [
    await tx.loadAccounts([...accountIds]),
    await tx.loadPending([...pendingIds]),
    await tx.loadFailures([...requestIds]),
    await tx.existingLedgers([...ledgerIds]),
  ];
  return {
    accounts: new Map(accounts.map((account) => [account.id, account])),
    transfers: new Map(transfers.map((transfer) => [transfer.id, transfer])),
    pending: new Map(pending.map((state) => [state.id, state])),
    failures,
    ledgers,
    parties,
  };
}

function digestLines(effects: BatchEffects, expired: readonly string[], snapshot: LedgerSnapshot): DigestLine[] {
  const lines: DigestLine[] = [];
  for (const account of effects.newAccounts) lines.push(accountLine(account, account.flags));
  for (const transfer of effects.newTransfers) lines.push(transferLine(transfer));
  for (const event of effects.accountEvents) lines.push(accountEventLine(event));
  for (const id of expired) {
    const state = snapshot.pending.get(id);
    assert(state, `expired pending ${id} not in snapshot`);
    lines.push(expiryLine(id, state.resolvedAt));
  }
  return lines;
}
