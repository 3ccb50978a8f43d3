import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { walSizeOf } from './sqlite.wal-size.ts';

/**
 * Checkpoints beside the event loop. SQLite copies the WAL into the database file and flushes it
 * (a checkpoint) inside the commit that passes 1,000 pages, on the JavaScript thread. Here the
 * adapter's connection never checkpoints (`wal_autocheckpoint=0`); a worker thread with a second
 * connection runs PASSIVE checkpoints a little after commits, which neither wait for the writer
 * nor stop it.
 *
 * A PASSIVE checkpoint copies what is committed, but the WAL only starts over from its beginning
 * when a write transaction begins with every frame copied, which rarely happens while commits
 * follow each other, and a writer can outrun the copying. So once the log in the WAL is larger than
 * WAL_RESTART_BYTES, the worker first catches up at once, while transactions go on; then the
 * adapter lets its next transaction wait (asynchronously: requests are still read and answered)
 * until the worker has copied the little committed meanwhile; that transaction then starts the WAL
 * over, reusing the file from its beginning (`journal_size_limit` cuts only a file that outgrew
 * WAL_KEPT_BYTES). The catch-up keeps that wait to a few milliseconds: without it, the wait copied
 * up to a whole checkpoint delay's worth of pages, and every request in flight waited the 20 to 60
 * ms with it.
 * A writer that outruns the catch-up by CATCH_UP_SLACK_BYTES waits for it, as it waited before.
 */

/**
 * How long after a commit the worker checkpoints. Waiting lets the commits of that time share one
 * copy of each page they changed (the balance rows and index leaves that every batch touches), as
 * SQLite's own checkpoint every 1,000 pages does: with 100 ms, batches of 8,190 transfers wrote a
 * third more than with 400 ms.
 */
const CHECKPOINT_DELAY_MS = 250;
/**
 * Log size after which the next transaction waits for the WAL to be copied and starts it over:
 * a few groups of full batches, so that the wait comes seldom and finds most of the WAL copied.
 */
const WAL_RESTART_BYTES = 64 * 1024 * 1024;
/**
 * How far past WAL_RESTART_BYTES the WAL may grow while the worker catches up: a writer faster than
 * the copying would otherwise outgrow it round after round. Past it, transactions wait for the
 * round under way to end, and then for the drain.
 */
const CATCH_UP_SLACK_BYTES = 16 * 1024 * 1024;
/**
 * What the first commit after a restart cuts the WAL file back to (`journal_size_limit`): as much as
 * the WAL may grow to, so that only a file that outgrew it is cut. The cut is a truncate inside that
 * commit, on the event loop: cutting 64 MB back to 16 MB took 17 to 19 ms every second or so of a
 * payments run, while every request in flight waited, and the file grew back to 64 MB right after.
 * Reusing the file costs its disk space (at most this much) and nothing else.
 */
export const WAL_KEPT_BYTES = WAL_RESTART_BYTES + CATCH_UP_SLACK_BYTES;
/**
 * How often the log's size is looked at, at most: a `stat` of the file before every transaction cost
 * about 17 µs of each of the payments' and risk writers' small transactions (reading the wal-index
 * header costs a system call too), and in this time the WAL grows by a few megabytes at most,
 * against a limit of WAL_RESTART_BYTES.
 */
const WAL_SIZE_CHECK_INTERVAL_MS = 10;
/**
 * A catch-up that took longer than this left that long's commits to copy, so another one runs
 * before the drain, up to CATCH_UP_ROUNDS_MAX in all: each round copies what the one before it let
 * through, and the rounds shrink quickly to what a drain copies in a millisecond or two.
 */
const CATCH_UP_SHORT_MS = 5;
const CATCH_UP_ROUNDS_MAX = 4;

