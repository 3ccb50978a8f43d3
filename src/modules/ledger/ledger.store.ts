import type { Queryable } from '../../db/index.ts';
import type { BatchEffects, LedgerSnapshot } from './ledger.apply.ts';
import type { Account, PendingState, Transfer } from './ledger.ts';
import type { TransferError } from './ledger.errors.ts';

/** The ids the batches of a transaction name, before anything is read. */
export interface ExpectedReads {
  readonly transfers: readonly string[];
  readonly accounts: readonly string[];
  readonly pending: readonly string[];
  readonly failures: readonly string[];
  readonly ledgers: readonly number[];
}

/**
 * What the engine needs from storage inside one write transaction. Each dialect implements it with
 * its own hand-written SQL: SQLite row by row through prepared statements (microseconds each),
 * PostgreSQL in bulk through arrays (one round trip per table).
 */
export interface LedgerWriteTx {
  /**
   * A hint, given before the first batch when several share the transaction: what all of them name.
   * A store may read it in one go; every batch still asks for what it needs through the methods below.
   */
  expectReads?(reads: ExpectedReads): void;
  /** Locks the ledger clock row (serialising batches across processes) and returns the last timestamp used. */
  lockClock(): Promise<bigint>;
  setClock(lastTimestamp: bigint): Promise<void>;
  dueExpiries(nowNs: bigint, limit: number): Promise<string[]>;
  loadTransfers(ids: readonly string[]): Promise<Transfer[]>;
  loadAccounts(ids: readonly string[]): Promise<Account[]>;
  loadPending(ids: readonly string[]): Promise<PendingState[]>;
  loadFailures(ids: readonly string[]): Promise<Map<string, TransferError>>;
  existingLedgers(ids: readonly number[]): Promise<Set<number>>;
  write(effects: BatchEffects, snapshot: LedgerSnapshot): Promise<void>;
  /** The transaction itself, for the journal append that commits with the batch. */
  readonly queryable: Queryable;
}

export interface LedgerStore {
  /** Runs `work` in one write transaction and settles once it is committed and on disk. */
  writeBatch<T>(work: (tx: LedgerWriteTx) => Promise<T>): Promise<T>;
  /**
   * Like writeBatch, but settles at the commit, with `durable` settling once the commit is on disk:
   * the engine applies the next batch meanwhile and answers callers only when `durable` resolves.
   * Stores whose commit answers only once it is on disk (PostgreSQL) need not have it.
   */
  writeBatchPipelined?<T>(work: (tx: LedgerWriteTx) => Promise<T>): Promise<{ readonly result: T; readonly durable: Promise<void> }>;
  /**
   * For a store whose server runs a transaction's writes while the engine goes on (PostgreSQL): the
   * engine applies a large request in parts of about this many transfers, each written as soon as it
   * is applied, so that the server inserts one part while the next is applied. Undefined: whole.
   */
  readonly partItems?: number;
  /**
   * For a store whose commits follow each other across processes (PostgreSQL, through the clock row
   * lock held until the commit is on disk): how long the engine may wait, after a group answered
   * many callers, for them to come back before it takes the next batch (see ledger.engine.ts
   * lingerFor). Undefined: the next batch is taken at once.
   */
  readonly lingerMs?: number;
}
