import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Ledger tables. Integer columns are BIGINT on PostgreSQL so both dialects read them as bigint.
 * Timestamps are nanoseconds since the epoch, unique across accounts, transfers and events.
 * On SQLite, transfers are keyed by timestamp (the rowid) so that inserts append.
 */
const sqlite = `
CREATE TABLE ledger_ledgers (
  id INTEGER PRIMARY KEY,
  asset_code TEXT NOT NULL,
  scale INTEGER NOT NULL,
  name TEXT NOT NULL,
  timestamp INTEGER NOT NULL
);
CREATE TABLE ledger_clock (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  last_timestamp INTEGER NOT NULL
);
INSERT INTO ledger_clock (id, last_timestamp) VALUES (1, 0);
CREATE TABLE ledger_accounts (
  id TEXT PRIMARY KEY,
  ledger INTEGER NOT NULL,
  code INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  initial_flags INTEGER NOT NULL,
  debits_pending INTEGER NOT NULL,
  debits_posted INTEGER NOT NULL,
  credits_pending INTEGER NOT NULL,
  credits_posted INTEGER NOT NULL,
  party_id TEXT,
  metadata TEXT,
  timestamp INTEGER NOT NULL UNIQUE
) WITHOUT ROWID;
CREATE INDEX ledger_accounts_party ON ledger_accounts (party_id) WHERE party_id IS NOT NULL;
CREATE TABLE ledger_transfers (
  timestamp INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  amount INTEGER NOT NULL,
  pending_id TEXT,
  ledger INTEGER NOT NULL,
  code INTEGER NOT NULL,
  flags INTEGER NOT NULL,
  timeout_seconds INTEGER NOT NULL,
  metadata TEXT
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, timestamp);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, timestamp);
CREATE INDEX ledger_transfers_code ON ledger_transfers (code, timestamp);
CREATE TABLE ledger_pending (
  id TEXT PRIMARY KEY,
  status TEXT NOT NULL,
  expires_at INTEGER NOT NULL,
  resolved_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ledger_pending_due ON ledger_pending (expires_at) WHERE status = 'pending' AND expires_at > 0;
CREATE TABLE ledger_balances (
  account_id TEXT NOT NULL,
  timestamp INTEGER NOT NULL,
  debits_pending INTEGER NOT NULL,
  debits_posted INTEGER NOT NULL,
  credits_pending INTEGER NOT NULL,
  credits_posted INTEGER NOT NULL,
  PRIMARY KEY (account_id, timestamp)
) WITHOUT ROWID;
CREATE TABLE ledger_account_events (
  timestamp INTEGER PRIMARY KEY,
  account_id TEXT NOT NULL,
  kind TEXT NOT NULL
);
CREATE TABLE ledger_transfer_failures (
  id TEXT PRIMARY KEY,
  result TEXT NOT NULL,
  timestamp INTEGER NOT NULL
) WITHOUT ROWID;
`;

const postgres = `
CREATE TABLE ledger_ledgers (
  id BIGINT PRIMARY KEY,
  asset_code TEXT NOT NULL,
  scale BIGINT NOT NULL,
  name TEXT NOT NULL,
  timestamp BIGINT NOT NULL
);
CREATE TABLE ledger_clock (
  id BIGINT PRIMARY KEY CHECK (id = 1),
  last_timestamp BIGINT NOT NULL
);
INSERT INTO ledger_clock (id, last_timestamp) VALUES (1, 0);
CREATE TABLE ledger_accounts (
  id UUID PRIMARY KEY,
  ledger BIGINT NOT NULL,
  code BIGINT NOT NULL,
  flags BIGINT NOT NULL,
  initial_flags BIGINT NOT NULL,
  debits_pending BIGINT NOT NULL,
  debits_posted BIGINT NOT NULL,
  credits_pending BIGINT NOT NULL,
  credits_posted BIGINT NOT NULL,
  party_id TEXT,
  metadata TEXT,
  timestamp BIGINT NOT NULL UNIQUE
);
CREATE INDEX ledger_accounts_party ON ledger_accounts (party_id) WHERE party_id IS NOT NULL;
CREATE TABLE ledger_transfers (
  id UUID PRIMARY KEY,
  timestamp BIGINT NOT NULL UNIQUE,
  debit_account_id UUID NOT NULL,
  credit_account_id UUID NOT NULL,
  amount BIGINT NOT NULL,
  pending_id UUID,
  ledger BIGINT NOT NULL,
  code BIGINT NOT NULL,
  flags BIGINT NOT NULL,
  timeout_seconds BIGINT NOT NULL,
  metadata TEXT
);
CREATE INDEX ledger_transfers_debit ON ledger_transfers (debit_account_id, timestamp);
CREATE INDEX ledger_transfers_credit ON ledger_transfers (credit_account_id, timestamp);
CREATE INDEX ledger_transfers_code ON ledger_transfers (code, timestamp);
CREATE TABLE ledger_pending (
  id UUID PRIMARY KEY,
  status TEXT NOT NULL,
  expires_at BIGINT NOT NULL,
  resolved_at BIGINT NOT NULL
);
CREATE INDEX ledger_pending_due ON ledger_pending (expires_at) WHERE status = 'pending' AND expires_at > 0;
CREATE TABLE ledger_balances (
  account_id UUID NOT NULL,
  timestamp BIGINT NOT NULL,
  debits_pending BIGINT NOT NULL,
  debits_posted BIGINT NOT NULL,
  credits_pending BIGINT NOT NULL,
  credits_posted BIGINT NOT NULL,
  PRIMARY KEY (account_id, timestamp)
);
CREATE TABLE ledger_account_events (
  timestamp BIGINT PRIMARY KEY,
  account_id UUID NOT NULL,
  kind TEXT NOT NULL
);
CREATE TABLE ledger_transfer_failures (
  id UUID PRIMARY KEY,
  result TEXT NOT NULL,
  timestamp BIGINT NOT NULL
);
`;

