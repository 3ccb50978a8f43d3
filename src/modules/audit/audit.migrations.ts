import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * The audit trail of control-plane actions. Events form a hash chain in the order `seq`; the head
 * row holds the last event's number and hash. An append locks the head row (FOR UPDATE on
 * PostgreSQL, the write lock on SQLite), so that processes sharing one database extend one chain,
 * and verification finds events removed from the end by comparing the chain with the head.
 * Instants are milliseconds since the epoch from the injected clock.
 */
const body = (int: string) => `
CREATE TABLE audit_events (
  seq ${int} PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  at_ms ${int} NOT NULL,
  key_id TEXT NOT NULL,
  key_name TEXT NOT NULL,
  role TEXT NOT NULL,
  method TEXT NOT NULL,
  route TEXT NOT NULL,
  params TEXT NOT NULL,
  target_id TEXT,
  status ${int} NOT NULL,
  request_id TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_events_key ON audit_events (key_id, seq);
CREATE TABLE audit_head (
  id ${int} PRIMARY KEY CHECK (id = 1),
  seq ${int} NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
`;

export const auditMigrations: readonly Migration[] = [{ id: 'audit/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } }];

export const auditTables: readonly TableSpec[] = [
  {
    name: 'audit_events',
    columns: ['seq', 'id', 'at_ms', 'key_id', 'key_name', 'role', 'method', 'route', 'params', 'target_id', 'status', 'request_id', 'prev_hash', 'hash'],
    orderBy: 'seq',
    // An import goes into a new installation, whose keys the dump's replace (auth_api_keys): the
    // events of what was done there before, with those keys, make way for the dump's whole chain,
    // which must match the dump's head.
    replaceOnImport: true,
  },
  { name: 'audit_head', columns: ['id', 'seq', 'hash'], orderBy: 'id', replaceOnImport: true },
];
