import { defineBulkInsert, insertMany, type Queryable, type SqlValue } from '../../db/index.ts';
import type { RiskEvent } from '../features/index.ts';
import { edgeRowids } from './graph.edge-runs.ts';
import type { SignalReading } from './graph.ts';

/** SQL of mule-ring detection, the same text on both dialects. */
export interface StoredEdge {
  readonly id: string;
  readonly atMs: number;
  readonly source: string;
  readonly target: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly deviceId: string | null;
  readonly sourceParty: string | null;
  readonly targetParty: string | null;
  /** A payment (the id is its UETR), not a ledger transfer. */
  readonly payment: boolean;
}

export interface StoredScore {
  readonly accountId: string;
  readonly scoreBp: number;
  readonly signals: readonly SignalReading[];
  readonly ringKey: string | null;
  readonly scanId: string;
  readonly scannedAtMs: number;
}

export interface ScanRecord {
  readonly id: string;
  readonly startedAtMs: number;
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly accounts: number;
  readonly edges: number;
  readonly edgesTruncated: boolean;
  readonly cycles: number;
  readonly cycleSearchTruncated: boolean;
  readonly rings: number;
  readonly alerts: number;
}

type Row = Record<string, unknown>;
const EDGE_COLUMNS = 'id, at_ms, source_account, target_account, amount_minor, currency, device_id, source_party, target_party, payment';

const toEdge = (row: Row): StoredEdge => ({
  id: row.id as string,
  atMs: Number(row.at_ms),
  source: row.source_account as string,
  target: row.target_account as string,
  amountMinor: BigInt(row.amount_minor as bigint),
  currency: row.currency as string,
  deviceId: (row.device_id as string | null) ?? null,
  sourceParty: (row.source_party as string | null) ?? null,
  targetParty: (row.target_party as string | null) ?? null,
  payment: Number(row.payment) === 1,
});

const toScore = (row: Row): StoredScore => ({
  accountId: row.account_id as string,
  scoreBp: Number(row.score_bp),
  signals: JSON.parse(row.signals as string) as SignalReading[],
  ringKey: (row.ring_key as string | null) ?? null,
  scanId: row.scan_id as string,
  scannedAtMs: Number(row.scanned_at_ms),
});

/**
 * On SQLite edges are indexed by account as sorted runs (graph.edge-runs.ts), and account_indexed
 * means nothing. PostgreSQL logs a changed row, not its page, so there edges are written straight
 * into its by-account B-tree indexes (account_indexed = 1); edges left waiting there by an earlier
 * version (account_indexed = 0), or imported so, are read all the same (see edgesAround).
 */
const EDGE_INSERT = defineBulkInsert('graph_edges', [
  ['id', 'text'], ['at_ms', 'int8'], ['source_account', 'text'], ['target_account', 'text'], ['amount_minor', 'int8'], ['currency', 'text'],
  ['device_id', 'text'], ['source_party', 'text'], ['target_party', 'text'], ['account_indexed', 'int8'], ['payment', 'int8'],
], ['id']);
const SCORE_INSERT = defineBulkInsert('graph_scores', [
  ['account_id', 'text'], ['score_bp', 'int8'], ['signals', 'text'], ['ring_key', 'text'], ['scan_id', 'text'], ['scanned_at_ms', 'int8'],
]);

/**
 * Writes the edges of observed events, ids cut to `idMaxLength`; an event seen twice (a retry) is
 * kept once.
 */
export async function insertEventEdges(q: Queryable, events: readonly RiskEvent[], idMaxLength: number): Promise<void> {
  const cut = (text: string | undefined) => (text === undefined ? null : text.length > idMaxLength ? text.slice(0, idMaxLength) : text);
  const rows = events.map((event): SqlValue[] => [
    event.id, event.atMs, event.debitAccountId, event.creditAccountId, event.amountMinor, event.currency, cut(event.deviceId), cut(event.debitPartyId), cut(event.creditPartyId), 1, event.payment ? 1 : 0,
  ]);
  await insertMany(q, EDGE_INSERT, rows);
}

/** The newest `limit` edges in [sinceMs, untilMs), returned oldest first. */
export async function loadWindow(q: Queryable, sinceMs: number, untilMs: number, limit: number): Promise<StoredEdge[]> {
  const rows = await q.all(`SELECT ${EDGE_COLUMNS} FROM graph_edges WHERE at_ms >= ? AND at_ms < ? ORDER BY at_ms DESC, id DESC LIMIT ?`, [sinceMs, untilMs, limit]);
  return rows.map(toEdge).reverse();
}

