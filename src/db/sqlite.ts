import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DatabaseUnavailableError, type Database, type Queryable, type Row, type SqlValue } from './port.ts';
import { WAL_KEPT_BYTES, startCheckpoints, type Checkpoints } from './sqlite.checkpoints.ts';
import { createWalDurability, walFileFlusher } from './sqlite.durability.ts';
import { registerTextKey } from './sorted-runs.ts';

/** SQLite's own checkpoint threshold, used again should the checkpointer thread fail. */
const SQLITE_DEFAULT_CHECKPOINT_PAGES = 1000;

/** Another process holding the write lock past busy_timeout is "try again", not a bug. */
function wrapBusy(error: unknown): unknown {
  const code = (error as { code?: string } | null)?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') ? new DatabaseUnavailableError(`the database file is locked by another process (${code})`) : error;
}

/**
 * Counts, per registered set of tables, the statements that may have written one of them
 * (Database.writesTo). Which sets a statement names is worked out once per SQL text, from the
 * identifiers in it: a column that merely starts like a table (payments.ledger_state) is not a table.
 */
function createWriteCounter() {
  const counts = new Map<string, { readonly tables: ReadonlySet<string>; count: number }>();
  const named = new Map<string, readonly { count: number }[]>();
  const setsIn = (sql: string) => {
    let sets = named.get(sql);
    if (!sets) {
      const identifiers = new Set(sql.toLowerCase().match(/[a-z_][a-z0-9_]*/g) ?? []);
      sets = [...counts.values()].filter((set) => [...set.tables].some((table) => identifiers.has(table)));
      named.set(sql, sets);
    }
    return sets;
  };
  return {
    /** Called for every statement that may write (not read-only, or a script). */
    wrote(sql: string): void {
      if (counts.size === 0) return;
      for (const set of setsIn(sql)) set.count++;
    },
    writesTo(tables: readonly string[]): number {
      const key = [...tables].map((table) => table.toLowerCase()).sort().join(' ');
      let set = counts.get(key);
      if (!set) {
        set = { tables: new Set(key.split(' ')), count: 0 };
        counts.set(key, set);
        // Texts seen before this set was known are looked at again.
        named.clear();
      }
      return set.count;
    },
  };
}
type WriteCounter = ReturnType<typeof createWriteCounter>;

function directQueryable(db: BetterSqlite3.Database, writes?: WriteCounter): Queryable {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string): BetterSqlite3.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    if (writes && !statement.readonly) writes.wrote(sql);
    return statement;
  };
  const bind = (params: readonly SqlValue[]): unknown[] => params.map((value) => (typeof value === 'boolean' ? (value ? 1 : 0) : value));
  return {
    dialect: 'sqlite',
    async all<R extends Row>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...bind(params)) as R[];
    },
    async get<R extends Row>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).get(...bind(params)) as R | undefined;
    },
    async run(sql: string, params: readonly SqlValue[] = []) {
      try {
        const info = prepare(sql).run(...bind(params));
        return { changes: Number(info.changes) };
      } catch (error) {
        throw wrapBusy(error);
      }
    },
  };
}

/**
 * Embedded SQLite through better-sqlite3: one file, WAL, and nothing settled before it is on disk.
 * better-sqlite3 is synchronous; an async transaction holds a lock that every other statement of
 * this adapter waits for, so no statement joins someone else's transaction.
 *
 * Durability is `synchronous=FULL`'s, without its fsync on the event loop (sqlite.durability.ts):
 * a transaction's promise settles once its commit is flushed, and a read outside a transaction
 * settles once every commit it could have seen is flushed, so nobody hears of anything a power cut
 * could take back. Checkpoints run in a worker thread for the same reason.
 */
/** Modes of what Sluice creates to hold an installation's data: readable by its owner only. */
export const PRIVATE_DIRECTORY_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

