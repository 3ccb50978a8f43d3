import { defineBulkInsert, insertMany, textArray, type Database, type Queryable, type SqlValue } from '../../db/index.ts';
import type { Outcome } from '../rules/index.ts';
import { RISK_LIMITS } from './risk.limits.ts';
import { DEFAULT_SETTINGS, GUARDING_STATUSES, type Hold, type HoldKind, type HoldStatus, type RiskSettings } from './risk.ts';

/** SQL of holds, settings and the look-up of earlier decisions, the same text on both dialects (decisions: risk.decisions.ts). */
type Row = Record<string, unknown>;

const HOLD_INSERT = defineBulkInsert('risk_holds', [
  ['id', 'text'], ['kind', 'text'], ['status', 'text'], ['decision_ids', 'text'], ['items_json', 'text'], ['amount', 'int8'], ['currency', 'text'],
  ['debit_account_id', 'text'], ['credit_account_id', 'text'], ['reasons_json', 'text'], ['created_at_ms', 'int8'], ['resolved_at_ms', 'int8'],
  ['resolved_by', 'text'], ['note', 'text'], ['detail', 'text'],
], 'any');
const HOLD_COLUMNS = HOLD_INSERT.columns;
const HOLD_TRANSFER_INSERT = defineBulkInsert('risk_hold_transfers', [['transfer_id', 'text'], ['hold_id', 'text']], 'any');

export interface PriorDecision {
  readonly decisionId: string;
  readonly outcome: Outcome;
}

type PriorRow = { id: string; event_id: string; outcome: string };
const priorSql = (count: number) =>
  `SELECT id, event_id, outcome FROM risk_decisions WHERE event_id IN (${new Array(count).fill('?').join(', ')}) AND outcome <> 'approve' ORDER BY id`;

const PRIOR_ANY_SQL = "SELECT id, event_id, outcome FROM risk_decisions WHERE event_id = ANY(?::text[]) AND outcome <> 'approve' ORDER BY id";

/**
 * Review and decline decisions already taken for these events (a client retrying the same id).
 * Approvals are not asked for: the ledger itself remembers what it booked.
 *
 * This runs before every evaluated transfer. On SQLite it reads through the connection directly,
 * rather than waiting behind a ledger batch that holds the adapter's transaction lock: it reads
 * only this module's table, whose rows are written by the decision log alone, and a row seen a
 * moment before its commit is one about to be committed.
 */
export function createPriorLookup(db: Database): (eventIds: readonly string[]) => Promise<Map<string, PriorDecision>> {
  const raw = db.sqlite;
  // Statements for 1, 2, 4 … lookupChunk ids, the ids padded by repeating the last: a handful of
  // prepared statements serve every size, and preparing one costs more than running it.
  const statements = new Map<number, ReturnType<NonNullable<Database['sqlite']>['prepare']>>();
  const read = async (chunk: readonly string[]): Promise<PriorRow[]> => {
    // PostgreSQL: the ids as one text[] parameter, so that one statement text serves every size.
    if (!raw) return db.all<PriorRow>(PRIOR_ANY_SQL, [textArray(chunk) ?? (chunk as unknown as SqlValue)]);
    let size = 1;
    while (size < chunk.length) size *= 2;
    let statement = statements.get(size);
    if (!statement) statements.set(size, (statement = raw.prepare(priorSql(size))));
    const params = size === chunk.length ? chunk : [...chunk, ...new Array<string>(size - chunk.length).fill(chunk[chunk.length - 1] as string)];
    return statement.all(params) as PriorRow[];
  };
  return async (eventIds) => {
    const found = new Map<string, PriorDecision>();
    for (let start = 0; start < eventIds.length; start += RISK_LIMITS.lookupChunk) {
      const rows = await read(eventIds.slice(start, start + RISK_LIMITS.lookupChunk));
      // The first decision of an event is the one its first request was answered with.
      for (const row of rows) if (!found.has(row.event_id)) found.set(row.event_id, { decisionId: row.id, outcome: row.outcome as Outcome });
    }
    return found;
  };
}

function holdParams(hold: Hold): SqlValue[] {
  return [
    hold.id, hold.kind, hold.status, JSON.stringify(hold.decisionIds), JSON.stringify(hold.items), hold.amountMinor, hold.currency, hold.debitAccountId,
    hold.creditAccountId, JSON.stringify(hold.reasons), hold.createdAtMs, hold.resolvedAtMs, hold.resolvedBy, hold.note, hold.detail,
  ];
}

const nullableNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

function toHold(row: Row): Hold {
  return {
    id: row.id as string,
    kind: row.kind as HoldKind,
    status: row.status as HoldStatus,
    decisionIds: JSON.parse(row.decision_ids as string) as string[],
    items: JSON.parse(row.items_json as string) as Hold['items'],
    amountMinor: BigInt(row.amount as bigint),
    currency: row.currency as string,
    debitAccountId: row.debit_account_id as string,
    creditAccountId: row.credit_account_id as string,
    reasons: JSON.parse(row.reasons_json as string) as string[],
    createdAtMs: Number(row.created_at_ms),
    resolvedAtMs: nullableNumber(row.resolved_at_ms),
    resolvedBy: (row.resolved_by as string | null) ?? null,
    note: (row.note as string | null) ?? null,
    detail: (row.detail as string | null) ?? null,
  };
}

/** A hold and the transfers it guards; a hold already there (a retried request) is left as it was. */
export async function insertHolds(q: Queryable, holds: readonly Hold[]): Promise<void> {
  if (holds.length === 0) return;
  // A retried request whose first booking the ledger refused holds again under the same id.
  for (let start = 0; start < holds.length; start += RISK_LIMITS.lookupChunk) {
    const chunk = holds.slice(start, start + RISK_LIMITS.lookupChunk).map((hold) => hold.id);
    await q.run(`UPDATE risk_holds SET status = 'held', resolved_at_ms = NULL, detail = NULL WHERE status = 'not_booked' AND id IN (${chunk.map(() => '?').join(', ')})`, chunk);
  }
  await insertMany(q, HOLD_INSERT, holds.map(holdParams));
  const guarded = holds.flatMap((hold) => hold.items.map((item): SqlValue[] => [item.transferId, hold.id]));
  await insertMany(q, HOLD_TRANSFER_INSERT, guarded);
}

export async function getHold(q: Queryable, id: string): Promise<Hold | undefined> {
  const row = await q.get(`SELECT ${HOLD_COLUMNS.join(', ')} FROM risk_holds WHERE id = ?`, [id]);
  return row ? toHold(row) : undefined;
}

export interface HoldFilter {
  readonly status?: HoldStatus;
  readonly kind?: HoldKind;
  readonly after?: { readonly createdAtMs: number; readonly id: string };
  readonly limit: number;
}

export async function listHolds(q: Queryable, filter: HoldFilter): Promise<Hold[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (filter.status) (where.push('status = ?'), params.push(filter.status));
  if (filter.kind) (where.push('kind = ?'), params.push(filter.kind));
  if (filter.after) (where.push('(created_at_ms > ? OR (created_at_ms = ? AND id > ?))'), params.push(filter.after.createdAtMs, filter.after.createdAtMs, filter.after.id));
  const rows = await q.all(
    `SELECT ${HOLD_COLUMNS.join(', ')} FROM risk_holds ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at_ms, id LIMIT ?`,
    [...params, filter.limit],
  );
  return rows.map(toHold);
}

/**
 * Starts an analyst's resolution of a hold that still waits for one: moves it to `working` and
 * records who resolves it and why. Only a held hold is claimed, in the same statement that writes,
 * so a second or concurrent release or rejection, or one after the hold was closed elsewhere,
 * changes nothing: false when the hold is not held.
 */
export async function claimHold(q: Queryable, id: string, working: HoldStatus, resolution: { readonly by: string; readonly note: string | null }): Promise<boolean> {
  const result = await q.run("UPDATE risk_holds SET status = ?, resolved_by = ?, note = ? WHERE id = ? AND status = 'held'", [working, resolution.by, resolution.note, id]);
  return result.changes > 0;
}

/**
 * Gives a claimed hold back to the queue when its resolution could not be carried out (the ledger
 * refused or was unreachable): held again, with why in `detail`, and no longer naming as resolver
 * the analyst whose attempt failed, since nothing was resolved; the next claim names its own.
 */
export async function unclaimHold(q: Queryable, id: string, working: HoldStatus, detail: string): Promise<boolean> {
  const result = await q.run("UPDATE risk_holds SET status = 'held', resolved_by = NULL, note = NULL, detail = ? WHERE id = ? AND status = ?", [detail, id, working]);
  return result.changes > 0;
}

/**
 * Moves a hold on if it is still in `from`; false when someone else moved it first. Who resolved
 * it and why are written only by claimHold and closeHeld, once.
 */
