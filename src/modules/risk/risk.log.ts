import type { Database } from '../../db/index.ts';
import { createBatchQueue } from '../../kernel/index.ts';
import { RISK_LIMITS } from './risk.limits.ts';
import { decisionRows, encodeDecisions, insertDecisionRows, type EncodedDecision, type FeatureSets } from './risk.decisions.ts';
import { insertHolds } from './risk.repository.ts';
import type { Decision, Hold } from './risk.ts';

/**
 * The decision log: decisions (and the holds written with them) reach the database in batches
 * through the kernel's batch queue, one transaction for many decisions, so that logging costs no
 * database round trip per decision.
 *
 * A write the caller waits for (review, decline, and every hold) is queued at once and answered
 * after its commit. Approvals are answered before they are written: they wait in a buffer that is
 * handed to the queue when it fills or after RISK_LIMITS.logLingerMs, so that a steady stream of
 * approvals costs a few commits a second (on SQLite every commit is an fsync, shared with the
 * ledger) rather than one per burst. A crash may lose the approvals of the last linger; stop()
 * writes them all.
 */
export class RiskOverloadedError extends Error {
  override readonly name = 'RiskOverloadedError';
}
export class RiskStoppedError extends Error {
  override readonly name = 'RiskStoppedError';
}

interface Item {
  /** Encoded as soon as they are handed over (see encodeDecisions). */
  readonly decisions: readonly EncodedDecision[];
  readonly holds: readonly Hold[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export interface DecisionLog {
  /** Resolves once written when `wait`; otherwise at once, unless the log is backed up. */
  write(decisions: readonly Decision[], holds: readonly Hold[], wait: boolean): Promise<void>;
  /**
   * write(decisions, [], false) without its promise when there is nothing to wait for: undefined
   * once the approvals are buffered (the usual case), the queue's promise when the log is backed
   * up. Throws (synchronously) where write would reject at once: stopping, or overloaded.
   */
  append(decisions: readonly Decision[]): Promise<void> | undefined;
  /**
   * Whether a write of nothing would do anything: wait for a backed-up log, or refuse because the
   * log is stopping. When not, such a write returns at once and need not be made.
   */
  waits(): boolean;
  /** Resolves when everything written so far is committed. */
  flush(): Promise<void>;
  queued(): number;
  stop(): Promise<void>;
}


export function createDecisionLog(db: Database, sets: FeatureSets, report: (message: string) => void): DecisionLog {
  let stopped = false;
  let buffered: EncodedDecision[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inQueue = 0;
  const queue = createBatchQueue<Item>({ maxBatch: RISK_LIMITS.logBatchMax, run: (batch) => runBatch(batch) });

  async function runBatch(items: readonly Item[]): Promise<void> {
    try {
      await attempt(items);
    } finally {
      inQueue -= items.reduce((sum, item) => sum + item.decisions.length, 0);
    }
  }

  async function attempt(items: readonly Item[]): Promise<void> {
    try {
      const rows = decisionRows(items.flatMap((item) => item.decisions), sets);
      await db.transaction(async (tx) => {
        await insertDecisionRows(tx, rows);
        await insertHolds(tx, items.flatMap((item) => item.holds));
      });
      for (const id of rows.setIds) sets.stored.add(id);
      for (const item of items) item.resolve();
    } catch (error) {
      if (items.length === 1) return (items[0] as Item).reject(error);
      // Nothing of the batch committed: each item is tried alone, so one that cannot be written
      // fails only its own caller.
      for (const item of items) await attempt([item]);
    }
  }

  function enqueue(decisions: readonly EncodedDecision[], holds: readonly Hold[]): Promise<void> {
    inQueue += decisions.length;
    return new Promise<void>((resolve, reject) => queue.push({ decisions, holds, resolve, reject }));
  }

  /** Hands the buffered approvals to the queue; their failure can only be reported. */
  function drainBuffer(): Promise<void> {
    if (timer) (clearTimeout(timer), (timer = undefined));
    if (buffered.length === 0) return Promise.resolve();
    const taken = buffered;
    buffered = [];
    return enqueue(taken, []).catch((error: unknown) => report(`${taken.length} approval decisions could not be logged: ${(error as Error).message}`));
  }

  const backlog = () => inQueue + buffered.length;

  async function flush(): Promise<void> {
    await drainBuffer();
    // Batches queued while an earlier one ran are run by the same drain; wait until none is left.
    while (queue.length > 0 || inQueue > 0) await queue.idle();
  }

  const lingered = () => void drainBuffer();

  /** The body of write, synchronous up to the queue: undefined when nothing is left to wait for. */
  function take(decisions: readonly Decision[], holds: readonly Hold[], wait: boolean): Promise<void> | undefined {
    if (stopped) throw new RiskStoppedError('risk control is shutting down');
    if (backlog() >= RISK_LIMITS.logQueueHardMax) throw new RiskOverloadedError(`more than ${RISK_LIMITS.logQueueHardMax} decisions are waiting to be logged`);
    // Nothing to write and nobody to slow down: the caller only asked whether the log keeps up.
    if (decisions.length === 0 && holds.length === 0 && backlog() < RISK_LIMITS.logQueueSoftMax) return undefined;
    const encoded = encodeDecisions(decisions, sets);
    if (wait || holds.length > 0 || backlog() >= RISK_LIMITS.logQueueSoftMax) {
      // Buffered approvals ride along in the same commit; they were decided first.
      void drainBuffer();
      return enqueue(encoded, holds);
    }
    for (const decision of encoded) buffered.push(decision);
    if (buffered.length >= RISK_LIMITS.logBatchMax) void drainBuffer();
    else if (!timer) {
      timer = setTimeout(lingered, RISK_LIMITS.logLingerMs);
      timer.unref();
    }
    return undefined;
  }

  return {
    async write(decisions, holds, wait) {
      await take(decisions, holds, wait);
    },
    append: (decisions) => take(decisions, [], false),
    waits: () => stopped || backlog() >= RISK_LIMITS.logQueueSoftMax,
    flush,
    queued: backlog,
    async stop() {
      stopped = true;
      await flush();
    },
  };
}