export function openSqlite(file: string): Database {
  const inMemory = file === ':memory:';
  if (!inMemory) {
    // The file holds every balance, party and key hash: only its owner may read it. A folder made
    // here is the owner's alone; a new file is made 0600 before SQLite opens it, and SQLite gives
    // the WAL and its index the database file's mode. Existing files keep what their owner chose.
    mkdirSync(dirname(file), { recursive: true, mode: PRIVATE_DIRECTORY_MODE });
    closeSync(openSync(file, 'a', PRIVATE_FILE_MODE));
  }
  const db = new BetterSqlite3(file);
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  // NORMAL only leaves out the flush inside COMMIT; `durability` does it off the event loop.
  db.pragma(inMemory ? 'synchronous = FULL' : 'synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // A bigger page cache keeps hot account and index pages in memory (negative means KiB).
  db.pragma('cache_size = -65536');
  // Indexes kept as sorted runs key text columns by it, in migrations too (see sorted-runs.ts).
  registerTextKey(db);
  const writes = createWriteCounter();
  const direct = directQueryable(db, writes);
  const durability = inMemory ? undefined : createWalDurability(walFileFlusher(`${resolve(file)}-wal`, dirname(resolve(file))));
  let checkpoints: Checkpoints | undefined;
  if (!inMemory) {
    db.pragma('wal_autocheckpoint = 0');
    // Once the WAL starts over, its first commit cuts the file back to this size (see sqlite.checkpoints.ts).
    db.pragma(`journal_size_limit = ${WAL_KEPT_BYTES}`);
    // Should the thread fail, checkpoints go back into the commits, as SQLite does by default.
    checkpoints = startCheckpoints(resolve(file), () => {
      if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_DEFAULT_CHECKPOINT_PAGES}`);
    });
  }
  /** Numbers a commit and returns the promise of its flush. */
  const committed = (): Promise<void> => {
    if (!durability) return Promise.resolve();
    const commit = durability.committed();
    checkpoints?.committed();
    return durability.durable(commit);
  };
  const flushedBeforeAnswer = async <T>(value: T): Promise<T> => {
    if (durability) await durability.durable();
    return value;
  };

  let lock: Promise<void> = Promise.resolve();
  const exclusive = async <T>(work: () => Promise<T>): Promise<T> => {
    const previous = lock;
    let release!: () => void;
    lock = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  };
  let inTransaction = false;
  const guarded = <A extends unknown[], T>(method: (...args: A) => Promise<T>) =>
    (...args: A): Promise<T> => (inTransaction ? exclusive(() => method(...args)) : method(...args));
  const read = <A extends unknown[], T>(method: (...args: A) => Promise<T>) => {
    const inTurn = guarded(method);
    return async (...args: A): Promise<T> => flushedBeforeAnswer(await inTurn(...args));
  };
  const write = guarded(async (sql: string, params?: readonly SqlValue[]) => {
    const info = await direct.run(sql, params);
    return { info, durable: committed() };
  });

  // Prepared once: preparing them for every transaction cost a few microseconds each, on every
  // group commit of the ledger and every flush of the risk, feature and graph writers.
  const beginStatement = db.prepare('BEGIN IMMEDIATE');
  const commitStatement = db.prepare('COMMIT');
  const rollbackStatement = db.prepare('ROLLBACK');

  function pipelinedTransaction<T>(work: (tx: Queryable) => Promise<T>): Promise<{ result: T; durable: Promise<void> }> {
    return exclusive(async () => {
      // Under this adapter's lock, so the worker copies the whole WAL and this transaction restarts it.
      await checkpoints?.drainIfDue();
      inTransaction = true;
      try {
        beginStatement.run();
      } catch (error) {
        inTransaction = false;
        throw wrapBusy(error);
      }
      try {
        const result = await work(direct);
        commitStatement.run();
        return { result, durable: committed() };
      } catch (error) {
        if (db.inTransaction) rollbackStatement.run();
        throw wrapBusy(error);
      } finally {
        inTransaction = false;
      }
    });
  }

  const database: Database = {
    dialect: 'sqlite',
    sqlite: db,
    all: read(direct.all) as Queryable['all'],
    get: read(direct.get) as Queryable['get'],
    async run(sql: string, params?: readonly SqlValue[]) {
      const { info, durable } = await write(sql, params);
      await durable;
      return info;
    },
    pipelinedTransaction,
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      const { result, durable } = await pipelinedTransaction(work);
      await durable;
      return result;
    },
    async snapshot<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
      if (inMemory) return database.transaction(work);
      // A second, read-only connection: in WAL mode its read transaction sees one committed state
      // for as long as it lasts, while this connection keeps committing.
      const reader = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
      reader.defaultSafeIntegers(true);
      try {
        reader.prepare('BEGIN').run();
        reader.prepare('SELECT COUNT(*) FROM sqlite_master').get();
        // The snapshot may include commits not yet flushed: none of it is read before they are.
        await durability?.durable();
        return await work(directQueryable(reader));
      } finally {
        if (reader.inTransaction) reader.prepare('COMMIT').run();
        reader.close();
      }
    },
    writesTo: writes.writesTo,
    async exec(sql: string) {
      writes.wrote(sql);
      await exclusive(async () => void db.exec(sql));
      await committed();
    },
    async ping() {
      return db.open;
    },
    async close() {
      await checkpoints?.close();
      await durability?.close();
      await exclusive(async () => void db.close());
    },
  };
  return database;
}
