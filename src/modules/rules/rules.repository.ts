import type { Queryable } from '../../db/index.ts';
import type { BacktestResult } from './rules.backtest.ts';
import type { RuleDefinition, RulesetStage, Thresholds } from './rules.ts';

/** SQL of the rules module, the same text on both dialects. */
export interface RulesetRecord {
  readonly id: string;
  /** Numbers every version of the installation in creation order; decisions record it. */
  readonly version: number;
  readonly name: string;
  readonly stage: RulesetStage;
  readonly rules: readonly RuleDefinition[];
  readonly thresholds: Thresholds;
  readonly backtest: BacktestResult | null;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
}

export interface RulesetDefinition {
  readonly rules: readonly RuleDefinition[];
  readonly thresholds: Thresholds;
}

type Row = Record<string, unknown>;
const COLUMNS = 'id, version, name, stage, definition, backtest, created_at_ms, updated_at_ms';

/** The stored form of a definition: fixed key order, so equal definitions are equal text. */
export function definitionText(definition: RulesetDefinition): string {
  return JSON.stringify({
    rules: definition.rules.map((rule) => ({ id: rule.id, name: rule.name, expression: rule.expression, effect: rule.effect, reason: rule.reason })),
    thresholds: { reviewAt: definition.thresholds.reviewAt, declineAt: definition.thresholds.declineAt },
  });
}

function toRecord(row: Row): RulesetRecord {
  const definition = JSON.parse(row.definition as string) as RulesetDefinition;
  return {
    id: row.id as string,
    version: Number(row.version),
    name: row.name as string,
    stage: row.stage as RulesetStage,
    rules: definition.rules,
    thresholds: definition.thresholds,
    backtest: row.backtest === null || row.backtest === undefined ? null : (JSON.parse(row.backtest as string) as BacktestResult),
    createdAtMs: Number(row.created_at_ms),
    updatedAtMs: Number(row.updated_at_ms),
  };
}

/** Takes the next version number; the row lock makes concurrent creations wait for each other. */
export async function allocateVersion(tx: Queryable): Promise<number> {
  await tx.run('UPDATE rules_generation SET next_version = next_version + 1 WHERE id = 1');
  const row = await tx.get<{ next_version: bigint }>('SELECT next_version FROM rules_generation WHERE id = 1');
  return Number(row?.next_version ?? 0n) - 1;
}

/** Moves the generation on; taken first in a promotion, its row lock also serialises promotions. */
export async function bumpGeneration(tx: Queryable): Promise<void> {
  await tx.run('UPDATE rules_generation SET generation = generation + 1 WHERE id = 1');
}

export async function readGeneration(q: Queryable): Promise<number> {
  const row = await q.get<{ generation: bigint }>('SELECT generation FROM rules_generation WHERE id = 1');
  return Number(row?.generation ?? 0n);
}

export async function insertRuleset(tx: Queryable, record: RulesetRecord): Promise<void> {
  await tx.run(`INSERT INTO rules_rulesets (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    record.id, record.version, record.name, record.stage, definitionText(record), record.backtest ? JSON.stringify(record.backtest) : null, record.createdAtMs, record.updatedAtMs,
  ]);
}

export async function loadRuleset(q: Queryable, id: string): Promise<RulesetRecord | undefined> {
  const row = await q.get(`SELECT ${COLUMNS} FROM rules_rulesets WHERE id = ?`, [id]);
  return row ? toRecord(row) : undefined;
}

export async function loadActiveRulesets(q: Queryable): Promise<RulesetRecord[]> {
  return (await q.all(`SELECT ${COLUMNS} FROM rules_rulesets WHERE stage IN ('live', 'shadow') ORDER BY version`)).map(toRecord);
}

export interface ListQuery {
  readonly stage?: RulesetStage;
  /** Exclusive: versions after this one in the order asked for. */
  readonly afterVersion?: number;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
}

export async function listRulesets(q: Queryable, query: ListQuery): Promise<RulesetRecord[]> {
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.stage) {
    where.push('stage = ?');
    params.push(query.stage);
  }
  if (query.afterVersion !== undefined) {
    where.push(query.order === 'asc' ? 'version > ?' : 'version < ?');
    params.push(query.afterVersion);
  }
  const filter = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const rows = await q.all(`SELECT ${COLUMNS} FROM rules_rulesets ${filter} ORDER BY version ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`, [...params, query.limit]);
  return rows.map(toRecord);
}

/** Replaces a draft's name and definition; 0 changes when it is not (or no longer) a draft. */
export async function updateDraft(tx: Queryable, id: string, name: string, definition: RulesetDefinition, nowMs: number): Promise<number> {
  const result = await tx.run("UPDATE rules_rulesets SET name = ?, definition = ?, updated_at_ms = ? WHERE id = ? AND stage = 'draft'", [name, definitionText(definition), nowMs, id]);
  return result.changes;
}

/**
 * Stores a backtest result, and moves a draft to backtested, only if the definition is still the one
 * that was replayed and the version is still a draft or backtested: a draft edited meanwhile keeps
 * its stage and gets no stale result, and a version promoted meanwhile keeps the backtest it was
 * promoted on.
 */
export async function storeBacktest(q: Queryable, id: string, replayed: string, result: BacktestResult, nowMs: number): Promise<number> {
  const changed = await q.run(
    "UPDATE rules_rulesets SET backtest = ?, stage = CASE WHEN stage = 'draft' THEN 'backtested' ELSE stage END, updated_at_ms = ? WHERE id = ? AND definition = ? AND stage IN ('draft', 'backtested')",
    [JSON.stringify(result), nowMs, id, replayed],
  );
  return changed.changes;
}

export async function countShadows(q: Queryable): Promise<number> {
  const row = await q.get<{ count: bigint | number }>("SELECT COUNT(*) AS count FROM rules_rulesets WHERE stage = 'shadow'");
  return Number(row?.count ?? 0);
}

export async function retireLive(tx: Queryable, nowMs: number): Promise<void> {
  await tx.run("UPDATE rules_rulesets SET stage = 'retired', updated_at_ms = ? WHERE stage = 'live'", [nowMs]);
}

export async function setStage(tx: Queryable, id: string, from: RulesetStage, to: RulesetStage, nowMs: number): Promise<number> {
  const result = await tx.run('UPDATE rules_rulesets SET stage = ?, updated_at_ms = ? WHERE id = ? AND stage = ?', [to, nowMs, id, from]);
  return result.changes;
}
