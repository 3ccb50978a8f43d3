import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * List tables. Every change bumps the version in the head row inside its transaction and writes an
 * audit row carrying that version: the row's lock orders changes from several processes, and a
 * process catches up by applying the audit rows after the version it last saw. Instants are
 * milliseconds since the epoch from the injected clock.
 */
const body = (int: string) => `
CREATE TABLE risk_list_entries (
  id TEXT PRIMARY KEY,
  list_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  reason TEXT NOT NULL,
  actor TEXT NOT NULL,
  created_at_ms ${int} NOT NULL,
  expires_at_ms ${int},
  UNIQUE (list_name, kind, value)
);
CREATE TABLE risk_list_audit (
  seq ${int} PRIMARY KEY,
  version ${int} NOT NULL,
  at_ms ${int} NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  entry_id TEXT NOT NULL,
  list_name TEXT NOT NULL,
  kind TEXT NOT NULL,
  value TEXT NOT NULL,
  reason TEXT NOT NULL,
  expires_at_ms ${int}
);
CREATE INDEX risk_list_audit_version ON risk_list_audit (version);
CREATE INDEX risk_list_audit_entry ON risk_list_audit (entry_id, seq);
CREATE TABLE risk_list_head (
  id ${int} PRIMARY KEY CHECK (id = 1),
  version ${int} NOT NULL,
  last_audit_seq ${int} NOT NULL,
  entry_count ${int} NOT NULL
);
INSERT INTO risk_list_head (id, version, last_audit_seq, entry_count) VALUES (1, 0, 0, 0);
`;

export const listsMigrations: readonly Migration[] = [{ id: 'lists/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } }];

export const listsTables: readonly TableSpec[] = [
  { name: 'risk_list_entries', columns: ['id', 'list_name', 'kind', 'value', 'reason', 'actor', 'created_at_ms', 'expires_at_ms'], orderBy: 'id' },
  { name: 'risk_list_audit', columns: ['seq', 'version', 'at_ms', 'actor', 'action', 'entry_id', 'list_name', 'kind', 'value', 'reason', 'expires_at_ms'], orderBy: 'seq' },
  { name: 'risk_list_head', columns: ['id', 'version', 'last_audit_seq', 'entry_count'], orderBy: 'id', replaceOnImport: true },
];
