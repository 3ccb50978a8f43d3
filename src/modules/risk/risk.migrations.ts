import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Tables of the decision path: every decision with the variables its rules saw (so a backtest
 * replays exactly what was decided), the holds of transfers and payments waiting for review, the
 * transfers each hold guards, and the settings (one row; absent means the defaults).
 * Instants are epoch milliseconds from the injected clock; scores and elapsed times are doubles.
 */
const body = (int: string, real: string) => `
CREATE TABLE risk_decisions (
  id TEXT PRIMARY KEY,
  event_id TEXT NOT NULL,
  source TEXT NOT NULL,
  at_ms ${int} NOT NULL,
  outcome TEXT NOT NULL,
  score ${real} NOT NULL,
  ruleset_id TEXT,
  ruleset_version ${int},
  fail_mode TEXT,
  elapsed_ms ${real} NOT NULL,
  body_json TEXT NOT NULL,
  variables_json TEXT
);
CREATE INDEX risk_decisions_event ON risk_decisions (event_id);
CREATE INDEX risk_decisions_at ON risk_decisions (at_ms, id);
CREATE INDEX risk_decisions_outcome ON risk_decisions (outcome, id);
CREATE TABLE risk_holds (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  status TEXT NOT NULL,
  decision_ids TEXT NOT NULL,
  items_json TEXT NOT NULL,
  amount ${int} NOT NULL,
  currency TEXT NOT NULL,
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  reasons_json TEXT NOT NULL,
  created_at_ms ${int} NOT NULL,
  resolved_at_ms ${int},
  resolved_by TEXT,
  note TEXT,
  detail TEXT
);
CREATE INDEX risk_holds_status ON risk_holds (status, created_at_ms, id);
CREATE TABLE risk_hold_transfers (
  transfer_id TEXT PRIMARY KEY,
  hold_id TEXT NOT NULL
);
CREATE TABLE risk_settings (
  id ${int} PRIMARY KEY,
  settings_json TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  updated_by TEXT NOT NULL
);
`;

/**
 * Approvals are nearly every decision and are never looked up by event or by outcome (a retried
 * transfer that was approved is answered by the ledger; the feed finds approvals by scanning in id
 * order), so only review and decline decisions are indexed by event and by outcome: an approval
 * then costs two append-only index entries (id, and time for backtests) instead of four.
 */
const partialIndexes = `
DROP INDEX IF EXISTS risk_decisions_event;
DROP INDEX IF EXISTS risk_decisions_outcome;
CREATE INDEX risk_decisions_flagged_event ON risk_decisions (event_id) WHERE outcome <> 'approve';
CREATE INDEX risk_decisions_flagged_outcome ON risk_decisions (outcome, id) WHERE outcome <> 'approve';
`;

/**
 * A decision stores its feature values in the order of a set of names kept here once (see
 * risk.json.ts). Decisions written before this migration kept names and values together; a
 * development database holding such rows should be recreated (nothing was released with them).
 */
const featureSets = `
CREATE TABLE risk_feature_sets (
  id TEXT PRIMARY KEY,
  names_json TEXT NOT NULL
);
`;

export const riskMigrations: readonly Migration[] = [
  { id: 'risk/001_init', sql: { sqlite: body('INTEGER', 'REAL'), postgres: body('BIGINT', 'DOUBLE PRECISION') } },
  { id: 'risk/002_flagged_indexes', sql: { sqlite: partialIndexes, postgres: partialIndexes } },
  { id: 'risk/003_feature_sets', sql: { sqlite: featureSets, postgres: featureSets } },
];

export const riskTables: readonly TableSpec[] = [
  {
    name: 'risk_decisions',
    columns: ['id', 'event_id', 'source', 'at_ms', 'outcome', 'score', 'ruleset_id', 'ruleset_version', 'fail_mode', 'elapsed_ms', 'body_json', 'variables_json'],
    orderBy: 'id',
  },
  {
    name: 'risk_holds',
    columns: [
      'id', 'kind', 'status', 'decision_ids', 'items_json', 'amount', 'currency', 'debit_account_id', 'credit_account_id', 'reasons_json',
      'created_at_ms', 'resolved_at_ms', 'resolved_by', 'note', 'detail',
    ],
    orderBy: 'id',
  },
  { name: 'risk_hold_transfers', columns: ['transfer_id', 'hold_id'], orderBy: 'transfer_id' },
  { name: 'risk_settings', columns: ['id', 'settings_json', 'updated_at', 'updated_by'], orderBy: 'id' },
  { name: 'risk_feature_sets', columns: ['id', 'names_json'], orderBy: 'id' },
];
