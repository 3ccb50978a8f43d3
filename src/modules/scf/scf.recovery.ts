import type { Database } from '../../db/index.ts';
import type { Clock } from '../../kernel/index.ts';
import { TransferFlags, type ItemResult, type TransferError, type TransferRequest } from '../ledger/index.ts';
import { SCF_LIMITS } from './scf.limits.ts';
import { resolvingTransferId } from './scf.operations.ts';
import { loadOperations, lockScf, setWorkState, unresolvedWork } from './scf.repository.ts';

/**
 * The ledger side of the saga after the state change has been decided: post the reservations of an
 * applied operation, void those of a refused or abandoned one. Post and void ids derive from the
 * pending ids, so doing the work twice (a crash between the ledger's commit and ours) books nothing
 * twice: the ledger answers the repeat from the first transfer.
 */
export interface LedgerWork {
  readonly operationId: string;
  readonly action: 'post' | 'void';
  readonly transferIds: readonly string[];
  /** The API key on whose request the operation was submitted, which the ledger journals with the posts and voids; null for none. */
  readonly submittedBy: string | null;
}

interface LedgerPort {
  createTransfers(requests: readonly TransferRequest[], submittedBy?: string | null): Promise<ItemResult<TransferError>[]>;
}

/** Rows handled per recovery pass, and passes per recovery, so recovery is bounded like everything else. */
const RECOVERY_PAGE = 1000;
const RECOVERY_MAX_PASSES = 1000;

/** A void is finished when the reservation is gone, whether it was voided now, before, or never made. */
const VOID_FINISHED: ReadonlySet<string> = new Set(['ok', 'pending_transfer_not_found', 'pending_transfer_already_voided']);
const POST_FINISHED: ReadonlySet<string> = new Set(['ok', 'pending_transfer_already_posted']);

/**
 * Books each item's transfers under the key that submitted its operation, in the order given, and
 * answers each item's results. The ledger journals one key per request, so every run of consecutive
 * items with one key goes in one request; the requests are made one after another without waiting,
 * so they still share a ledger batch, and the ledger decides the transfers in the order given (an
 * earlier operation is not overtaken for funds by a later one of another key). An item's transfers
 * (a linked chain) always stay in one request.
 */
export async function createInKeyRuns(
  ledger: LedgerPort,
  items: readonly { readonly submittedBy: string | null; readonly requests: readonly TransferRequest[] }[],
): Promise<ItemResult<TransferError>[][]> {
  const runs: { key: string | null; requests: TransferRequest[]; sizes: number[] }[] = [];
  for (const item of items) {
    let run = runs.at(-1);
    if (!run || run.key !== item.submittedBy) runs.push((run = { key: item.submittedBy, requests: [], sizes: [] }));
    run.requests.push(...item.requests);
    run.sizes.push(item.requests.length);
  }
  const answers = await Promise.all(runs.map((run) => (run.requests.length > 0 ? ledger.createTransfers(run.requests, run.key) : Promise.resolve([]))));
  const perItem: ItemResult<TransferError>[][] = [];
  runs.forEach((run, index) => {
    let cursor = 0;
    for (const size of run.sizes) {
      perItem.push((answers[index] ?? []).slice(cursor, cursor + size));
      cursor += size;
    }
  });
  return perItem;
}

/** Does the work and marks what finished; returns the operations that still owe ledger work. */
export async function resolveLedgerWork(db: Database, ledger: LedgerPort, work: readonly LedgerWork[], nowIso: string): Promise<string[]> {
  if (work.length === 0) return [];
  const results = await createInKeyRuns(ledger, work.map((item) => ({
    submittedBy: item.submittedBy,
    requests: item.transferIds.map((pendingId, index): TransferRequest => (item.action === 'post'
      // A settlement's payouts post together or not at all.
      ? { id: resolvingTransferId(pendingId, 'post'), pendingId, flags: TransferFlags.post_pending | (index === item.transferIds.length - 1 ? 0 : TransferFlags.linked) }
      : { id: resolvingTransferId(pendingId, 'void'), pendingId, flags: TransferFlags.void_pending })),
  })));
  const finished = { post: [] as string[], void: [] as string[] };
  const unfinished: string[] = [];
  for (const [index, item] of work.entries()) {
    const slice = results[index] ?? [];
    const accepted = item.action === 'post' ? POST_FINISHED : VOID_FINISHED;
    const failure = slice.find((result) => !accepted.has(result.result));
    if (failure) unfinished.push(`${item.operationId} (${item.action}: ${failure.result})`);
    else finished[item.action].push(item.operationId);
  }
  await db.transaction(async (tx) => {
    await setWorkState(tx, finished.post, 'post', 'done', nowIso);
    await setWorkState(tx, finished.void, 'void', 'done', nowIso);
  });
  return unfinished;
}

/**
 * Finishes every operation whose ledger work a crash interrupted. A reservation without a decision
 * is first claimed for voiding under the engine's lock, so that a batch still deciding it (another
 * process on PostgreSQL) finds it gone and prices the operation again instead of applying it.
 * Returns how many operations still owe ledger work.
 */
export async function recoverOperations(db: Database, ledger: LedgerPort, clock: Clock): Promise<number> {
  // On SQLite this process is the only writer; on PostgreSQL young reservations may be another process's.
  const cutoff = db.dialect === 'postgres' ? new Date(clock.nowMs() - SCF_LIMITS.recoveryGraceMs).toISOString() : null;
  let unfinished = 0;
  for (let pass = 0; pass < RECOVERY_MAX_PASSES; pass++) {
    const rows = await unresolvedWork(db, cutoff, RECOVERY_PAGE);
    if (rows.length === 0) return 0;
    const nowIso = new Date(clock.nowMs()).toISOString();
    const claimed = await db.transaction(async (tx) => {
      await lockScf(tx);
      const ids = new Set<string>();
      for (const row of rows) if (row.state === 'reserved' && (await setWorkState(tx, [row.operationId], 'reserved', 'void', nowIso)) > 0) ids.add(row.operationId);
      return ids;
    });
    // The submitting key of a decided operation is in its record; a reservation left without a decision has none to name.
    const keys = new Map((await loadOperations(db, rows.map((row) => row.operationId))).map((record) => [record.id, record.submittedBy]));
    const work: LedgerWork[] = [];
    for (const row of rows) {
      const transferIds = row.transfers.map((transfer) => transfer.id);
      const submittedBy = keys.get(row.operationId) ?? null;
      if (row.state === 'post') work.push({ operationId: row.operationId, action: 'post', transferIds, submittedBy });
      else if (row.state === 'void' || claimed.has(row.operationId)) work.push({ operationId: row.operationId, action: 'void', transferIds, submittedBy });
    }
    const left = await resolveLedgerWork(db, ledger, work, nowIso);
    unfinished = left.length;
    // Rows that cannot be finished come back on every pass; stop once a pass makes no progress.
    if (left.length >= rows.length || rows.length < RECOVERY_PAGE) return unfinished;
  }
  return unfinished;
}
