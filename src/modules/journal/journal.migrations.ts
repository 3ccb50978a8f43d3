import type { Migration, TableSpec } from '../../db/index.ts';

/** The journal: an append-only hash chain. The head row is what concurrent appenders lock. */
const body = (int: string) => `
CREATE TABLE journal_entries (
  seq ${int} PRIMARY KEY,
  timestamp ${int} NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  digest TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE TABLE journal_head (
  id ${int} PRIMARY KEY CHECK (id = 1),
  seq ${int} NOT NULL,
  hash TEXT NOT NULL,
  algorithm TEXT NOT NULL
);
`;

export const journalMigrations: readonly Migration[] = [
  { id: 'journal/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } },
];

export const journalTables: readonly TableSpec[] = [
  { name: 'journal_entries', columns: ['seq', 'timestamp', 'kind', 'payload', 'digest', 'prev_hash', 'hash'], orderBy: 'seq' },
  { name: 'journal_head', columns: ['id', 'seq', 'hash', 'algorithm'], orderBy: 'id', replaceOnImport: true },
];
