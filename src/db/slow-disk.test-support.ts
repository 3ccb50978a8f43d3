import type { Database } from './port.ts';
import { openSqlite } from './sqlite.ts';

/**
 * An in-memory SQLite whose pipelined transactions commit at once but report "on disk" only when
 * the test calls `flush()`, as the file-backed adapter does when the disk is slow. What a writer
 * tells its callers before the disk has a batch, and what it must not, is then observable.
 */
export function openSlowDiskSqlite() {
  const base = openSqlite(':memory:');
  let waiting: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let commits = 0;
  const db: Database = Object.assign(Object.create(base) as Database, {
    async pipelinedTransaction<T>(work: Parameters<Database['transaction']>[0]) {
      const result = (await base.transaction(work)) as T;
      commits += 1;
      const durable = new Promise<void>((resolve, reject) => waiting.push({ resolve, reject }));
      return { result, durable };
    },
  });
  return {
    db,
    commits: () => commits,
    /** Every commit so far reaches the disk (or fails to, with `error`). */
    flush(error?: Error) {
      const released = waiting;
      waiting = [];
      for (const commit of released) (error ? commit.reject(error) : commit.resolve());
    },
    close: () => base.close(),
  };
}
