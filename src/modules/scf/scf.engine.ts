import type { Database } from '../../db/index.ts';
import { msToNs, type Clock } from '../../kernel/index.ts';
import type { HashAlgorithm } from '../../crypto/index.ts';
import type { JournalService } from '../journal/index.ts';
import type { ItemResult, TransferError, TransferRequest } from '../ledger/index.ts';
import { commit, reserve, type Answer, type Reservation, type Submission } from './scf.batch.ts';
import { SCF_LIMITS } from './scf.limits.ts';
import { MONEY_KINDS, fingerprintOf, type Outcome, type ScfOperation } from './scf.operations.ts';
import { recoverOperations, resolveLedgerWork, type LedgerWork } from './scf.recovery.ts';
import { dateOf } from './scf.ts';

/**
 * Group commit with a saga for money. Callers submit operations; the engine takes whatever has
 * queued (at most SCF_LIMITS.batchMaxOperations) and:
 *   1. prices the batch in a dry run against the committed state (only when it holds money operations),
 *   2. records an intent per money operation, then reserves its cash as PENDING ledger transfers
 *      whose ids derive from the operation id and attempt,
 *   3. in ONE database transaction decides every operation again, in order, against fresh state,
 *      each seeing the changes of the ones before; stores every decision, numbers them, and appends
 *      one journal entry whose digest covers all of them (one entry per operation would cost three
 *      more statements per operation and halve the throughput on SQLite),
 *   4. posts the reservations of applied operations and voids the others, and answers the callers.
 * A crash anywhere leaves a ledger-work row that says what is still owed to the ledger; recovery
 * finishes it. Money therefore moves if and only if the state change committed.
 */
export interface LedgerPort {
  createTransfers(requests: readonly TransferRequest[], submittedBy?: string | null): Promise<ItemResult<TransferError>[]>;
}

export interface ScfEngineDeps {
  readonly db: Database;
  readonly journal: JournalService;
  readonly ledger: LedgerPort;
  readonly clock: Clock;
  /** The journal's hash algorithm, for the digest of each batch entry. */
  readonly hashAlgorithm: HashAlgorithm;
  /** Told about ledger work left for recovery; defaults to stderr. */
  readonly onProblem?: (message: string) => void;
  /** Told about every committed batch: how many operations it decided and how long it took. */
  readonly onBatch?: (operations: number, seconds: number) => void;
}

export interface ScfEngine {
  /** `submittedBy`: the API key whose request it is (null: made inside the process), recorded and journaled with its decision. */
  submit(operation: ScfOperation, submittedBy?: string | null): Promise<Outcome>;
  /** Finishes the ledger side of operations a crash (or a failed batch) left unfinished. */
  recover(): Promise<void>;
  stop(): Promise<void>;
  queuedOperations(): number;
}

export class ScfOverloadedError extends Error {
  override readonly name = 'ScfOverloadedError';
}
export class ScfStoppedError extends Error {
  override readonly name = 'ScfStoppedError';
}
/** The state an operation was priced against kept changing; the client retries with the same id. */
export class ScfContentionError extends Error {
  override readonly name = 'ScfContentionError';
}

interface Entry extends Submission {
  deferrals: number;
  readonly resolve: (outcome: Outcome) => void;
  readonly reject: (error: unknown) => void;
}

