import type { Queryable, SqlValue } from '../../db/index.ts';
import { CASE_STATUSES, isClosed, type AlertSource, type AuditAction, type AuditEntry, type CaseLink, type CaseNote, type CaseRecord, type CaseStatus, type LinkKind, type StoredAlert } from './cases.ts';

/** SQL of case management, the same text on both dialects. */
type Row = Record<string, unknown>;

const CASE_COLUMNS = 'id, title, status, priority_bp, source, kind, title_values, dedupe_key, assignee, alert_count, created_at_ms, updated_at_ms, closed_at_ms';
const ALERT_COLUMNS = 'id, case_id, source, kind, title, score_bp, reasons, dedupe_key, transfer_ids, account_ids, party_ids, details, fingerprint, payment_ids, raised_at_ms';

const numberOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));
const json = <T>(value: unknown): T => JSON.parse(value as string) as T;

const toCase = (row: Row): CaseRecord => ({
  id: row.id as string,
  title: row.title as string,
  status: row.status as CaseStatus,
  priorityBp: Number(row.priority_bp),
  source: row.source as AlertSource,
  kind: (row.kind as string | null) ?? null,
  titleValues: row.title_values === null || row.title_values === undefined ? null : json<Record<string, string | number>>(row.title_values),
  dedupeKey: (row.dedupe_key as string | null) ?? null,
  assignee: (row.assignee as string | null) ?? null,
  alertCount: Number(row.alert_count),
  createdAtMs: Number(row.created_at_ms),
  updatedAtMs: Number(row.updated_at_ms),
  closedAtMs: numberOrNull(row.closed_at_ms),
});

const toAlert = (row: Row): StoredAlert => ({
  id: row.id as string,
  caseId: row.case_id as string,
  source: row.source as AlertSource,
  kind: row.kind as string,
  title: row.title as string,
  scoreBp: Number(row.score_bp),
  reasons: json<string[]>(row.reasons),
  dedupeKey: (row.dedupe_key as string | null) ?? null,
  transferIds: json<string[]>(row.transfer_ids),
  paymentIds: row.payment_ids === null || row.payment_ids === undefined ? [] : json<string[]>(row.payment_ids),
  accountIds: json<string[]>(row.account_ids),
  partyIds: json<string[]>(row.party_ids),
  details: json<Record<string, unknown>>(row.details),
  fingerprint: (row.fingerprint as string | null) ?? null,
  raisedAtMs: Number(row.raised_at_ms),
});

const toNote = (row: Row): CaseNote => ({
  id: row.id as string, caseId: row.case_id as string, author: row.author as string, text: row.text as string, createdAtMs: Number(row.created_at_ms),
});

const toAudit = (row: Row): AuditEntry => ({
  caseId: row.case_id as string, seq: Number(row.seq), actor: row.actor as string, atMs: Number(row.at_ms),
  action: row.action as AuditAction, detail: json<Record<string, unknown>>(row.detail),
});

/** Inserts a new case; false when an open case already holds its dedupe key (nothing is written then). */
export async function insertCase(q: Queryable, record: CaseRecord): Promise<boolean> {
  const result = await q.run(
    `INSERT INTO case_records (id, title, status, priority_bp, source, kind, title_values, dedupe_key, open_dedupe_key, assignee, alert_count, link_count, audit_seq, created_at_ms, updated_at_ms, closed_at_ms)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, ?, ?, NULL) ON CONFLICT (open_dedupe_key) DO NOTHING`,
    [
      record.id, record.title, record.status, record.priorityBp, record.source, record.kind, record.titleValues === null ? null : JSON.stringify(record.titleValues),
      record.dedupeKey, record.dedupeKey, record.assignee, record.alertCount, record.createdAtMs, record.updatedAtMs,
    ],
  );
  return result.changes > 0;
}

export async function findOpenCaseId(q: Queryable, dedupeKey: string): Promise<string | undefined> {
  const row = await q.get<{ id: string }>('SELECT id FROM case_records WHERE open_dedupe_key = ?', [dedupeKey]);
  return row?.id;
}

/**
 * Locks a case that is still open under `dedupeKey` until the transaction ends, and returns its
 * alert count; undefined when it closed meanwhile. On PostgreSQL a second raise for the case waits
 * here, and then reads (read committed) the alert the first one stored; SQLite's writers run one at
 * a time anyway.
 */
export async function lockOpenCase(q: Queryable, caseId: string, dedupeKey: string): Promise<{ alertCount: number } | undefined> {
  const row = await q.get<{ alert_count: bigint }>(
    `SELECT alert_count FROM case_records WHERE id = ? AND open_dedupe_key = ?${q.dialect === 'postgres' ? ' FOR UPDATE' : ''}`, [caseId, dedupeKey],
  );
  return row ? { alertCount: Number(row.alert_count) } : undefined;
}

