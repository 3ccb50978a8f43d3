import type { Migration, TableSpec } from '../../db/index.ts';

const body = `
CREATE TABLE auth_api_keys (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  party_ids TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT
);
`;

export const authMigrations: readonly Migration[] = [{ id: 'auth/001_init', sql: { sqlite: body, postgres: body } }];

/** API keys move with the installation: only hashes are stored, so the dump holds no usable secret. */
export const authTables: readonly TableSpec[] = [
  { name: 'auth_api_keys', columns: ['id', 'name', 'role', 'party_ids', 'secret_hash', 'created_at', 'revoked_at'], orderBy: 'id', replaceOnImport: true },
];