export function createScfEngine(deps: ScfEngineDeps): ScfEngine {
  const { db, clock } = deps;
  const report = deps.onProblem ?? ((message: string) => process.stderr.write(`sluice scf: ${message}\n`));
  const queue: Entry[] = [];
  let draining = false;
  let stopped = false;
  let needsRecovery = false;
  let idle: Promise<void> = Promise.resolve();

  function enqueue(entry: Entry): void {
    if (stopped) return entry.reject(new ScfStoppedError('supply-chain finance is shutting down'));
    if (queue.length >= SCF_LIMITS.queueMaxOperations) {
      return entry.reject(new ScfOverloadedError(`more than ${SCF_LIMITS.queueMaxOperations} operations are waiting`));
    }
    queue.push(entry);
    if (!draining) {
      draining = true;
      // Every failure is handed to its callers inside drain; nothing may escape as an unhandled rejection.
      idle = new Promise((resolve) => setImmediate(() => drain().catch(() => undefined).finally(resolve)));
    }
  }

  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        await runBatch(queue.splice(0, SCF_LIMITS.batchMaxOperations));
        // Let the event loop take in new submissions before the next batch closes.
        if (queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      draining = false;
    }
  }

  async function runBatch(entries: Entry[]): Promise<void> {
    const started = performance.now();
    const nowMs = clock.nowMs();
    const today = dateOf(nowMs);
    const nowIso = new Date(nowMs).toISOString();
    // An operation named twice in one batch is decided once; the repeats wait for the next batch,
    // where they are answered from the stored record like any retry.
    const leaders: Entry[] = [];
    const repeats: Entry[] = [];
    const seen = new Set<string>();
    for (const entry of entries) {
      if (seen.has(entry.operation.id)) repeats.push(entry);
      else (seen.add(entry.operation.id), leaders.push(entry));
    }
    let answers: Answer[];
    try {
      if (needsRecovery) await engine.recover();
      const batch = { db, journal: deps.journal, ledger: deps.ledger, hashAlgorithm: deps.hashAlgorithm };
      const reservations = leaders.some((entry) => MONEY_KINDS.has(entry.operation.kind)) ? await reserve(batch, leaders, today, nowIso) : new Map<string, Reservation>();
      answers = await commit(batch, leaders, reservations, today, nowIso, msToNs(nowMs));
    } catch (error) {
      needsRecovery = true;
      for (const entry of entries) entry.reject(error);
      return;
    }
    try {
      await finishLedgerWork(answers.flatMap((answer) => (answer.work ? [answer.work] : [])), nowIso);
    } catch (error) {
      // The decisions are committed but their cash could not move (the database went away): callers
      // get the error and retry with the same ids, which answer from the stored records once
      // recovery has posted or voided what is left.
      needsRecovery = true;
      for (const entry of entries) entry.reject(error);
      return;
    }
    deps.onBatch?.(leaders.length, (performance.now() - started) / 1000);
    const retry: Entry[] = [];
    leaders.forEach((entry, index) => {
      const outcome = answers[index]?.outcome;
      if (outcome) return entry.resolve(outcome);
      entry.deferrals += 1;
      if (entry.deferrals > SCF_LIMITS.deferralsMax) entry.reject(new ScfContentionError(`operation ${entry.operation.id} was re-priced ${SCF_LIMITS.deferralsMax} times; retry it with the same id`));
      else retry.push(entry);
    });
    // Put back at the front: first in the next batch, nothing before them can change their price.
    queue.unshift(...retry, ...repeats);
  }

  /** Step 4: post what committed, void what did not; anything left over is recovery's. */
  async function finishLedgerWork(work: readonly LedgerWork[], nowIso: string): Promise<void> {
    if (work.length === 0) return;
    try {
      const unfinished = await resolveLedgerWork(db, deps.ledger, work, nowIso);
      if (unfinished.length > 0) {
        needsRecovery = true;
        report(`ledger work of ${unfinished.length} operations is unfinished (first: ${unfinished[0]}); recovery will retry`);
      }
    } catch (error) {
      needsRecovery = true;
      report(`ledger work failed, recovery will retry: ${(error as Error).message}`);
    }
  }

  const engine: ScfEngine = {
    submit(operation, submittedBy = null) {
      return new Promise((resolve, reject) => enqueue({ operation, fingerprint: fingerprintOf(operation), submittedBy, deferrals: 0, resolve, reject }));
    },
    async recover() {
      const unfinished = await recoverOperations(db, deps.ledger, clock);
      needsRecovery = unfinished > 0;
      if (unfinished > 0) report(`${unfinished} operations still owe ledger work after recovery`);
    },
    async stop() {
      stopped = true;
      await idle;
      for (const entry of queue.splice(0)) entry.reject(new ScfStoppedError('supply-chain finance is shutting down'));
    },
    queuedOperations: () => queue.length,
  };
  return engine;
}