/** The newest alert of a case, of one kind when `kind` is given: its id and fingerprint. */
export async function latestAlert(q: Queryable, caseId: string, kind?: string): Promise<{ id: string; fingerprint: string | null } | undefined> {
  const row = kind === undefined
    ? await q.get<{ id: string; fingerprint: string | null }>('SELECT id, fingerprint FROM case_alerts WHERE case_id = ? ORDER BY id DESC LIMIT 1', [caseId])
    : await q.get<{ id: string; fingerprint: string | null }>('SELECT id, fingerprint FROM case_alerts WHERE case_id = ? AND kind = ? ORDER BY id DESC LIMIT 1', [caseId, kind]);
  return row ? { id: row.id, fingerprint: row.fingerprint ?? null } : undefined;
}

/** Counts one more alert on a case that is still open under `dedupeKey`; false when it closed meanwhile. */
export async function addAlertToCase(q: Queryable, caseId: string, dedupeKey: string, scoreBp: number, nowMs: number): Promise<boolean> {
  const result = await q.run(
    `UPDATE case_records SET alert_count = alert_count + 1, updated_at_ms = ?,
       priority_bp = CASE WHEN priority_bp < ? THEN ? ELSE priority_bp END
     WHERE id = ? AND open_dedupe_key = ?`,
    [nowMs, scoreBp, scoreBp, caseId, dedupeKey],
  );
  return result.changes > 0;
}

