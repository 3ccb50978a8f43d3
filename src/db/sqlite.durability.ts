import { open, type FileHandle } from 'node:fs/promises';
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

/** What flushes the WAL: the file's data, and once its directory entry. Tests pass their own. */
export interface WalFlusher {
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function walFileFlusher(walPath: string, directoryPath: string): WalFlusher {
  let wal: FileHandle | null = null;
  let directorySynced = false;
  return {
    async flush() {
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
    },
    async close() {
      await wal?.close();
      wal = null;
    },
  };
}

export function createWalDurability(flusher: WalFlusher): WalDurability {
  let committedCount = 0;
  let durableCount = 0;
  let failure: Error | null = null;
  let flushing: { promise: Promise<void>; through: number } | null = null;
  let queued: { promise: Promise<void>; through: number } | null = null;
  const flush = () => flusher.flush();

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
      await flusher.close();
    },
  };
  return tracker;
}
