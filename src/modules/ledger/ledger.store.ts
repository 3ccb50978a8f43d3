import type { Queryable } from '../../db/index.ts';
import type { BatchEffects, LedgerSnapshot } from './ledger.apply.ts';
import type { Account, PendingState, Transfer } from './ledger.ts';
import type { TransferError } from './ledger.errors.ts';

/**
 * What the engine needs from storage inside one write transaction. Each dialect implements it with
 * its own hand-written SQL: SQLite row by row through prepared statements (microseconds each),
 * PostgreSQL in bulk through arrays (one round trip per table).
 */
export interface LedgerWriteTx {
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
  writeBatch<T>(work: (tx: LedgerWriteTx) => Promise<T>): Promise<T>;
}
