import type { Database, Queryable } from '../../db/index.ts';
import { assert, createBatchQueue } from '../../kernel/index.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { insertEvents, lockPayments, readLastEventSeq, writeLastEventSeq } from './payments.repository.ts';
import type { PaymentEvent } from './payments.ts';

/**
 * Group commit for the payments tables. Every saga step that writes (an intent before the ledger is
 * touched, an outcome after) queues a unit of work; the writer runs whatever has queued in one
 * transaction and answers each caller after the commit. Thousands of concurrent payments thus share
 * a few durable commits a second, just as their transfers share the ledger engine's batches.
 *
 * Events get their numbers here, under the writer's lock, so that numbers grow in commit order
 * even with several processes on one PostgreSQL: a poller that has seen event n has seen every
 * event before it.
 */
export interface WriteContext {
  readonly tx: Queryable;
  /** Records a status change with the next event number. */
  event(event: Omit<PaymentEvent, 'seq'>): Promise<PaymentEvent>;
  /**
   * Numbers status changes as the next ones recorded, without recording them yet, so that a
   * payment's row can be written with its events in the same statement that decides whether they
   * happen at all (an insert that may find the id taken, an update that may find the payment moved
   * on). `record` writes them; nothing else may be numbered in between.
   */
  planEvents(events: readonly Omit<PaymentEvent, 'seq'>[]): { readonly numbered: PaymentEvent[]; record(): Promise<void> };
}

export type Work<T> = (context: WriteContext) => Promise<T>;

export interface PaymentsWriter {
  run<T>(work: Work<T>): Promise<T>;
  queued(): number;
  stop(): Promise<void>;
}

export class PaymentsOverloadedError extends Error {
  override readonly name = 'PaymentsOverloadedError';
}
export class PaymentsStoppedError extends Error {
  override readonly name = 'PaymentsStoppedError';
}

interface Item {
  readonly work: Work<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export function createPaymentsWriter(db: Database, onBatch?: (items: number, seconds: number) => void): PaymentsWriter {
  let stopped = false;
  const queue = createBatchQueue<Item>({ maxBatch: PAYMENT_LIMITS.writerBatchMax, run: (batch) => runBatch(batch) });

  async function apply(items: readonly Item[]): Promise<unknown[]> {
    return db.transaction(async (tx) => {
      await lockPayments(tx);
      let seq = await readLastEventSeq(tx);
      const first = seq;
      const context: WriteContext = {
        tx,
        async event(event) {
          seq += 1n;
          const numbered = { ...event, seq };
          await insertEvents(tx, [numbered]);
          return numbered;
        },
        planEvents(events) {
          const start = seq;
          const numbered = events.map((event, index) => ({ ...event, seq: start + BigInt(index + 1) }));
          return {
            numbered,
            async record() {
              assert(seq === start, 'payment events were numbered between planning and recording');
              seq = start + BigInt(numbered.length);
              await insertEvents(tx, numbered);
            },
          };
        },
      };
      const answers: unknown[] = [];
      for (const item of items) answers.push(await item.work(context));
      if (seq !== first) await writeLastEventSeq(tx, seq);
      return answers;
    });
  }

  async function runBatch(items: readonly Item[]): Promise<void> {
    const started = performance.now();
    try {
      const answers = await apply(items);
      items.forEach((item, index) => item.resolve(answers[index]));
      onBatch?.(items.length, (performance.now() - started) / 1000);
    } catch (error) {
      if (items.length === 1) return (items[0] as Item).reject(error);
      // Nothing of the batch committed. Each unit is tried again alone, so that one that cannot be
      // written fails only its own caller, as it would have without the company.
      for (const item of items) await runBatch([item]);
    }
  }

  return {
    run<T>(work: Work<T>): Promise<T> {
      if (stopped) return Promise.reject(new PaymentsStoppedError('payments are shutting down'));
      if (queue.length >= PAYMENT_LIMITS.writerQueueMax) return Promise.reject(new PaymentsOverloadedError(`more than ${PAYMENT_LIMITS.writerQueueMax} payment writes are waiting`));
      return new Promise<T>((resolve, reject) => queue.push({ work: work as Work<unknown>, resolve: resolve as (value: unknown) => void, reject }));
    },
    queued: () => queue.length,
    async stop() {
      stopped = true;
      await queue.idle();
    },
  };
}
