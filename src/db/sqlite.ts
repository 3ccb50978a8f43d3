import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { DatabaseUnavailableError, type Database, type Queryable, type Row, type SqlValue } from './port.ts';

/** Another process holding the write lock past busy_timeout is "try again", not a bug. */
function wrapBusy(error: unknown): unknown {
  const code = (error as { code?: string } | null)?.code ?? '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') ? new DatabaseUnavailableError(`the database file is locked by another process (${code})`) : error;
}

function directQueryable(db: BetterSqlite3.Database): Queryable {
  const statements = new Map<string, BetterSqlite3.Statement>();
  const prepare = (sql: string): BetterSqlite3.Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
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
 * Embedded SQLite through better-sqlite3: one file, WAL, synchronous=FULL so that a commit is on disk
 * before it is acknowledged. better-sqlite3 is synchronous; an async transaction holds a lock that
 * every other statement of this adapter waits for, so no statement joins someone else's transaction.
 */
export function openSqlite(file: string): Database {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new BetterSqlite3(file);
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // A bigger page cache keeps hot account and index pages in memory (negative means KiB).
  db.pragma('cache_size = -65536');
  const direct = directQueryable(db);

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

  const database: Database = {
    dialect: 'sqlite',
    sqlite: db,
    all: guarded(direct.all) as Queryable['all'],
    get: guarded(direct.get) as Queryable['get'],
    run: guarded(direct.run),
    transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      return exclusive(async () => {
        inTransaction = true;
        try {
          db.prepare('BEGIN IMMEDIATE').run();
        } catch (error) {
          inTransaction = false;
          throw wrapBusy(error);
        }
        try {
          const result = await work(direct);
          db.prepare('COMMIT').run();
          return result;
        } catch (error) {
          if (db.inTransaction) db.prepare('ROLLBACK').run();
          throw wrapBusy(error);
        } finally {
          inTransaction = false;
        }
      });
    },
    async snapshot<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
      if (file === ':memory:') return database.transaction(work);
      // A second, read-only connection: in WAL mode its read transaction sees one committed state
      // for as long as it lasts, while this connection keeps committing.
      const reader = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
      reader.defaultSafeIntegers(true);
      try {
        reader.prepare('BEGIN').run();
        reader.prepare('SELECT COUNT(*) FROM sqlite_master').get();
        return await work(directQueryable(reader));
      } finally {
        if (reader.inTransaction) reader.prepare('COMMIT').run();
        reader.close();
      }
    },
    async exec(sql: string) {
      await exclusive(async () => void db.exec(sql));
    },
    async ping() {
      return db.open;
    },
    async close() {
      await exclusive(async () => void db.close());
    },
  };
  return database;
}
