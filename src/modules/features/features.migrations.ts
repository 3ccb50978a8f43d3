import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Feature tables. Events are numbered from a head row updated in the writing transaction: on
 * PostgreSQL that row's lock orders the writers, so sequence order is commit order and a process that
 * reads "everything after the last sequence I saw" never skips a row that commits late. Pairs remember
 * who paid whom for longer than events are kept, for first-seen counterparties.
 */
const body = (int: string) => `
CREATE TABLE risk_feature_events (
  seq ${int} PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  origin TEXT NOT NULL,
  at_ms ${int} NOT NULL,
  amount_minor ${int} NOT NULL,
  currency TEXT NOT NULL,
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  debit_party_id TEXT,
  credit_party_id TEXT,
  device_id TEXT
);
CREATE INDEX risk_feature_events_at ON risk_feature_events (at_ms);
CREATE TABLE risk_feature_head (
  id ${int} PRIMARY KEY CHECK (id = 1),
  last_seq ${int} NOT NULL
);
INSERT INTO risk_feature_head (id, last_seq) VALUES (1, 0);
CREATE TABLE risk_feature_pairs (
  debit_account_id TEXT NOT NULL,
  credit_account_id TEXT NOT NULL,
  first_at_ms ${int} NOT NULL,
  last_at_ms ${int} NOT NULL,
  PRIMARY KEY (debit_account_id, credit_account_id)
);
CREATE INDEX risk_feature_pairs_last ON risk_feature_pairs (last_at_ms);
`;

export const featuresMigrations: readonly Migration[] = [{ id: 'features/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } }];

export const featuresTables: readonly TableSpec[] = [
  {
    name: 'risk_feature_events',
    columns: ['seq', 'id', 'origin', 'at_ms', 'amount_minor', 'currency', 'debit_account_id', 'credit_account_id', 'debit_party_id', 'credit_party_id', 'device_id'],
    orderBy: 'seq',
  },
  { name: 'risk_feature_head', columns: ['id', 'last_seq'], orderBy: 'id', replaceOnImport: true },
  { name: 'risk_feature_pairs', columns: ['debit_account_id', 'credit_account_id', 'first_at_ms', 'last_at_ms'], orderBy: 'debit_account_id, credit_account_id' },
];
