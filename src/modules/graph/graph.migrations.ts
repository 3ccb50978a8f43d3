import type { Migration, TableSpec } from '../../db/index.ts';
import { sqliteEdgeRuns } from './graph.edge-runs.ts';

/**
 * Tables of mule-ring detection: its own store of booked money movements (an edge per event, kept for
 * GRAPH_LIMITS.edgeRetentionMs), the scores of the latest scan with their explanations, and a short
 * record of each scan. Amounts are minor units; instants are milliseconds from the injected clock.
 */
const body = (int: string) => `
CREATE TABLE graph_edges (
  id TEXT PRIMARY KEY,
  at_ms ${int} NOT NULL,
  source_account TEXT NOT NULL,
  target_account TEXT NOT NULL,
  amount_minor ${int} NOT NULL,
  currency TEXT NOT NULL,
  device_id TEXT,
  source_party TEXT,
  target_party TEXT
);
CREATE INDEX graph_edges_at ON graph_edges (at_ms, id);
CREATE INDEX graph_edges_source ON graph_edges (source_account, at_ms);
CREATE INDEX graph_edges_target ON graph_edges (target_account, at_ms);
CREATE TABLE graph_scores (
  account_id TEXT PRIMARY KEY,
  score_bp ${int} NOT NULL,
  signals TEXT NOT NULL,
  ring_key TEXT,
  scan_id TEXT NOT NULL,
  scanned_at_ms ${int} NOT NULL
);
CREATE TABLE graph_scans (
  id TEXT PRIMARY KEY,
  started_at_ms ${int} NOT NULL,
  since_ms ${int} NOT NULL,
  until_ms ${int} NOT NULL,
  accounts ${int} NOT NULL,
  edges ${int} NOT NULL,
  edges_truncated ${int} NOT NULL,
  cycles ${int} NOT NULL,
  cycle_search_truncated ${int} NOT NULL,
  rings ${int} NOT NULL,
  alerts ${int} NOT NULL
);
`;

/**
 * The lease of the scheduled scan: one row, taken by a conditional UPDATE when it has expired, so that
 * of several processes on one database only one scans per interval. expires_at_ms is when the next
 * scheduled scan is due; scanned_at_ms when the last scan of any kind finished.
 */
const lease = (int: string) => `
CREATE TABLE graph_scan_lease (
  name TEXT PRIMARY KEY,
  holder TEXT,
  taken_at_ms ${int},
  expires_at_ms ${int} NOT NULL,
  scanned_at_ms ${int}
);
INSERT INTO graph_scan_lease (name, holder, taken_at_ms, expires_at_ms, scanned_at_ms) VALUES ('scheduled_scan', NULL, NULL, 0, NULL);
`;

/**
 * Edges are indexed by account in batches rather than one by one. An edge lands at two random places
 * of the by-account indexes, and on SQLite each page a commit touches is written whole to the WAL and
 * again by the checkpoint: with commits every few hundred milliseconds that was most of what
 * recording an edge cost. So a new edge is written (on SQLite; see defersAccountIndex in
 * graph.repository.ts) with account_indexed = 0, outside the by-account
 * indexes (only in a small time-ordered index of such edges, whose writes append), and the writer
 * moves thousands of them into the by-account indexes in one transaction (see indexEdgesByAccount),
 * where many share a page. Queries by account read both parts. Existing rows (and imported ones)
 * take the default, 1: indexed. On SQLite graph/005 replaced these indexes by sorted runs.
 */
const deferredAccountIndex = `
ALTER TABLE graph_edges ADD COLUMN account_indexed INTEGER NOT NULL DEFAULT 1;
DROP INDEX IF EXISTS graph_edges_source;
DROP INDEX IF EXISTS graph_edges_target;
CREATE INDEX graph_edges_source_indexed ON graph_edges (source_account, at_ms) WHERE account_indexed = 1;
CREATE INDEX graph_edges_target_indexed ON graph_edges (target_account, at_ms) WHERE account_indexed = 1;
CREATE INDEX graph_edges_unindexed ON graph_edges (at_ms, id) WHERE account_indexed = 0;
`;

/**
 * Whether an edge is a payment (its id is the payment's UETR) or a ledger transfer (its id is the
 * transfer id), so that an alert links each to what it is. A dump carries it; edges of a dump written
 * before it existed count as transfers.
 */
const edgePayments = `
ALTER TABLE graph_edges ADD COLUMN payment INTEGER NOT NULL DEFAULT 0;
`;

export const graphMigrations: readonly Migration[] = [
  { id: 'graph/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } },
  { id: 'graph/002_scan_lease', sql: { sqlite: lease('INTEGER'), postgres: lease('BIGINT') } },
  { id: 'graph/003_deferred_account_index', sql: { sqlite: deferredAccountIndex, postgres: deferredAccountIndex } },
  { id: 'graph/004_edge_payments', sql: { sqlite: edgePayments, postgres: edgePayments } },
  // SQLite: edges by account as sorted runs (graph.edge-runs.ts); PostgreSQL keeps its B-tree indexes.
  { id: 'graph/005_sqlite_edge_runs', sql: { sqlite: sqliteEdgeRuns, postgres: '' } },
];

export const graphTables: readonly TableSpec[] = [
  { name: 'graph_edges', columns: ['id', 'at_ms', 'source_account', 'target_account', 'amount_minor', 'currency', 'device_id', 'source_party', 'target_party', 'payment'], orderBy: 'id', addedColumns: ['payment'] },
  { name: 'graph_scores', columns: ['account_id', 'score_bp', 'signals', 'ring_key', 'scan_id', 'scanned_at_ms'], orderBy: 'account_id' },
  { name: 'graph_scan_lease', columns: ['name', 'holder', 'taken_at_ms', 'expires_at_ms', 'scanned_at_ms'], orderBy: 'name', replaceOnImport: true },
  { name: 'graph_scans', columns: ['id', 'started_at_ms', 'since_ms', 'until_ms', 'accounts', 'edges', 'edges_truncated', 'cycles', 'cycle_search_truncated', 'rings', 'alerts'], orderBy: 'id' },
];