const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const files = new Map();
function checkpoint(id, type) {
  const file = files.get(id);
  if (!file) return parentPort.postMessage({ type, id, log: 0, copied: 0 });
  if (file.timer) clearTimeout(file.timer);
  file.timer = null;
  try {
    const [result] = file.db.pragma('wal_checkpoint(PASSIVE)');
    parentPort.postMessage({ type, id, log: result.log, copied: result.checkpointed });
  } catch (error) {
    parentPort.postMessage({ type: 'failed', id, message: String((error && error.message) || error) });
    if (type === 'drained') parentPort.postMessage({ type, id, log: 0, copied: 0 });
  }
}
parentPort.on('message', (message) => {
  if (message.type === 'open') {
    try {
      const db = new Database(message.file, { fileMustExist: true });
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 0');
      files.set(message.id, { db, timer: null });
    } catch (error) {
      parentPort.postMessage({ type: 'failed', id: message.id, message: String((error && error.message) || error) });
    }
  } else if (message.type === 'commit') {
    const file = files.get(message.id);
    if (file && !file.timer) file.timer = setTimeout(() => checkpoint(message.id, 'checkpointed'), workerData.delayMs);
  } else if (message.type === 'drain' || message.type === 'catch-up') {
    checkpoint(message.id, message.type === 'drain' ? 'drained' : 'caught-up');
  } else if (message.type === 'close') {
    const file = files.get(message.id);
    files.delete(message.id);
    if (file) {
      if (file.timer) clearTimeout(file.timer);
      try { file.db.close(); } catch {}
    }
    parentPort.postMessage({ type: 'closed', id: message.id });
  }
});
`;

export interface Checkpoints {
  /** Tells the worker that the WAL grew; cheap, and coalesced until its next checkpoint. */
  committed(): void;
  /**
   * When the WAL has grown past WAL_RESTART_BYTES and the worker has caught up with it, a promise
   * that settles once the worker has copied all of it; the adapter awaits it before its next
   * transaction, holding its own lock.
   */
  drainIfDue(): Promise<void> | undefined;
  /** Closes the worker's connection to the file (before the adapter closes its own). */
  close(): Promise<void>;
  /** What the worker has done for this file so far, by reply (for tests and diagnosis). */
  counts(): Readonly<CheckpointCounts>;
}

export interface CheckpointCounts {
  /** Checkpoints a commit asked for, run after CHECKPOINT_DELAY_MS. */
  checkpointed: number;
  /** Catch-up rounds run at once, while transactions went on. */
  caughtUp: number;
  /** Drains: a transaction waited for them. */
  drained: number;
}

type Reply =
  | { type: 'checkpointed' | 'caught-up' | 'drained'; id: number; log: number; copied: number }
  | { type: 'failed'; id: number; message: string }
  | { type: 'closed'; id: number };

/** One worker for every SQLite file of the process, so tests that open hundreds of files start one thread. */
let shared: { worker: Worker; files: Map<number, (reply: Reply) => void>; holding: number } | null = null;
let nextFileId = 1;

function checkpointer() {
  if (shared) return shared;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { driver, delayMs: CHECKPOINT_DELAY_MS }, execArgv: [] });
  const files = new Map<number, (reply: Reply) => void>();
  const thread = { worker, files, holding: 0 };
  worker.on('message', (reply: Reply) => files.get(reply.id)?.(reply));
  worker.on('error', () => {
    if (shared === thread) shared = null;
    for (const [id, handler] of files) {
      handler({ type: 'failed', id, message: 'the checkpointer thread stopped' });
      handler({ type: 'drained', id, log: 0, copied: 0 });
      handler({ type: 'closed', id });
    }
  });
  // The thread serves open files; it must not keep a process alive that has nothing else to do.
  worker.unref();
  shared = thread;
  return thread;
}

/**
 * Registers `file` with the checkpointer thread. `onFailure` runs if that thread cannot checkpoint
 * the file, so the adapter can go back to checkpointing inside its commits.
 */
export function startCheckpoints(file: string, onFailure: (message: string) => void): Checkpoints {
  const thread = checkpointer();
  const { worker, files } = thread;
  const id = nextFileId++;
  let requested = false;
  let failed = false;
  /** The copy that runs, without stopping transactions, before the short wait of a drain. */
  let catchUp: 'none' | 'running' | 'done' = 'none';
  let catchUpRounds = 0;
  let catchUpStartedMs = 0;
  const startCatchUp = () => {
    catchUp = 'running';
    catchUpStartedMs = performance.now();
    worker.postMessage({ type: 'catch-up', id });
  };
  /** WAL size when a drain last left frames uncopied (a reader holds them): wait for more before trying again. */
  let drainFloor = 0;
  /** When drainIfDue last read the WAL's size (see WAL_SIZE_CHECK_INTERVAL_MS). */
  let sizeCheckedAtMs = -Infinity;
  const waiting: { drained?: () => void; closed?: () => void; caughtUp?: () => void } = {};
  // The log's size, not the file's: the file is reused, and keeps its size, after a restart.
  const wal = walSizeOf(file);
  const walSize = () => wal.used();
  // Awaiting a reply holds the thread, so the process does not exit before it comes.
  const hold = async (send: () => void, settle: 'drained' | 'closed' | 'caughtUp'): Promise<void> => {
    if (thread.holding++ === 0) worker.ref();
    try {
      await new Promise<void>((resolve) => {
        waiting[settle] = resolve;
        send();
      });
    } finally {
      if (--thread.holding === 0) worker.unref();
    }
  };
  const counts: CheckpointCounts = { checkpointed: 0, caughtUp: 0, drained: 0 };
  files.set(id, (reply) => {
    if (reply.type === 'checkpointed') counts.checkpointed++;
    if (reply.type === 'caught-up') counts.caughtUp++;
    if (reply.type === 'drained') counts.drained++;
    // A drain runs the checkpoint a pending commit asked for (the worker drops its timer), so
    // either reply frees the next commit to ask again; otherwise checkpoints would stop after a drain.
    if (reply.type !== 'failed' && reply.type !== 'closed') requested = false;
    if (reply.type === 'caught-up') {
      const short = performance.now() - catchUpStartedMs <= CATCH_UP_SHORT_MS;
      if (waiting.caughtUp || short || ++catchUpRounds >= CATCH_UP_ROUNDS_MAX) {
        catchUp = 'done';
        waiting.caughtUp?.();
        waiting.caughtUp = undefined;
      } else {
        startCatchUp();
      }
    }
    if (reply.type === 'drained') {
      drainFloor = reply.copied < reply.log ? walSize() : 0;
      waiting.drained?.();
    }
    if (reply.type === 'failed' && !failed) {
      failed = true;
      waiting.caughtUp?.();
      waiting.caughtUp = undefined;
      onFailure(reply.message);
    }
    if (reply.type === 'closed') waiting.closed?.();
  });
  const drain = () => hold(() => worker.postMessage({ type: 'drain', id }), 'drained');
  worker.postMessage({ type: 'open', id, file });
  return {
    committed() {
      if (requested || failed) return;
      requested = true;
      worker.postMessage({ type: 'commit', id });
    },
    drainIfDue() {
      if (failed) return undefined;
      if (catchUp === 'done') {
        catchUp = 'none';
        return drain();
      }
      const now = performance.now();
      if (now - sizeCheckedAtMs < WAL_SIZE_CHECK_INTERVAL_MS) return undefined;
      sizeCheckedAtMs = now;
      const limit = Math.max(WAL_RESTART_BYTES, drainFloor + WAL_RESTART_BYTES);
      if (catchUp === 'running') {
        if (walSize() < limit + CATCH_UP_SLACK_BYTES) return undefined;
        // The writer outruns the copying: it waits for this round, then for the drain.
        return hold(() => undefined, 'caughtUp').then(() => {
          if (catchUp !== 'done') return undefined;
          catchUp = 'none';
          return drain();
        });
      }
      if (walSize() < limit) return undefined;
      catchUpRounds = 0;
      startCatchUp();
      return undefined;
    },
    counts: () => ({ ...counts }),
    async close() {
      if (failed || !files.has(id)) {
        wal.close();
        return;
      }
      try {
        await hold(() => worker.postMessage({ type: 'close', id }), 'closed');
      } finally {
        files.delete(id);
        wal.close();
      }
    },
  };
}
