import { open, type FileHandle } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { DatabaseUnavailableError } from './port.ts';

/**
 * Durable commits for the SQLite adapter without blocking the event loop.
 *
 * With `synchronous=FULL`, better-sqlite3 runs the commit's fsync on the JavaScript thread: 5 to
 * 15 ms here during which no request is read or answered. Instead the connection commits with
 * `synchronous=NORMAL` (the WAL frames are written, not yet flushed), and this tracker flushes the
 * WAL file with fdatasync on libuv's thread pool. The adapter settles nothing that depends on a
 * commit (the transaction's promise, and reads that could see its rows) before a flush that began
 * after the commit has finished, so what anyone hears of is on disk exactly as with FULL. Flushes
 * are shared: commits made while one flush runs are all covered by the next.
 *
 * NORMAL changes nothing else in WAL mode: the WAL is still flushed before every checkpoint and the
 * database file after it, and a process that dies loses nothing the operating system holds.
 */
export interface WalDurability {
  /** Counts a commit; returns its number, for `durable`. */
  committed(): number;
  /** Settles once every commit up to `commit` (by default every commit so far) is on disk. */
  durable(commit?: number): Promise<void>;
  /** Waits for the commits made so far and lets go of the WAL file. */
  close(): Promise<void>;
}

export function createWalDurability(walPath: string, directoryPath: string): WalDurability {
  let committedCount = 0;
  let durableCount = 0;
  let failure: Error | null = null;
  let flushing: { promise: Promise<void>; through: number } | null = null;
  let queued: { promise: Promise<void>; through: number } | null = null;
  let wal: FileHandle | null = null;
  let directorySynced = false;

  async function flush(): Promise<void> {
    wal ??= await open(walPath, 'r');
    await wal.datasync();
    // The WAL file was created by SQLite; its directory entry must be on disk too, once.
    if (!directorySynced) {
      const directory = await open(directoryPath, 'r');
      try {
        await directory.sync();
      } finally {
        await directory.close();
      }
      directorySynced = true;
    }
  }

  function start(): Promise<void> {
    const through = committedCount;
    const promise = flush().then(
      () => {
        durableCount = Math.max(durableCount, through);
      },
      (error: unknown) => {
        // A failed flush leaves the file in a state nobody can vouch for (the kernel may have
        // dropped the dirty pages): every later operation fails until the process restarts.
        failure = new DatabaseUnavailableError(`the disk did not confirm a write, restart to recover: ${error instanceof Error ? error.message : String(error)}`);
        throw failure;
      },
    );
    flushing = { promise, through };
    void promise.catch(() => undefined).finally(() => {
      if (flushing?.promise === promise) flushing = null;
    });
    return promise;
  }

  const tracker: WalDurability = {
    committed: () => ++committedCount,
    durable(commit = committedCount) {
      if (failure) return Promise.reject(failure);
      if (commit <= durableCount) return Promise.resolve();
      if (!flushing) return start();
      if (flushing.through >= commit) return flushing.promise;
      // The flush under way began before this commit; the next one, started when it ends, covers
      // this commit and every other made meanwhile.
      if (!queued) {
        const entry = { through: 0, promise: Promise.resolve() };
        entry.promise = flushing.promise.catch(() => undefined).then(() => {
          if (queued === entry) queued = null;
          return tracker.durable(entry.through);
        });
        queued = entry;
      }
      queued.through = Math.max(queued.through, commit);
      return queued.promise;
    },
    async close() {
      await tracker.durable().catch(() => undefined);
      await wal?.close();
      wal = null;
    },
  };
  return tracker;
}

/**
 * How long after a commit the checkpointer copies the WAL into the database file. Waiting lets
 * the commits of that time share one copy of each page they changed, as SQLite's own
 * checkpoint every 1,000 pages does, without letting the WAL grow far.
 */
const CHECKPOINT_DELAY_MS = 100;

/**
 * Runs in a worker thread: one read connection per registered file, used only to checkpoint, so
 * the copying and the database file's fsync happen beside the event loop instead of inside a commit.
 * PASSIVE never waits for readers or the writer; what it cannot copy now, the next one copies.
 */
const CHECKPOINTER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const files = new Map();
parentPort.on('message', (message) => {
  if (message.type === 'open') {
    try {
      const db = new Database(message.file, { fileMustExist: true });
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 0');
      files.set(message.id, { db, timer: null });
    } catch (error) {
      parentPort.postMessage({ type: 'failed', id: message.id, message: String(error && error.message || error) });
    }
  } else if (message.type === 'commit') {
    const file = files.get(message.id);
    if (file && !file.timer) file.timer = setTimeout(() => {
      file.timer = null;
      try {
        file.db.pragma('wal_checkpoint(PASSIVE)');
        parentPort.postMessage({ type: 'checkpointed', id: message.id });
      } catch (error) {
        parentPort.postMessage({ type: 'failed', id: message.id, message: String(error && error.message || error) });
      }
    }, workerData.delayMs);
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
  /** Tells the checkpointer that the WAL grew; cheap, and coalesced until the next checkpoint. */
  committed(): void;
  /** Closes the checkpointer's connection to the file (before the adapter closes its own). */
  close(): Promise<void>;
}

type Reply = { type: 'checkpointed' | 'failed' | 'closed'; id: number; message?: string };

/** One worker for every SQLite file of the process, so tests that open hundreds of files start one thread. */
let shared: { worker: Worker; files: Map<number, (reply: Reply) => void>; closing: number } | null = null;
let nextFileId = 1;

function checkpointer() {
  if (shared) return shared;
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(CHECKPOINTER_SOURCE, { eval: true, workerData: { driver, delayMs: CHECKPOINT_DELAY_MS }, execArgv: [] });
  const files = new Map<number, (reply: Reply) => void>();
  worker.on('message', (reply: Reply) => files.get(reply.id)?.(reply));
  worker.on('error', () => {
    shared = null;
    for (const handler of files.values()) {
      handler({ type: 'failed', id: 0, message: 'the checkpointer thread stopped' });
      handler({ type: 'closed', id: 0 });
    }
  });
  // The thread serves open files; it must not keep a process alive that has nothing else to do.
  worker.unref();
  shared = { worker, files, closing: 0 };
  return shared;
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
  let closed: (() => void) | null = null;
  files.set(id, (reply) => {
    if (reply.type === 'checkpointed') requested = false;
    if (reply.type === 'failed' && !failed) {
      failed = true;
      onFailure(reply.message ?? 'unknown error');
    }
    if (reply.type === 'closed') closed?.();
  });
  worker.postMessage({ type: 'open', id, file });
  return {
    committed() {
      if (requested || failed) return;
      requested = true;
      worker.postMessage({ type: 'commit', id });
    },
    async close() {
      if (failed || !files.has(id)) return;
      // Held while waiting, so the process does not exit before the connection is closed.
      if (thread.closing++ === 0) worker.ref();
      try {
        await new Promise<void>((resolve) => {
          closed = resolve;
          worker.postMessage({ type: 'close', id });
        });
      } finally {
        files.delete(id);
        if (--thread.closing === 0) worker.unref();
      }
    },
  };
}
