import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { uuidv7 } from '../src/kernel/index.ts';
import type { TransferRequest } from '../src/modules/ledger/index.ts';

/**
 * The ledger baseline: the least a durable ledger on SQLite must do, written as directly as
 * better-sqlite3 allows. Per transfer it inserts one row and updates two balance rows; a batch is
 * one transaction. It validates nothing, keeps no journal and has no index beyond the primary keys,
 * so it bounds what the engine can reach on this machine with the same durability settings
 * (WAL, synchronous=FULL) and the same page cache as `openSqlite`.
 */
export interface BaselineLedger {
  /** Applies one batch in one transaction and returns when it has committed. */
  apply(batch: readonly TransferRequest[], firstTimestamp: bigint): void;
  close(): void;
}

export function openBaselineLedger(dir: string, accountIds: readonly string[]): BaselineLedger {
  const db = new BetterSqlite3(join(dir, 'baseline.db'));
  db.defaultSafeIntegers(true);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('cache_size = -65536');
  db.exec(`
    CREATE TABLE accounts (
      id TEXT PRIMARY KEY,
      debits_posted INTEGER NOT NULL,
      credits_posted INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE transfers (
      id TEXT PRIMARY KEY,
      debit_account_id TEXT NOT NULL,
      credit_account_id TEXT NOT NULL,
      amount INTEGER NOT NULL,
      ledger INTEGER NOT NULL,
      code INTEGER NOT NULL,
      flags INTEGER NOT NULL,
      timestamp INTEGER NOT NULL
    ) WITHOUT ROWID;
  `);
  const insertAccount = db.prepare('INSERT INTO accounts (id, debits_posted, credits_posted) VALUES (?, 0, 0)');
  db.transaction(() => {
    for (const id of accountIds) insertAccount.run(id);
  })();

  const insertTransfer = db.prepare(
    'INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, ledger, code, flags, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const debit = db.prepare('UPDATE accounts SET debits_posted = debits_posted + ? WHERE id = ?');
  const credit = db.prepare('UPDATE accounts SET credits_posted = credits_posted + ? WHERE id = ?');
  const applyBatch = db.transaction((batch: readonly TransferRequest[], firstTimestamp: bigint) => {
    let timestamp = firstTimestamp;
    for (const transfer of batch) {
      insertTransfer.run(transfer.id, transfer.debitAccountId, transfer.creditAccountId, transfer.amount, transfer.ledger, transfer.code, transfer.flags, timestamp);
      debit.run(transfer.amount, transfer.debitAccountId);
      credit.run(transfer.amount, transfer.creditAccountId);
      timestamp += 1n;
    }
  });

  return {
    apply: (batch, firstTimestamp) => applyBatch(batch, firstTimestamp),
    close: () => db.close(),
  };
}

/** Account ids for the baseline when it runs on its own (the same kind of ids the engine makes). */
export function baselineAccountIds(count: number): string[] {
  return Array.from({ length: count }, () => uuidv7());
}