/**
 * Edges touching any of the accounts, newest first, at most `limit`, in one statement (one
 * snapshot, so an edge being indexed or merged is seen once). On SQLite: the edges the index of
 * edges by account names, or in its tail, that do touch them (an entry's key may be another
 * account's, or its edge pruned). On PostgreSQL: those in the by-account indexes and those an
 * earlier version left waiting for them; UNION keeps an edge that touches two of the accounts once.
 */
export async function edgesAround(q: Queryable, accountIds: readonly string[], limit: number): Promise<StoredEdge[]> {
  if (accountIds.length === 0) return [];
  const marks = accountIds.map(() => '?').join(', ');
  if (q.dialect === 'sqlite') {
    const rowids = edgeRowids(accountIds);
    const rows = await q.all(
      `SELECT ${EDGE_COLUMNS} FROM graph_edges WHERE rowid IN (${rowids.sql}) AND (source_account IN (${marks}) OR target_account IN (${marks}))
       ORDER BY at_ms DESC, id DESC LIMIT ?`,
      [...rowids.params, ...accountIds, ...accountIds, limit],
    );
    return rows.map(toEdge);
  }
  const rows = await q.all(
    `SELECT ${EDGE_COLUMNS} FROM graph_edges WHERE account_indexed = 1 AND source_account IN (${marks})
     UNION SELECT ${EDGE_COLUMNS} FROM graph_edges WHERE account_indexed = 1 AND target_account IN (${marks})
     UNION SELECT ${EDGE_COLUMNS} FROM graph_edges WHERE account_indexed = 0 AND (source_account IN (${marks}) OR target_account IN (${marks}))
     ORDER BY at_ms DESC, id DESC LIMIT ?`,
    [...accountIds, ...accountIds, ...accountIds, ...accountIds, limit],
  );
  return rows.map(toEdge);
}

/**
 * Deletes up to `limit` edges older than `beforeMs`; returns how many went. On SQLite their entries
 * in the index of edges by account stay until a merge drops them; every read re-checks the edges.
 */
export async function pruneEdges(q: Queryable, beforeMs: number, limit: number): Promise<number> {
  const result = await q.run('DELETE FROM graph_edges WHERE id IN (SELECT id FROM graph_edges WHERE at_ms < ? ORDER BY at_ms LIMIT ?)', [beforeMs, limit]);
  return result.changes;
}

/** Replaces the scores of the previous scan with those of this one. */
export async function replaceScores(q: Queryable, scores: readonly StoredScore[]): Promise<void> {
  await q.run('DELETE FROM graph_scores');
  await insertMany(q, SCORE_INSERT, scores.map((score) => [score.accountId, score.scoreBp, JSON.stringify(score.signals), score.ringKey, score.scanId, score.scannedAtMs]));
}

export async function loadScore(q: Queryable, accountId: string): Promise<StoredScore | undefined> {
  const row = await q.get('SELECT account_id, score_bp, signals, ring_key, scan_id, scanned_at_ms FROM graph_scores WHERE account_id = ?', [accountId]);
  return row ? toScore(row) : undefined;
}

/** Every account's score, without explanations: what scoreOf() answers from memory. */
export async function loadAllScores(q: Queryable, limit: number): Promise<{ accountId: string; scoreBp: number }[]> {
  const rows = await q.all<{ account_id: string; score_bp: bigint }>('SELECT account_id, score_bp FROM graph_scores ORDER BY score_bp DESC LIMIT ?', [limit]);
  return rows.map((row) => ({ accountId: row.account_id, scoreBp: Number(row.score_bp) }));
}

export async function insertScan(q: Queryable, scan: ScanRecord): Promise<void> {
  await q.run(
    'INSERT INTO graph_scans (id, started_at_ms, since_ms, until_ms, accounts, edges, edges_truncated, cycles, cycle_search_truncated, rings, alerts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    [scan.id, scan.startedAtMs, scan.sinceMs, scan.untilMs, scan.accounts, scan.edges, scan.edgesTruncated ? 1 : 0, scan.cycles, scan.cycleSearchTruncated ? 1 : 0, scan.rings, scan.alerts],
  );
}

/** Scans remembered; older records are deleted as new ones are written. */
export const SCANS_KEPT_MAX = 1_000;

export async function pruneScans(q: Queryable): Promise<void> {
  await q.run('DELETE FROM graph_scans WHERE id NOT IN (SELECT id FROM graph_scans ORDER BY id DESC LIMIT ?)', [SCANS_KEPT_MAX]);
}
