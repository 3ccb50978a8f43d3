import type { Database } from '../../db/index.ts';
import { AssertionError } from '../../kernel/index.ts';
import { merkleRoot, type HashAlgorithm } from '../../crypto/index.ts';
import type { JournalService } from '../journal/index.ts';
import { TransferFlags, canonicalMetadata, type ItemResult, type TransferError, type TransferRequest } from '../ledger/index.ts';
import { decide, type Money } from './scf.apply.ts';
import type { ScfError } from './scf.errors.ts';
import { canonicalJson, type Json, type Outcome, type ScfOperation } from './scf.operations.ts';
import { createInKeyRuns, type LedgerWork } from './scf.recovery.ts';
import {
  eventLine, loadLedgerWork, lockScf, persist, readLastSeq, saveLedgerWork, writeLastSeq,
  type LedgerWorkRecord, type OperationRecord, type PlannedTransfer,
} from './scf.repository.ts';
import { createBatchState } from './scf.state.ts';

/**
 * The two database steps of one batch. `reserve` prices the batch in a dry run, records an intent
 * per money operation and reserves its cash as pending ledger transfers; `commit` decides every
 * operation again, in order, against fresh state inside one transaction, stores each decision,
 * numbers them and appends one journal entry whose digest covers all of them.
 */
export interface BatchDeps {
  readonly db: Database;
  readonly journal: JournalService;
  readonly ledger: { createTransfers(requests: readonly TransferRequest[], submittedBy?: string | null): Promise<ItemResult<TransferError>[]> };
  readonly hashAlgorithm: HashAlgorithm;
}

export interface Submission {
  readonly operation: ScfOperation;
  readonly fingerprint: string;
  /** The API key whose request it is (null: made inside the process); kept out of the fingerprint, so a retry by another key is the same operation. */
  readonly submittedBy: string | null;
}

export interface Reservation {
  readonly attempt: number;
  readonly plan: readonly PlannedTransfer[];
  /** Pending transfers the ledger accepted: the ones to post or void. */
  readonly createdIds: readonly string[];
  readonly answer: 'ok' | ScfError;
}

/** A decision to answer with, ledger work to do, or neither (the operation waits for the next batch). */
export interface Answer {
  readonly outcome?: Outcome;
  readonly work?: LedgerWork;
}

const refusal = (submission: Submission, error: ScfError, replayed: boolean): Outcome => ({ ok: false, id: submission.operation.id, kind: submission.operation.kind, error, replayed });

export function outcomeOf(record: OperationRecord, replayed: boolean): Outcome {
  const parsed = JSON.parse(record.result) as { error?: ScfError };
  if (record.outcome === 'refused') return { ok: false, id: record.id, kind: record.kind, error: parsed.error as ScfError, replayed };
  return { ok: true, id: record.id, kind: record.kind, result: parsed as { readonly [key: string]: Json }, replayed };
}

function samePlan(a: readonly PlannedTransfer[], b: readonly PlannedTransfer[]): boolean {
  return a.length === b.length && a.every((transfer, index) => {
    const other = b[index] as PlannedTransfer;
    return transfer.id === other.id && transfer.debitAccountId === other.debitAccountId && transfer.creditAccountId === other.creditAccountId &&
      transfer.amount === other.amount && transfer.ledger === other.ledger && transfer.code === other.code;
  });
}

function ledgerRefusal(results: readonly ItemResult<TransferError>[]): ScfError {
  const failure = results.find((result) => result.result !== 'ok' && result.result !== 'linked_event_failed');
  switch (failure?.result) {
    case 'exceeds_credits':
      return 'insufficient_funds';
    case 'debit_account_already_closed':
    case 'credit_account_already_closed':
      return 'account_closed';
    // The payer's debits or the payee's credits would pass what one ledger account can total.
    case 'overflows_debits_pending':
    case 'overflows_credits_pending':
    case 'overflows_debits_posted':
    case 'overflows_credits_posted':
    case 'overflows_debits':
    case 'overflows_credits':
      return 'account_overflow';
    default:
      throw new AssertionError(`the ledger refused a reservation with ${failure?.result ?? 'no reason'}`);
  }
}