/**
 * SQLite: the per-account indexes of ledger_transfers give way to postings written as sorted runs
 * (ledger.postings.ts), because a batch dirtied most of their pages. Transfers already stored form
 * the first run here, so queries by account stay fast from the first start after the upgrade.
 * The level written here is informational: the writer works levels out from run sizes (see
 * postingLevel()). PostgreSQL keeps its indexes; the migration only records itself there.
 */
const sqlitePostings = `
CREATE TABLE ledger_postings (
  run INTEGER NOT NULL,
  account INTEGER NOT NULL,
  timestamp INTEGER NOT NULL,
  PRIMARY KEY (run, account, timestamp)
) WITHOUT ROWID;
CREATE TABLE ledger_posting_runs (
  run INTEGER PRIMARY KEY,
  level INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  merging INTEGER NOT NULL
);
CREATE TABLE ledger_posting_state (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  indexed_through INTEGER NOT NULL,
  merge_run INTEGER,
  merge_account INTEGER,
  merge_timestamp INTEGER
);
INSERT INTO ledger_posting_state (id, indexed_through) VALUES (1, (SELECT COALESCE(MAX(timestamp), 0) FROM ledger_transfers));
INSERT INTO ledger_postings (run, account, timestamp)
  SELECT 1, a.timestamp, t.timestamp FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.debit_account_id
  UNION ALL
  SELECT 1, a.timestamp, t.timestamp FROM ledger_transfers t JOIN ledger_accounts a ON a.id = t.credit_account_id
  ORDER BY 2, 3;
INSERT INTO ledger_posting_runs (run, level, entries, merging)
  SELECT 1, CASE WHEN n < 65536 THEN 0 WHEN n < 524288 THEN 1 WHEN n < 4194304 THEN 2 WHEN n < 33554432 THEN 3 WHEN n < 268435456 THEN 4 ELSE 5 END, n, 0
  FROM (SELECT COUNT(*) AS n FROM ledger_postings) WHERE n > 0;
DROP INDEX ledger_transfers_debit;
DROP INDEX ledger_transfers_credit;
`;

/**
 * PostgreSQL: every transfer rewrites two account rows. With room left on each page, the new row
 * version goes on the same page and, since no indexed column changes, no index gets a new entry
 * (a heap-only tuple update). In batches of 8,190 transfers over 10,000 accounts this took such
 * updates from about half to nine tenths of all account updates, and cut the WAL written by an
 * eighth. Pages written from now on keep 30 % free; SQLite has no such setting.
 */
const postgresAccountsFillfactor = `
ALTER TABLE ledger_accounts SET (fillfactor = 70);
`;

/**
 * Verification recomputes each batch's digest from the rows in its timestamp range, expiries among
 * them: without this index every batch entry scanned all of ledger_pending, so `sluice verify` took
 * time in the square of the installation's size (31 s for 12,500 payments' 150,000 legs, where the
 * rest of it took under 2 s). Only expired rows are in it, which few transfers become.
 */
const expiredIndex = `
CREATE INDEX ledger_pending_expired ON ledger_pending (resolved_at) WHERE status = 'expired';
`;

export const ledgerMigrations: readonly Migration[] = [
  { id: 'ledger/001_init', sql: { sqlite, postgres } },
  { id: 'ledger/002_sqlite_postings', sql: { sqlite: sqlitePostings, postgres: '' } },
  { id: 'ledger/003_postgres_accounts_fillfactor', sql: { sqlite: '', postgres: postgresAccountsFillfactor } },
  { id: 'ledger/004_expired_index', sql: { sqlite: expiredIndex, postgres: expiredIndex } },
];

/** The ledger's tables as a portable dump carries them (see db/dump.ts). */
export const ledgerTables: readonly TableSpec[] = [
  { name: 'ledger_ledgers', columns: ['id', 'asset_code', 'scale', 'name', 'timestamp'], orderBy: 'id' },
  { name: 'ledger_clock', columns: ['id', 'last_timestamp'], orderBy: 'id', replaceOnImport: true },
  {
    name: 'ledger_accounts',
    columns: ['id', 'ledger', 'code', 'flags', 'initial_flags', 'debits_pending', 'debits_posted', 'credits_pending', 'credits_posted', 'party_id', 'metadata', 'timestamp'],
    orderBy: 'timestamp',
  },
  {
    name: 'ledger_transfers',
    columns: ['timestamp', 'id', 'debit_account_id', 'credit_account_id', 'amount', 'pending_id', 'ledger', 'code', 'flags', 'timeout_seconds', 'metadata'],
    orderBy: 'timestamp',
  },
  { name: 'ledger_pending', columns: ['id', 'status', 'expires_at', 'resolved_at'], orderBy: 'id' },
  { name: 'ledger_balances', columns: ['account_id', 'timestamp', 'debits_pending', 'debits_posted', 'credits_pending', 'credits_posted'], orderBy: 'account_id, timestamp' },
  { name: 'ledger_account_events', columns: ['timestamp', 'account_id', 'kind'], orderBy: 'timestamp' },
  { name: 'ledger_transfer_failures', columns: ['id', 'result', 'timestamp'], orderBy: 'id' },
];
