import type { Migration, TableSpec } from '../../db/index.ts';

const body = `
CREATE TABLE parties (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  jurisdiction TEXT NOT NULL,
  metadata TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX parties_created ON parties (created_at, id);
`;

export const partiesMigrations: readonly Migration[] = [{ id: 'parties/001_init', sql: { sqlite: body, postgres: body } }];

export const partiesTables: readonly TableSpec[] = [
  { name: 'parties', columns: ['id', 'name', 'kind', 'jurisdiction', 'metadata', 'created_at'], orderBy: 'id' },
];
