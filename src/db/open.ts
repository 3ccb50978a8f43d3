import { join } from 'node:path';
import type { Database } from './port.ts';
import { openPostgres } from './postgres.ts';
import { openSqlite } from './sqlite.ts';

/** A postgres:// URL selects PostgreSQL; otherwise Sluice keeps one SQLite file in the data folder. */
export function openDatabase(options: { readonly databaseUrl?: string; readonly dataDir: string; readonly pgNamedStatements?: boolean }): Database {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, { namedStatements: options.pgNamedStatements ?? true });
  return openSqlite(join(options.dataDir, 'sluice.db'));
}