/** A money operation may start a new attempt when it has no reservation, or its last one is finished. */
const free = (work: LedgerWorkRecord | undefined, fingerprint: string) => !work || (work.state === 'done' && work.fingerprint === fingerprint);

/** Step 1 and 2: dry run, intents, pending transfers. */
export async function reserve(deps: BatchDeps, leaders: readonly Submission[], today: string, nowIso: string): Promise<Map<string, Reservation>> {
  const state = createBatchState(deps.db, today, nowIso);
  await state.prefetch(leaders.map((entry) => entry.operation));
  const plans: { entry: Submission; attempt: number; plan: readonly PlannedTransfer[] }[] = [];
  let planned: readonly PlannedTransfer[] = [];
  const record: Money = (plan) => ((planned = plan), 'ok');
  for (const entry of leaders) {
    if (await state.operation(entry.operation.id)) continue;
    const work = await state.ledgerWork(entry.operation.id);
    if (!free(work, entry.fingerprint)) continue;
    const attempt = work ? work.attempt + 1 : 0;
    planned = [];
    const decision = await decide(state, entry.operation, attempt, record);
    if (decision.type === 'applied' && planned.length > 0) plans.push({ entry, attempt, plan: planned });
  }
  const reservations = new Map<string, Reservation>();
  if (plans.length === 0) return reservations;
  const intended = await deps.db.transaction(async (tx) => {
    await lockScf(tx);
    const written: typeof plans = [];
    for (const item of plans) {
      const { operation, fingerprint } = item.entry;
      const work = await loadLedgerWork(tx, operation.id);
      // Another process may have taken the operation since the dry run: leave it to that process.
      if (!free(work, fingerprint) || (work && work.attempt !== item.attempt - 1)) continue;
      await saveLedgerWork(tx, { operationId: operation.id, kind: operation.kind, fingerprint, attempt: item.attempt, state: 'reserved', transfers: item.plan, updatedAt: nowIso });
      written.push(item);
    }
    return written;
  });
  // Each reservation is booked under the key that submitted its operation, in the batch's order.
  const results = intended.length > 0 ? await createInKeyRuns(deps.ledger, intended.map(({ entry, plan }) => ({
    submittedBy: entry.submittedBy,
    requests: plan.map((transfer, index): TransferRequest => ({
      id: transfer.id, debitAccountId: transfer.debitAccountId, creditAccountId: transfer.creditAccountId, amount: transfer.amount,
      ledger: transfer.ledger, code: transfer.code,
      // Never expires: recovery always decides, and an expiry after a committed finance would lose its cash.
      flags: TransferFlags.pending | (index < plan.length - 1 ? TransferFlags.linked : 0), timeoutSeconds: 0,
      metadata: canonicalMetadata({ scf_operation: entry.operation.id, scf_kind: entry.operation.kind }),
    })),
  }))) : [];
  for (const [index, { entry, attempt, plan }] of intended.entries()) {
    const slice = results[index] ?? [];
    const createdIds = slice.filter((result) => result.result === 'ok').map((result) => result.id);
    reservations.set(entry.operation.id, { attempt, plan, createdIds, answer: createdIds.length === plan.length ? 'ok' : ledgerRefusal(slice) });
  }
  return reservations;
}

