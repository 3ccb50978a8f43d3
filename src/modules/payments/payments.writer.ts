import type { Database, Queryable } from '../../db/index.ts';
import { assert, createBatchQueue } from '../../kernel/index.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { insertEvents, lockPayments, readLastEventSeq, writeLastEventSeq } from './payments.repository.ts';
import { PAYMENT_STATUSES, type PaymentEvent, type PaymentStatus } from './payments.ts';

/**
 * Group commit for the payments tables. Every saga step that writes (an intent before the ledger is
 * touched, an outcome after) queues a unit of work; the writer runs whatever has queued in one
 * transaction and answers each caller after the commit. Thousands of concurrent payments thus share
 * a few durable commits a second, just as their transfers share the ledger engine's batches.
 *
 * Events get their numbers here, under the writer's lock, so that numbers grow in commit order
 * even with several processes on one PostgreSQL: a poller that has seen event n has seen every
 * event before it.
 *
 * On SQLite a batch's commit and its flush to disk are apart (see Database.pipelinedTransaction):
 * the next batch is written while the last one is flushed, and a caller of `run` is answered only
 * once its batch is on disk. `runCommitted` answers at the commit, with the promise of the flush,
 * for a step whose result only other writes on the same database depend on until the caller
 * answers anyone (see the saga's intent).
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

export interface Committed<T> {
  readonly value: T;
  /** Settles once the transaction is on disk; nothing that depends on it may be told to anyone before. */
  readonly durable: Promise<void>;
}

export interface PaymentsWriter {
  /** Runs `work` in the next batch; answers once the batch is on disk. */
  run<T>(work: Work<T>): Promise<T>;
  /** Runs `work` in the next batch; answers once the batch has committed, with the promise of its flush. */
  runCommitted<T>(work: Work<T>): Promise<Committed<T>>;
  queued(): number;
  /** Status changes this writer has recorded durably since the process started, by status (for /metrics). */
  statusChanges(): Readonly<Record<PaymentStatus, number>>;
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
  /** Answered at the commit (with the flush's promise) rather than once on disk. */
  readonly atCommit: boolean;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Rows per statement, largest first: a batch's events go in as few statements as these sizes make,
 * and only these few statement texts are ever prepared (7 parameters a row stays far below either
 * database's limit).
 */
const EVENT_CHUNK_ROWS = [128, 32, 8, 2, 1] as const;

async function insertEventsInChunks(tx: Queryable, events: readonly PaymentEvent[]): Promise<void> {
  let start = 0;
  for (const rows of EVENT_CHUNK_ROWS) {
    while (events.length - start >= rows) {
      await insertEvents(tx, events.slice(start, start + rows));
      start += rows;
    }
  }
}

export function createPaymentsWriter(db: Database, onBatch?: (items: number, seconds: number) => void): PaymentsWriter {
  let stopped = false;
  /** Items committed and waiting for their flush; they count against the queue's bound too. */
  let flushing = 0;
  /** Callers of stop() waiting for the last flushes. */
  const flushWaiters: (() => void)[] = [];
  const queue = createBatchQueue<Item>({ maxBatch: PAYMENT_LIMITS.writerBatchMax, run: (batch) => runBatch(batch) });
  const transaction = db.pipelinedTransaction
    ? <T>(work: (tx: Queryable) => Promise<T>) => (db.pipelinedTransaction as NonNullable<Database['pipelinedTransaction']>)(work)
    : async <T>(work: (tx: Queryable) => Promise<T>) => ({ result: await db.transaction(work), durable: Promise.resolve() });

  const statusChanges = Object.fromEntries(PAYMENT_STATUSES.map((status) => [status, 0])) as Record<PaymentStatus, number>;

  interface Applied {
    readonly answers: unknown[];
    readonly recorded: readonly PaymentEvent[];
  }

  async function apply(items: readonly Item[]): Promise<{ readonly result: Applied; readonly durable: Promise<void> }> {
    return transaction(async (tx) => {
      await lockPayments(tx);
      let seq = await readLastEventSeq(tx);
      const first = seq;
      // Events are written together at the end of the transaction, a few statements for the whole
      // batch rather than one per step of every payment; they commit (or not) with the rest.
      const recorded: PaymentEvent[] = [];
      const context: WriteContext = {
        tx,
        async event(event) {
          seq += 1n;
          const numbered = { ...event, seq };
          recorded.push(numbered);
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
              recorded.push(...numbered);
            },
          };
        },
      };
      const answers: unknown[] = [];
      for (const item of items) answers.push(await item.work(context));
      await insertEventsInChunks(tx, recorded);
      if (seq !== first) await writeLastEventSeq(tx, seq);
      return { answers, recorded };
    });
  }

  /** Returns once the batch has committed (or failed); its callers are answered as their mode says. */
  async function runBatch(items: readonly Item[]): Promise<void> {
    const started = performance.now();
    let committed: { readonly result: Applied; readonly durable: Promise<void> };
    try {
      committed = await apply(items);
    } catch (error) {
      if (items.length === 1) return (items[0] as Item).reject(error);
      // Nothing of the batch committed. Each unit is tried again alone, so that one that cannot be
      // written fails only its own caller, as it would have without the company.
      for (const item of items) await runBatch([item]);
      return;
    }
    const { result: { answers, recorded }, durable } = committed;
    flushing += items.length;
    items.forEach((item, index) => {
      if (item.atCommit) item.resolve({ value: answers[index], durable });
    });
    // The flush's outcome is handled here, so a failed flush is never an unhandled rejection even
    // when an early caller stops waiting for it.
    const flushed = durable.then(
      () => {
        items.forEach((item, index) => {
          if (!item.atCommit) item.resolve(answers[index]);
        });
        for (const event of recorded) statusChanges[event.status] += 1;
        onBatch?.(items.length, (performance.now() - started) / 1000);
      },
      (error: unknown) => {
        for (const item of items) if (!item.atCommit) item.reject(error);
      },
    );
    void flushed.finally(() => {
      flushing -= items.length;
      if (flushing === 0) for (const waiter of flushWaiters.splice(0)) waiter();
    });
  }

  function enqueue<T>(work: Work<unknown>, atCommit: boolean): Promise<T> {
    if (stopped) return Promise.reject(new PaymentsStoppedError('payments are shutting down'));
    if (queue.length + flushing >= PAYMENT_LIMITS.writerQueueMax) return Promise.reject(new PaymentsOverloadedError(`more than ${PAYMENT_LIMITS.writerQueueMax} payment writes are waiting`));
    return new Promise<T>((resolve, reject) => queue.push({ work, atCommit, resolve: resolve as (value: unknown) => void, reject }));
  }

  return {
    run: <T>(work: Work<T>) => enqueue<T>(work as Work<unknown>, false),
    runCommitted: <T>(work: Work<T>) => enqueue<Committed<T>>(work as Work<unknown>, true),
    queued: () => queue.length + flushing,
    statusChanges: () => statusChanges,
    async stop() {
      stopped = true;
      await queue.idle();
      // Batches still being flushed answer their callers before the writer reports itself stopped.
      if (flushing > 0) await new Promise<void>((resolve) => flushWaiters.push(resolve));
    },
  };
}
