import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';

/**
 * The database port. SQL is written with `?` placeholders; the PostgreSQL adapter numbers them.
 * Integer columns come back as bigint on both dialects (SQLite safe integers, PostgreSQL int8),
 * so every integer column is declared BIGINT on PostgreSQL.
 */
export type Dialect = 'sqlite' | 'postgres';
export type SqlValue = string | number | bigint | null | Buffer | boolean;
export type Row = Record<string, unknown>;

export interface Queryable {
  readonly dialect: Dialect;
  all<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R[]>;
  get<R extends Row = Row>(sql: string, params?: readonly SqlValue[]): Promise<R | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /**
   * Offered only inside a transaction that checks every statement before it commits: sends a write
   * without waiting for its answer, so that the caller can go on while the server works. Its failure
   * still fails the transaction. Callers use run() where it is missing.
   */
  readonly defer?: (sql: string, params?: readonly SqlValue[]) => void;
}

export interface Database extends Queryable {
  /** Runs `work` in one transaction; it commits when the promise resolves and rolls back when it rejects. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Like transaction(), but settles as soon as the transaction has committed, so that the next one
   * can start while this one is flushed to disk; `durable` settles once it is on disk. Nothing may
   * be acknowledged to anyone before `durable` resolves. Only SQLite has it: its flush runs off the
   * event loop (sqlite.durability.ts); PostgreSQL flushes before COMMIT answers.
   */
  readonly pipelinedTransaction?: <T>(work: (tx: Queryable) => Promise<T>) => Promise<{ readonly result: T; readonly durable: Promise<void> }>;
  /**
   * Runs read-only `work` against one consistent snapshot while writers carry on: verification and
   * export must not see half of a batch that commits while they read, nor block the ledger.
   */
  snapshot<T>(work: (q: Queryable) => Promise<T>): Promise<T>;
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
  /** True when the database answers a trivial query. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
  /**
   * SQLite only: how many statements run through this adapter (run, get, all, exec) may have
   * changed one of `tables` since the first call for them. A statement counts when SQLite does not
   * call it read-only and its text names one of the tables.
   * Statements prepared on the raw handle are not counted: they belong to the code that prepared
   * them. A module that remembers its tables between transactions uses it to see writes it did not
   * make on the same connection, which `data_version` does not show.
   */
  readonly writesTo?: (tables: readonly string[]) => number;
  /** The raw handles, for hot paths written per dialect. Exactly one is set. */
  readonly sqlite?: BetterSqlite3.Database;
  readonly pool?: pg.Pool;
}

/** The database could not be reached or stopped answering: the edge answers 503, never 500. */
export class DatabaseUnavailableError extends Error {
  override readonly name = 'DatabaseUnavailableError';
}
