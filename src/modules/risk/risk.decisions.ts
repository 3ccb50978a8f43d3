import { defineBulkInsert, insertMany, type Queryable, type SqlValue } from '../../db/index.ts';
import type { Outcome } from '../rules/index.ts';
import { eventFromJson, eventJson, featureSetIdOf, featureSetOf, variablesFromJson, variablesToJson, type FeatureSetRef } from './risk.json.ts';
import { RISK_LIMITS } from './risk.limits.ts';
import type { Decision, DecisionSource, FailMode } from './risk.ts';

/** SQL of the decision log, the same text on both dialects. */
type Row = Record<string, unknown>;

const DECISION_INSERT = defineBulkInsert('risk_decisions', [
  ['id', 'text'], ['event_id', 'text'], ['source', 'text'], ['at_ms', 'int8'], ['outcome', 'text'], ['score', 'float8'], ['ruleset_id', 'text'],
  ['ruleset_version', 'int8'], ['fail_mode', 'text'], ['elapsed_ms', 'float8'], ['body_json', 'text'], ['variables_json', 'text'],
]);
const DECISION_COLUMNS = DECISION_INSERT.columns;
const FEATURE_SET_INSERT = defineBulkInsert('risk_feature_sets', [['id', 'text'], ['names_json', 'text']], 'any');

/** The sets of feature names this process has met, written or read (see risk.json.ts). */
export interface FeatureSets {
  /** By the names joined with commas, as the writer meets them. */
  readonly known: Map<string, FeatureSetRef>;
  /** Names by set id, for reading. */
  readonly names: Map<string, readonly string[]>;
  /** Ids known to be in risk_feature_sets (committed). */
  readonly stored: Set<string>;
}

export const createFeatureSets = (): FeatureSets => ({ known: new Map(), names: new Map(), stored: new Set() });

/** Sets are few (one per feature catalogue); should something mint many, the memory is let go. */
function bound(sets: FeatureSets): void {
  if (sets.known.size > RISK_LIMITS.featureSetsMax) sets.known.clear();
  if (sets.names.size > RISK_LIMITS.featureSetsMax) sets.names.clear();
  if (sets.stored.size > RISK_LIMITS.featureSetsMax) sets.stored.clear();
}

type StoredBody = Partial<Pick<Decision, 'reasons' | 'fired' | 'shadow' | 'ruleErrors' | 'listHits'>> & { event: Parameters<typeof eventFromJson>[0] };

/** `"key":[…],` for a list that is not empty; nothing for an empty one. */
const listJson = (key: string, list: readonly unknown[]): string => (list.length === 0 ? '' : `"${key}":${JSON.stringify(list)},`);

/**
 * The body of a decision's row: its lists and its event. Empty lists are left out: most decisions
 * are approvals with none, and every byte of a row is written to the WAL and again by a checkpoint.
 * The text is what JSON.stringify gave for { reasons, fired, shadow, ruleErrors, listHits, event }
 * with the empty ones undefined and the event as eventJson stores it (the property test in
 * risk.encoding.test.ts holds it to that), without building that object. The event's copy is
 * stringified whole: JSON.stringify writes it flat in one pass, where text put together key by key
 * costs more once SQLite has it flattened.
 */
export function decisionBodyJson(decision: Decision): string {
  return `{${listJson('reasons', decision.reasons)}${listJson('fired', decision.fired)}${listJson('shadow', decision.shadow)}${listJson('ruleErrors', decision.ruleErrors)}${listJson('listHits', decision.listHits)}"event":${JSON.stringify(eventJson(decision.event))}}`;
}

function decisionParams(decision: Decision, set: FeatureSetRef | null): SqlValue[] {
  return [
    decision.id, decision.eventId, decision.source, decision.atMs, decision.outcome, decision.score, decision.ruleset?.id ?? null, decision.ruleset?.version ?? null,
    decision.failMode, decision.elapsedMs, decisionBodyJson(decision), decision.variables && set ? variablesToJson(decision.variables, set, decision.event) : null,
  ];
}

/** A decision as the row it is stored as, and the feature set its variables refer to. */
export interface EncodedDecision {
  readonly params: readonly SqlValue[];
  readonly set: FeatureSetRef | null;
}

/**
 * Encodes decisions as the rows they are stored as. The decision log does this when it is handed
 * decisions, not when it writes them: approvals wait up to a linger for their commit, and a row of
 * two strings is far less for the garbage collector to carry through that wait than a decision with
 * its event, features and variables (which then die young with the request). It also keeps the JSON
 * out of the write transaction, which on SQLite holds the one connection the ledger books through.
 */
export function encodeDecisions(decisions: readonly Decision[], sets: FeatureSets): EncodedDecision[] {
  if (decisions.length === 0) return [];
  bound(sets);
  const encoded: EncodedDecision[] = [];
  for (const decision of decisions) {
    const set = decision.variables ? featureSetOf(decision.variables.features, sets.known) : null;
    encoded.push({ params: decisionParams(decision, set), set });
  }
  return encoded;
}

/** Rows ready to insert: the decisions, and the feature sets they refer to that are not known to be stored. */
export interface DecisionRows {
  readonly decisions: readonly (readonly SqlValue[])[];
  readonly sets: readonly SqlValue[][];
  /** Ids of those sets, which the caller marks stored once the transaction has committed. */
  readonly setIds: readonly string[];
}

