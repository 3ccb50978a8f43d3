import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Screening tables. A list is replaced whole: its summary row and its entities are written in one
 * transaction, which also moves the version in the state row; other processes poll that version and
 * reload the lists whose own version moved. An entity's names, dates and countries travel as one
 * JSON document: they are only ever read whole, to build the in-memory index.
 */
const body = (int: string) => `
CREATE TABLE screening_lists (
  name TEXT PRIMARY KEY,
  format TEXT NOT NULL,
  entity_count ${int} NOT NULL,
  name_count ${int} NOT NULL,
  source_sha256 TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  version ${int} NOT NULL
);
CREATE TABLE screening_entities (
  list_name TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  schema TEXT NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (list_name, entity_id)
);
CREATE TABLE screening_state (
  id ${int} PRIMARY KEY CHECK (id = 1),
  version ${int} NOT NULL
);
INSERT INTO screening_state (id, version) VALUES (1, 0);
`;

export const screeningMigrations: readonly Migration[] = [{ id: 'screening/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } }];

export const screeningTables: readonly TableSpec[] = [
  { name: 'screening_lists', columns: ['name', 'format', 'entity_count', 'name_count', 'source_sha256', 'imported_at', 'version'], orderBy: 'name' },
  { name: 'screening_entities', columns: ['list_name', 'entity_id', 'schema', 'data'], orderBy: 'list_name, entity_id' },
  { name: 'screening_state', columns: ['id', 'version'], orderBy: 'id', replaceOnImport: true },
];
