import type { Database, Dialect } from './port.ts';

/** A schema change owned by one module. `id` sorts in application order within the module. */
export interface Migration {
  readonly id: string;
  readonly sql: Readonly<Record<Dialect, string>>;
}

const MIGRATION_LOCK_KEY = 7_316_011; // any constant: serialises concurrent starts on PostgreSQL

/**
 * Applies every migration not yet recorded, each in its own transaction, in the order given.
 * On PostgreSQL an advisory lock lets several processes start at once without racing.
 */
export async function migrate(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  // Under the same lock as the migrations: two PostgreSQL sessions running CREATE TABLE IF NOT
  // EXISTS at once can both decide to create, and the loser fails on pg_type's unique index.
  await db.transaction(async (tx) => {
    if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
    await tx.run('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    await db.transaction(async (tx) => {
      if (tx.dialect === 'postgres') await tx.get('SELECT pg_advisory_xact_lock(?)', [MIGRATION_LOCK_KEY]);
      const done = await tx.get('SELECT id FROM schema_migrations WHERE id = ?', [migration.id]);
      if (done) return;
      for (const statement of splitStatements(migration.sql[tx.dialect])) await tx.run(statement);
      await tx.run('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)', [migration.id, new Date().toISOString()]);
      applied.push(migration.id);
    });
  }
  return applied;
}

/** Migrations hold plain DDL separated by semicolons at line ends; no procedural bodies. */
function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*\n/)
    .map((statement) => statement.trim().replace(/;$/, ''))
    .filter((statement) => statement.length > 0);
}
