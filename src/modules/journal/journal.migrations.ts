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

/** Signed checkpoints over the chain, and the sealed signing key ring (one row). */
const checkpoints = (int: string) => `
CREATE TABLE journal_checkpoints (
  tree_size ${int} PRIMARY KEY,
  root TEXT NOT NULL,
  head_hash TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  created_at TEXT NOT NULL,
  envelope TEXT NOT NULL
);
CREATE TABLE journal_keyring (
  id ${int} PRIMARY KEY CHECK (id = 1),
  sealed TEXT NOT NULL
);
`;

const kindTimestamp = 'CREATE INDEX journal_entries_kind_timestamp ON journal_entries (kind, timestamp);';

export const journalMigrations: readonly Migration[] = [
  { id: 'journal/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } },
  { id: 'journal/002_checkpoints', sql: { sqlite: checkpoints('INTEGER'), postgres: checkpoints('BIGINT') } },
  // The entry of a kind at an instant (JournalService.entryAt): which ledger batch holds a transfer.
  { id: 'journal/003_kind_timestamp', sql: { sqlite: kindTimestamp, postgres: kindTimestamp } },
];

export const journalTables: readonly TableSpec[] = [
  { name: 'journal_entries', columns: ['seq', 'timestamp', 'kind', 'payload', 'digest', 'prev_hash', 'hash'], orderBy: 'seq' },
  { name: 'journal_head', columns: ['id', 'seq', 'hash', 'algorithm'], orderBy: 'id', replaceOnImport: true },
  { name: 'journal_checkpoints', columns: ['tree_size', 'root', 'head_hash', 'algorithm', 'created_at', 'envelope'], orderBy: 'tree_size' },
  // The ring stays sealed under the source's SLUICE_KEY_SECRET: the target must be started with the same secret.
  { name: 'journal_keyring', columns: ['id', 'sealed'], orderBy: 'id', replaceOnImport: true },
];
