import type { Queryable, SqlValue } from '../../db/index.ts';
import type { AuditAction, EntryKind, ListAuditRecord, ListEntry, ListName } from './lists.ts';

/** SQL of the block and allow lists, the same text on both dialects. */
const ENTRY_COLUMNS = 'id, list_name, kind, value, reason, actor, created_at_ms, expires_at_ms';
const AUDIT_COLUMNS = 'seq, version, at_ms, actor, action, entry_id, list_name, kind, value, reason, expires_at_ms';

const msOrNull = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

export const toEntry = (row: Record<string, unknown>): ListEntry => ({
  id: row.id as string, list: row.list_name as ListName, kind: row.kind as EntryKind, value: row.value as string, reason: row.reason as string,
  actor: row.actor as string, createdAtMs: Number(row.created_at_ms), expiresAtMs: msOrNull(row.expires_at_ms),
});

export const toAudit = (row: Record<string, unknown>): ListAuditRecord & { version: bigint } => ({
  seq: BigInt(row.seq as bigint), version: BigInt(row.version as bigint), atMs: Number(row.at_ms), actor: row.actor as string, action: row.action as AuditAction,
  entryId: row.entry_id as string, list: row.list_name as ListName, kind: row.kind as EntryKind, value: row.value as string, reason: row.reason as string,
  expiresAtMs: msOrNull(row.expires_at_ms),
});

export interface Head {
  readonly version: bigint;
  readonly lastAuditSeq: bigint;
  readonly entryCount: bigint;
}

export async function readHead(q: Queryable): Promise<Head> {
  const row = await q.get('SELECT version, last_audit_seq, entry_count FROM risk_list_head WHERE id = 1');
  return { version: BigInt((row?.version as bigint) ?? 0n), lastAuditSeq: BigInt((row?.last_audit_seq as bigint) ?? 0n), entryCount: BigInt((row?.entry_count as bigint) ?? 0n) };
}

/**
 * Opens a change: bumps the version in an update that takes the head row's lock, so that changes from
 * several processes are made, and numbered, one after the other. Reads made after it see every change
 * committed before it.
 */
export async function beginChange(tx: Queryable): Promise<Head> {
  await tx.run('UPDATE risk_list_head SET version = version + 1 WHERE id = 1');
  return readHead(tx);
}

/** Reserves `audits` audit numbers and adjusts the entry count; returns the first number reserved. */
export async function reserveAudits(tx: Queryable, head: Head, audits: number, entryDelta: number): Promise<bigint> {
  await tx.run('UPDATE risk_list_head SET last_audit_seq = last_audit_seq + ?, entry_count = entry_count + ? WHERE id = 1', [audits, entryDelta]);
  return head.lastAuditSeq + 1n;
}

export async function findEntry(q: Queryable, id: string): Promise<ListEntry | undefined> {
  const row = await q.get(`SELECT ${ENTRY_COLUMNS} FROM risk_list_entries WHERE id = ?`, [id]);
  return row ? toEntry(row) : undefined;
}

export async function findByValue(q: Queryable, list: ListName, kind: EntryKind, value: string): Promise<ListEntry | undefined> {
  const row = await q.get(`SELECT ${ENTRY_COLUMNS} FROM risk_list_entries WHERE list_name = ? AND kind = ? AND value = ?`, [list, kind, value]);
  return row ? toEntry(row) : undefined;
}

export async function insertEntry(tx: Queryable, entry: ListEntry): Promise<void> {
  await tx.run(`INSERT INTO risk_list_entries (${ENTRY_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, [
    entry.id, entry.list, entry.kind, entry.value, entry.reason, entry.actor, entry.createdAtMs, entry.expiresAtMs,
  ]);
}

export async function deleteEntry(tx: Queryable, id: string): Promise<void> {
  await tx.run('DELETE FROM risk_list_entries WHERE id = ?', [id]);
}

export async function insertAudit(tx: Queryable, record: ListAuditRecord & { version: bigint }): Promise<void> {
  await tx.run(`INSERT INTO risk_list_audit (${AUDIT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
    record.seq, record.version, record.atMs, record.actor, record.action, record.entryId, record.list, record.kind, record.value, record.reason, record.expiresAtMs,
  ]);
}

/** Changes after `afterVersion` up to `throughVersion`, in the order they were made, at most `limit`. */
export async function changesSince(q: Queryable, afterVersion: bigint, throughVersion: bigint, limit: number): Promise<(ListAuditRecord & { version: bigint })[]> {
  const rows = await q.all(`SELECT ${AUDIT_COLUMNS} FROM risk_list_audit WHERE version > ? AND version <= ? ORDER BY seq LIMIT ?`, [afterVersion, throughVersion, limit]);
  return rows.map(toAudit);
}

/** A WHERE clause of the conditions whose value is given. */
function conditions(pairs: readonly [sql: string, value: SqlValue | undefined][]): { clause: string; params: SqlValue[] } {
  const given = pairs.filter(([, value]) => value !== undefined);
  return { clause: given.length > 0 ? `WHERE ${given.map(([sql]) => sql).join(' AND ')}` : '', params: given.map(([, value]) => value as SqlValue) };
}

export interface EntryQuery {
  readonly list?: ListName;
  readonly kind?: EntryKind;
  readonly value?: string;
  /** Entries with an id after (or, descending, before) this one. */
  readonly afterId?: string;
  readonly order?: 'asc' | 'desc';
  readonly limit: number;
}

export async function listEntries(q: Queryable, query: EntryQuery): Promise<ListEntry[]> {
  const desc = query.order === 'desc';
  const { clause, params } = conditions([
    ['list_name = ?', query.list], ['kind = ?', query.kind], ['value = ?', query.value], [desc ? 'id < ?' : 'id > ?', query.afterId],
  ]);
  const rows = await q.all(`SELECT ${ENTRY_COLUMNS} FROM risk_list_entries ${clause} ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT ?`, [...params, query.limit]);
  return rows.map(toEntry);
}

export interface AuditQuery {
  readonly entryId?: string;
  readonly afterSeq?: bigint;
  readonly order?: 'asc' | 'desc';
  readonly limit: number;
}

export async function listAudit(q: Queryable, query: AuditQuery): Promise<ListAuditRecord[]> {
  const desc = query.order === 'desc';
  const { clause, params } = conditions([['entry_id = ?', query.entryId], [desc ? 'seq < ?' : 'seq > ?', query.afterSeq]]);
  const rows = await q.all(`SELECT ${AUDIT_COLUMNS} FROM risk_list_audit ${clause} ORDER BY seq ${desc ? 'DESC' : 'ASC'} LIMIT ?`, [...params, query.limit]);
  return rows.map((row) => {
    const { version: _version, ...record } = toAudit(row);
    return record;
  });
}