export async function insertAlert(q: Queryable, alert: StoredAlert): Promise<void> {
  await q.run(`INSERT INTO case_alerts (${ALERT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    alert.id, alert.caseId, alert.source, alert.kind, alert.title, alert.scoreBp, JSON.stringify(alert.reasons), alert.dedupeKey,
    JSON.stringify(alert.transferIds), JSON.stringify(alert.accountIds), JSON.stringify(alert.partyIds), JSON.stringify(alert.details), alert.fingerprint, JSON.stringify(alert.paymentIds), alert.raisedAtMs,
  ]);
}

/** Links what an alert names to its case, up to `maxLinks` per case; returns how many were new. */
export async function addLinks(q: Queryable, caseId: string, links: readonly { kind: LinkKind; refId: string }[], nowMs: number, maxLinks: number): Promise<number> {
  const row = await q.get<{ link_count: bigint }>('SELECT link_count FROM case_records WHERE id = ?', [caseId]);
  let count = Number(row?.link_count ?? 0);
  let added = 0;
  for (const link of links) {
    if (count >= maxLinks) break;
    const result = await q.run('INSERT INTO case_links (case_id, kind, ref_id, added_at_ms) VALUES (?, ?, ?, ?) ON CONFLICT (case_id, kind, ref_id) DO NOTHING', [caseId, link.kind, link.refId, nowMs]);
    count += result.changes;
    added += result.changes;
  }
  if (added > 0) await q.run('UPDATE case_records SET link_count = ? WHERE id = ?', [count, caseId]);
  return added;
}

/** Which of `refIds` are already linked to a case as `kind` (at most a request's worth of ids). */
export async function linkedRefs(q: Queryable, caseId: string, kind: LinkKind, refIds: readonly string[]): Promise<Set<string>> {
  if (refIds.length === 0) return new Set();
  const rows = await q.all<{ ref_id: string }>(
    `SELECT ref_id FROM case_links WHERE case_id = ? AND kind = ? AND ref_id IN (${refIds.map(() => '?').join(', ')})`, [caseId, kind, ...refIds],
  );
  return new Set(rows.map((row) => row.ref_id));
}

/** How many links a case holds (the counter addLinks keeps). */
export async function linkCount(q: Queryable, caseId: string): Promise<number> {
  const row = await q.get<{ link_count: bigint }>('SELECT link_count FROM case_records WHERE id = ?', [caseId]);
  return Number(row?.link_count ?? 0);
}

export async function touchCase(q: Queryable, caseId: string, nowMs: number): Promise<void> {
  await q.run('UPDATE case_records SET updated_at_ms = ? WHERE id = ?', [nowMs, caseId]);
}

/**
 * Appends one audit entry. The case row's counter hands out the sequence number; on PostgreSQL the
 * update locks the row, so two changes to one case at once get consecutive numbers, never the same.
 */
export async function appendAudit(q: Queryable, caseId: string, actor: string, atMs: number, action: AuditAction, detail: Readonly<Record<string, unknown>>): Promise<number> {
  await q.run('UPDATE case_records SET audit_seq = audit_seq + 1 WHERE id = ?', [caseId]);
  const row = await q.get<{ audit_seq: bigint }>('SELECT audit_seq FROM case_records WHERE id = ?', [caseId]);
  const seq = Number(row?.audit_seq ?? 1);
  await q.run('INSERT INTO case_audit (case_id, seq, actor, at_ms, action, detail) VALUES (?, ?, ?, ?, ?, ?)', [caseId, seq, actor, atMs, action, JSON.stringify(detail)]);
  return seq;
}

/** With `lock`, PostgreSQL holds the row until the transaction ends (SQLite writers run one at a time anyway). */
export async function loadCase(q: Queryable, id: string, lock = false): Promise<CaseRecord | undefined> {
  const row = await q.get(`SELECT ${CASE_COLUMNS} FROM case_records WHERE id = ?${lock && q.dialect === 'postgres' ? ' FOR UPDATE' : ''}`, [id]);
  return row ? toCase(row) : undefined;
}

/** Moves a case from `from` to `to`; false when its status is no longer `from` (someone else moved it). */
export async function updateStatus(q: Queryable, id: string, from: CaseStatus, to: CaseStatus, nowMs: number, closing: boolean): Promise<boolean> {
  const result = await q.run(
    closing
      ? 'UPDATE case_records SET status = ?, updated_at_ms = ?, closed_at_ms = ?, open_dedupe_key = NULL WHERE id = ? AND status = ?'
      : 'UPDATE case_records SET status = ?, updated_at_ms = ?, closed_at_ms = ? WHERE id = ? AND status = ?',
    [to, nowMs, closing ? nowMs : null, id, from],
  );
  return result.changes > 0;
}

/** Sets the assignee of a case that is not closed; false when it is closed (or gone). */
export async function updateAssignee(q: Queryable, id: string, assignee: string | null, nowMs: number): Promise<boolean> {
  const result = await q.run("UPDATE case_records SET assignee = ?, updated_at_ms = ? WHERE id = ? AND status NOT IN ('closed_confirmed', 'closed_false_positive')", [assignee, nowMs, id]);
  return result.changes > 0;
}

export async function insertNote(q: Queryable, note: CaseNote): Promise<void> {
  await q.run('INSERT INTO case_notes (id, case_id, author, text, created_at_ms) VALUES (?, ?, ?, ?, ?)', [note.id, note.caseId, note.author, note.text, note.createdAtMs]);
  await q.run('UPDATE case_records SET updated_at_ms = ? WHERE id = ?', [note.createdAtMs, note.caseId]);
}

export interface CaseQuery {
  readonly status?: CaseStatus;
  readonly assignee?: string;
  readonly source?: AlertSource;
  /** Position after which the page starts: the last case of the previous page. */
  readonly after?: { readonly priorityBp: number; readonly createdAtMs: number; readonly id: string };
  readonly limit: number;
}

/** The queue: highest priority first, then the oldest, then by id so that the order is total. */
export async function listCases(q: Queryable, query: CaseQuery): Promise<CaseRecord[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (query.status) where.push('status = ?'), params.push(query.status);
  if (query.assignee) where.push('assignee = ?'), params.push(query.assignee);
  if (query.source) where.push('source = ?'), params.push(query.source);
  if (query.after) {
    const { priorityBp, createdAtMs, id } = query.after;
    where.push('(priority_bp < ? OR (priority_bp = ? AND (created_at_ms > ? OR (created_at_ms = ? AND id > ?))))');
    params.push(priorityBp, priorityBp, createdAtMs, createdAtMs, id);
  }
  const sql = `SELECT ${CASE_COLUMNS} FROM case_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY priority_bp DESC, created_at_ms, id LIMIT ?`;
  return (await q.all(sql, [...params, query.limit])).map(toCase);
}

/** The newest `limit` items of a case, returned oldest first. */
export async function listAlerts(q: Queryable, caseId: string, limit: number): Promise<StoredAlert[]> {
  return (await q.all(`SELECT ${ALERT_COLUMNS} FROM case_alerts WHERE case_id = ? ORDER BY id DESC LIMIT ?`, [caseId, limit])).map(toAlert).reverse();
}

export async function listNotes(q: Queryable, caseId: string, limit: number): Promise<CaseNote[]> {
  return (await q.all('SELECT id, case_id, author, text, created_at_ms FROM case_notes WHERE case_id = ? ORDER BY id DESC LIMIT ?', [caseId, limit])).map(toNote).reverse();
}

export async function listAudit(q: Queryable, caseId: string, limit: number): Promise<AuditEntry[]> {
  return (await q.all('SELECT case_id, seq, actor, at_ms, action, detail FROM case_audit WHERE case_id = ? ORDER BY seq DESC LIMIT ?', [caseId, limit])).map(toAudit).reverse();
}

export async function listLinks(q: Queryable, caseId: string, limit: number): Promise<CaseLink[]> {
  const rows = await q.all<{ kind: LinkKind; ref_id: string; added_at_ms: bigint }>('SELECT kind, ref_id, added_at_ms FROM case_links WHERE case_id = ? ORDER BY kind, added_at_ms, ref_id LIMIT ?', [caseId, limit]);
  return rows.map((row) => ({ kind: row.kind, refId: row.ref_id, addedAtMs: Number(row.added_at_ms) }));
}

/** Cases not yet closed, by status, read through the index on (status, …): the analysts' queue. */
export async function countUnclosed(q: Queryable): Promise<Record<string, number>> {
  const unclosed = CASE_STATUSES.filter((status) => !isClosed(status));
  const rows = await q.all<{ status: string; cases: unknown }>(
    `SELECT status, COUNT(*) AS cases FROM case_records WHERE status IN (${unclosed.map(() => '?').join(', ')}) GROUP BY status`, unclosed,
  );
  const counts: Record<string, number> = Object.fromEntries(unclosed.map((status) => [status, 0]));
  for (const row of rows) counts[row.status] = Number(row.cases);
  return counts;
}
