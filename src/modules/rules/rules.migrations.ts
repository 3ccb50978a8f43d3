import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Ruleset versions and the one-row counter every process polls. A version's rules and thresholds
 * are one JSON document (`definition`), written while it is a draft and never after; its backtest
 * result is another. `rules_generation.generation` moves on every change of which versions are live
 * or shadow, so a process learns of a promotion made elsewhere by reading one integer;
 * `next_version` numbers new versions, and updating it serialises concurrent creations.
 */
const body = (int: string) => `
CREATE TABLE rules_rulesets (
  id TEXT PRIMARY KEY,
  version ${int} NOT NULL UNIQUE,
  name TEXT NOT NULL,
  stage TEXT NOT NULL,
  definition TEXT NOT NULL,
  backtest TEXT,
  created_at_ms ${int} NOT NULL,
  updated_at_ms ${int} NOT NULL
);
CREATE UNIQUE INDEX rules_rulesets_one_live ON rules_rulesets (stage) WHERE stage = 'live';
CREATE INDEX rules_rulesets_stage ON rules_rulesets (stage, version);
CREATE TABLE rules_generation (
  id ${int} PRIMARY KEY,
  generation ${int} NOT NULL,
  next_version ${int} NOT NULL
);
INSERT INTO rules_generation (id, generation, next_version) VALUES (1, 0, 1);
`;

export const rulesMigrations: readonly Migration[] = [{ id: 'rules/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } }];

export const rulesTables: readonly TableSpec[] = [
  { name: 'rules_rulesets', columns: ['id', 'version', 'name', 'stage', 'definition', 'backtest', 'created_at_ms', 'updated_at_ms'], orderBy: 'version' },
  { name: 'rules_generation', columns: ['id', 'generation', 'next_version'], orderBy: 'id', replaceOnImport: true },
];