/** Step 3: one transaction decides, stores and journals the whole batch. */
export function commit(deps: BatchDeps, leaders: readonly Submission[], reservations: ReadonlyMap<string, Reservation>, today: string, nowIso: string, nowNs: bigint): Promise<Answer[]> {
  return deps.db.transaction(async (tx) => {
    await lockScf(tx);
    const state = createBatchState(tx, today, nowIso);
    await state.prefetch(leaders.map((entry) => entry.operation));
    const answers: Answer[] = [];
    const firstSeq = (await readLastSeq(tx)) + 1n;
    let nextSeq = firstSeq;
    // The digest is a Merkle root over the operation lines, so one operation can be proven with a short path.
    const lines: string[] = [];
    const decided = (entry: Submission, outcome: 'applied' | 'refused', result: string, attempt: number) => {
      const record: OperationRecord = {
        seq: nextSeq++, id: entry.operation.id, kind: entry.operation.kind, fingerprint: entry.fingerprint, outcome, result, attempt, createdAt: nowIso, submittedBy: entry.submittedBy,
      };
      state.recordOperation(record);
      lines.push(eventLine(record));
    };
    // Once a reservation of this batch is voided, a later "insufficient funds" (or an overflow of
    // pending amounts) may be its doing.
    let voidedEarlier = false;
    // The current operation's valid reservation; one money function serves the whole batch.
    let reserved: Reservation | undefined;
    const money: Money = (plan) => {
      if (!reserved || !samePlan(plan, reserved.plan)) return 'unreserved';
      if ((reserved.answer === 'insufficient_funds' || reserved.answer === 'account_overflow') && voidedEarlier) return 'unreserved';
      return reserved.answer;
    };
    for (const entry of leaders) {
      const { operation, fingerprint } = entry;
      const record = await state.operation(operation.id);
      const work = await state.ledgerWork(operation.id);
      if ((record && record.fingerprint !== fingerprint) || (work && work.fingerprint !== fingerprint)) {
        answers.push({ outcome: refusal(entry, 'operation_exists_with_different_fields', false) });
        continue;
      }
      if (record) {
        answers.push({ outcome: outcomeOf(record, true) });
        continue;
      }
      const reservation = reservations.get(operation.id);
      reserved = reservation && work?.state === 'reserved' && work.attempt === reservation.attempt ? reservation : undefined;
      if (work && !reserved && work.state !== 'done') {
        // Another process holds a reservation for it, or recovery has yet to finish one.
        answers.push({});
        continue;
      }
      const attempt = reserved ? reserved.attempt : work ? work.attempt + 1 : 0;
      const decision = await decide(state, operation, attempt, money);
      if (decision.type === 'applied') {
        decided(entry, 'applied', canonicalJson(decision.result), attempt);
        const posting = decision.plan.length > 0;
        if (posting) state.recordLedgerWork({ operationId: operation.id, kind: operation.kind, fingerprint, attempt, state: 'post', transfers: decision.plan, updatedAt: nowIso });
        answers.push({
          outcome: { ok: true, id: operation.id, kind: operation.kind, result: decision.result, replayed: false },
          work: posting ? { operationId: operation.id, action: 'post', transferIds: decision.plan.map((t) => t.id), submittedBy: entry.submittedBy } : undefined,
        });
        continue;
      }
      const toVoid = reserved && reserved.createdIds.length > 0 ? reserved : undefined;
      if (toVoid) voidedEarlier = true;
      if (reserved) state.recordLedgerWork({ operationId: operation.id, kind: operation.kind, fingerprint, attempt, state: toVoid ? 'void' : 'done', transfers: reserved.plan, updatedAt: nowIso });
      const voiding: LedgerWork | undefined = toVoid ? { operationId: operation.id, action: 'void', transferIds: toVoid.createdIds, submittedBy: entry.submittedBy } : undefined;
      if (decision.type === 'deferred') {
        answers.push({ work: voiding });
        continue;
      }
      decided(entry, 'refused', canonicalJson({ error: decision.error }), attempt);
      answers.push({ outcome: refusal(entry, decision.error, false), work: voiding });
    }
    await persist(tx, state.changes());
    if (nextSeq > firstSeq) {
      const last = nextSeq - 1n;
      await writeLastSeq(tx, last);
      const payload = canonicalJson({ first: firstSeq, last, operations: Number(last - firstSeq + 1n) });
      await deps.journal.append(tx, { kind: 'scf.batch', payload, digest: merkleRoot(lines, deps.hashAlgorithm), timestamp: nowNs });
    }
    return answers;
  });
}
