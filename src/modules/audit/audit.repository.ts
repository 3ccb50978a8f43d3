import type { Queryable, SqlValue } from '../../db/index.ts';
import { auditEventHash, type AuditAction, type AuditEvent } from './audit.ts';

const COLUMNS = 'seq, id, at_ms, key_id, key_name, role, method, route, params, target_id, status, request_id, prev_hash, hash';

interface EventRow {
  readonly seq: bigint | number | string;
  readonly id: string;
  readonly at_ms: bigint | number | string;
  readonly key_id: string;
  readonly key_name: string;
  readonly role: string;
  readonly method: string;
  readonly route: string;
  readonly params: string;
  readonly target_id: string | null;
  readonly status: bigint | number | string;
  readonly request_id: string;
  readonly prev_hash: string;
  readonly hash: string;
  readonly [column: string]: unknown;
}

/**
 * A stored row as an event. SQLite keeps whatever is written into a column, so an edited row may
 * hold text where a number belongs: such a value is kept as it reads, and its hash will not match.
 */
export function toEvent(row: EventRow): AuditEvent {
  const integer = (value: bigint | number | string): bigint => {
    try {
      return BigInt(value);
    } catch {
      return -1n;
    }
  };
  return {
    seq: integer(row.seq), id: String(row.id), atMs: Number(row.at_ms), keyId: String(row.key_id), keyName: String(row.key_name), role: String(row.role),
    method: String(row.method), route: String(row.route), params: String(row.params), targetId: row.target_id === null ? null : String(row.target_id),
    status: Number(row.status), requestId: String(row.request_id), prevHash: String(row.prev_hash), hash: String(row.hash),
  };
}

export interface AuditHead {
  readonly seq: bigint;
  readonly hash: string;
}

export async function readHead(q: Queryable, lock: boolean): Promise<AuditHead> {
  // FOR UPDATE makes appends from several processes on one PostgreSQL queue behind each other, so
  // each links to the event committed just before it. SQLite's transactions hold the write lock.
  const row = await q.get<{ seq: bigint; hash: string }>(`SELECT seq, hash FROM audit_head WHERE id = 1${lock && q.dialect === 'postgres' ? ' FOR UPDATE' : ''}`);
  if (!row) throw new Error('the audit_head row is missing: the audit migration did not run');
  return { seq: BigInt(row.seq), hash: row.hash };
}

/** Appends one event after the head, inside the caller's transaction. */
export async function appendEvent(tx: Queryable, id: string, atMs: number, action: AuditAction): Promise<AuditEvent> {
  const head = await readHead(tx, true);
  const unhashed = { ...action, seq: head.seq + 1n, id, atMs };
  const event: AuditEvent = { ...unhashed, prevHash: head.hash, hash: auditEventHash(head.hash, unhashed) };
  await tx.run(
    `INSERT INTO audit_events (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [event.seq, event.id, event.atMs, event.keyId, event.keyName, event.role, event.method, event.route, event.params, event.targetId, event.status, event.requestId, event.prevHash, event.hash],
  );
  await tx.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [event.seq, event.hash]);
  return event;
}

export interface AuditQuery {
  readonly keyId?: string;
  /** Events whose route pattern starts with this text. */
  readonly routePrefix?: string;
  readonly sinceMs?: number;
  /** The seq of the last event of the previous page. */
  readonly afterSeq?: bigint;
  readonly order: 'asc' | 'desc';
  readonly limit: number;
}

export async function listEvents(q: Queryable, query: AuditQuery): Promise<AuditEvent[]> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (query.keyId !== undefined) {
    where.push('key_id = ?');
    params.push(query.keyId);
  }
  if (query.routePrefix !== undefined) {
    // A prefix compared as text, not LIKE: route patterns hold underscores, which LIKE reads as wildcards.
    where.push('substr(route, 1, ?) = ?');
    params.push(query.routePrefix.length, query.routePrefix);
  }
  if (query.sinceMs !== undefined) {
    where.push('at_ms >= ?');
    params.push(query.sinceMs);
  }
  if (query.afterSeq !== undefined) {
    where.push(query.order === 'asc' ? 'seq > ?' : 'seq < ?');
    params.push(query.afterSeq);
  }
  const rows = await q.all<EventRow>(
    `SELECT ${COLUMNS} FROM audit_events${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${query.order === 'asc' ? 'ASC' : 'DESC'} LIMIT ?`,
    [...params, query.limit],
  );
  return rows.map(toEvent);
}

/** Events after `afterSeq` in chain order, as stored (for verification). */
export async function chainPage(q: Queryable, afterSeq: bigint, limit: number): Promise<AuditEvent[]> {
  const rows = await q.all<EventRow>(`SELECT ${COLUMNS} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`, [afterSeq, limit]);
  return rows.map(toEvent);
}