export function decisionRows(encoded: readonly EncodedDecision[], sets: FeatureSets): DecisionRows {
  const fresh = new Map<string, FeatureSetRef>();
  for (const { set } of encoded) if (set && !sets.stored.has(set.id)) fresh.set(set.id, set);
  return {
    decisions: encoded.map((decision) => decision.params),
    sets: [...fresh.values()].map((ref) => [ref.id, JSON.stringify(ref.names)]),
    setIds: [...fresh.keys()],
  };
}

/** Writes rows made by decisionRows: the feature sets first, then the decisions that refer to them. */
export async function insertDecisionRows(q: Queryable, rows: DecisionRows): Promise<void> {
  await insertMany(q, FEATURE_SET_INSERT, rows.sets);
  await insertMany(q, DECISION_INSERT, rows.decisions);
}

/** Loads the names of the feature sets these rows refer to that this process has not read yet. */
async function loadNames(q: Queryable, rows: readonly Row[], sets: FeatureSets): Promise<void> {
  bound(sets);
  const missing = new Set<string>();
  for (const row of rows) {
    if (!row.variables_json) continue;
    const id = featureSetIdOf(row.variables_json as string);
    if (id !== null && !sets.names.has(id)) missing.add(id);
  }
  if (missing.size === 0) return;
  const ids = [...missing];
  const found = await q.all<{ id: string; names_json: string }>(`SELECT id, names_json FROM risk_feature_sets WHERE id IN (${ids.map(() => '?').join(', ')})`, ids);
  for (const row of found) sets.names.set(row.id, JSON.parse(row.names_json) as string[]);
}

function toDecision(row: Row, sets: FeatureSets | null): Decision {
  const body = JSON.parse(row.body_json as string) as StoredBody;
  const text = row.variables_json as string | null;
  const setId = sets && text ? featureSetIdOf(text) : null;
  const names = setId !== null ? sets?.names.get(setId) : undefined;
  const event = eventFromJson(body.event);
  return {
    id: row.id as string,
    eventId: row.event_id as string,
    source: row.source as DecisionSource,
    atMs: Number(row.at_ms),
    outcome: row.outcome as Outcome,
    score: Number(row.score),
    reasons: body.reasons ?? [],
    fired: body.fired ?? [],
    ruleset: row.ruleset_id ? { id: row.ruleset_id as string, version: Number(row.ruleset_version) } : null,
    shadow: body.shadow ?? [],
    ruleErrors: body.ruleErrors ?? [],
    listHits: body.listHits ?? [],
    elapsedMs: Number(row.elapsed_ms),
    failMode: (row.fail_mode as FailMode | null) ?? null,
    event,
    // A vector whose names cannot be found is not replayed rather than replayed wrong.
    variables: text && sets && (setId === null || names) ? variablesFromJson(text, names, event) : null,
  };
}

export async function getDecision(q: Queryable, id: string, sets: FeatureSets): Promise<Decision | undefined> {
  const row = await q.get(`SELECT ${DECISION_COLUMNS.join(', ')} FROM risk_decisions WHERE id = ?`, [id]);
  if (!row) return undefined;
  await loadNames(q, [row], sets);
  return toDecision(row, sets);
}

export interface DecisionFilter {
  readonly outcome?: Outcome;
  readonly sinceMs?: number;
  readonly after?: string;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
}

/** The feed, by id (time-ordered); variables are left out, the single decision carries them. */
export async function listDecisions(q: Queryable, filter: DecisionFilter): Promise<Decision[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.outcome) (where.push('outcome = ?'), params.push(filter.outcome));
  // Spelled out so that both planners may use the index of review and decline decisions.
  if (filter.outcome && filter.outcome !== 'approve') where.push("outcome <> 'approve'");
  if (filter.sinceMs !== undefined) (where.push('at_ms >= ?'), params.push(filter.sinceMs));
  if (filter.after !== undefined) (where.push(filter.order === 'asc' ? 'id > ?' : 'id < ?'), params.push(filter.after));
  const columns = DECISION_COLUMNS.filter((column) => column !== 'variables_json').join(', ');
  const rows = await q.all(
    `SELECT ${columns} FROM risk_decisions ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id ${filter.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
    [...params, filter.limit],
  );
  return rows.map((row) => toDecision(row, null));
}

/** One page of history for a backtest, in decision order, after the (at_ms, id) position given. */
export async function historyPage(q: Queryable, fromMs: number, after: { atMs: number; id: string } | null, limit: number, sets: FeatureSets): Promise<Decision[]> {
  const position = after ? ' AND (at_ms > ? OR (at_ms = ? AND id > ?))' : '';
  const params: SqlValue[] = after ? [fromMs, after.atMs, after.atMs, after.id, limit] : [fromMs, limit];
  const rows = await q.all(`SELECT ${DECISION_COLUMNS.join(', ')} FROM risk_decisions WHERE at_ms >= ?${position} ORDER BY at_ms, id LIMIT ?`, params);
  await loadNames(q, rows, sets);
  return rows.map((row) => toDecision(row, sets));
}