export async function moveHold(
  q: Queryable, id: string, from: readonly HoldStatus[], to: HoldStatus,
  resolution: { readonly atMs?: number; readonly detail?: string | null } = {},
): Promise<boolean> {
  const sets = ['status = ?'];
  const params: SqlValue[] = [to];
  if (resolution.atMs !== undefined) (sets.push('resolved_at_ms = ?'), params.push(resolution.atMs));
  if (resolution.detail !== undefined) (sets.push('detail = ?'), params.push(resolution.detail));
  const result = await q.run(`UPDATE risk_holds SET ${sets.join(', ')} WHERE id = ? AND status IN (${from.map(() => '?').join(', ')})`, [...params, id, ...from]);
  return result.changes > 0;
}

/**
 * Closes a hold of this kind that still waits for an analyst, as resolved elsewhere; false when
 * there is none (no such hold, or the review already acts on it and will learn the news itself).
 */
export async function closeHeld(q: Queryable, id: string, kind: HoldKind, resolution: { readonly atMs: number; readonly by: string; readonly detail: string }): Promise<boolean> {
  const result = await q.run(
    "UPDATE risk_holds SET status = 'closed', resolved_at_ms = ?, resolved_by = ?, detail = ? WHERE id = ? AND kind = ? AND status = 'held'",
    [resolution.atMs, resolution.by, resolution.detail, id, kind],
  );
  return result.changes > 0;
}

/** Which of these transfers an open hold guards: only its review may post them. */
export async function guardedTransfers(q: Queryable, transferIds: readonly string[]): Promise<Map<string, string>> {
  const guarded = new Map<string, string>();
  const statuses = GUARDING_STATUSES.map(() => '?').join(', ');
  for (let start = 0; start < transferIds.length; start += RISK_LIMITS.lookupChunk) {
    const chunk = transferIds.slice(start, start + RISK_LIMITS.lookupChunk);
    const rows = await q.all<{ transfer_id: string; hold_id: string }>(
      `SELECT t.transfer_id, t.hold_id FROM risk_hold_transfers t JOIN risk_holds h ON h.id = t.hold_id
       WHERE t.transfer_id IN (${chunk.map(() => '?').join(', ')}) AND h.status IN (${statuses})`,
      [...chunk, ...GUARDING_STATUSES],
    );
    for (const row of rows) guarded.set(row.transfer_id, row.hold_id);
  }
  return guarded;
}

/** Holds an interrupted release or rejection left in between, for recovery at start. */
export async function unfinishedHolds(q: Queryable, limit: number): Promise<Hold[]> {
  const rows = await q.all(`SELECT ${HOLD_COLUMNS.join(', ')} FROM risk_holds WHERE status IN ('releasing', 'rejecting') ORDER BY created_at_ms, id LIMIT ?`, [limit]);
  return rows.map(toHold);
}

export interface OpenHolds {
  /** Holds waiting for an analyst, across every process. */
  readonly count: number;
  /** When the oldest of them was opened; null when none waits. */
  readonly oldestAtMs: number | null;
}

/** Read through the index on (status, created_at_ms): a count of the held range and its first key. */
export async function openHolds(q: Queryable): Promise<OpenHolds> {
  const row = await q.get<{ held: unknown; oldest: unknown }>("SELECT COUNT(*) AS held, MIN(created_at_ms) AS oldest FROM risk_holds WHERE status = 'held'");
  return { count: Number(row?.held ?? 0), oldestAtMs: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest) };
}

export async function loadSettings(q: Queryable): Promise<RiskSettings> {
  const row = await q.get<{ settings_json: string; updated_at: string; updated_by: string }>('SELECT settings_json, updated_at, updated_by FROM risk_settings WHERE id = 1');
  if (!row) return DEFAULT_SETTINGS;
  return Object.freeze({ ...DEFAULT_SETTINGS, ...(JSON.parse(row.settings_json) as Partial<RiskSettings>), updatedAt: row.updated_at, updatedBy: row.updated_by });
}

export async function saveSettings(q: Queryable, settings: RiskSettings, updatedAt: string, updatedBy: string): Promise<void> {
  const { updatedAt: _at, updatedBy: _by, ...stored } = settings;
  await q.run('DELETE FROM risk_settings WHERE id = 1');
  await q.run('INSERT INTO risk_settings (id, settings_json, updated_at, updated_by) VALUES (1, ?, ?, ?)', [JSON.stringify(stored), updatedAt, updatedBy]);
}
