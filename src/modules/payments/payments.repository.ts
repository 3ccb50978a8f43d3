import type { Queryable } from '../../db/index.ts';
import { parseEvents, parseMessages, parseOrder, parseParty, parsePlan, parseReturn, storedJson } from './payments.json.ts';
import type { Decision, LedgerState, PaymentEvent, PaymentRecord, PaymentStatus } from './payments.ts';

/**
 * SQL of payments and their events, the same text on both dialects. Writes happen inside the
 * writer's transactions (payments.writer.ts); reads go straight to the database.
 */
const COLUMNS = [
  'id', 'uetr', 'fingerprint', 'order_json', 'status', 'reason_code', 'error', 'debtor_json', 'creditor_json', 'plan_json', 'ledger_state',
  'decision_json', 'deadline_ms', 'messages_json', 'received_at', 'reached_creditor_agent_at', 'credited_at', 'return_json', 'events_json', 'parties',
  'created_at', 'updated_at', 'submitted_by',
].join(', ');

type Row = Record<string, unknown>;
const bigOrNull = (value: unknown): bigint | null => (value === null || value === undefined ? null : BigInt(value as bigint));

export function toPayment(row: Row): PaymentRecord {
  return {
    id: row.id as string,
    uetr: row.uetr as string,
    fingerprint: row.fingerprint as string,
    order: parseOrder(row.order_json as string),
    status: row.status as PaymentStatus,
    reasonCode: (row.reason_code as string | null) ?? null,
    error: (row.error as string | null) ?? null,
    debtor: parseParty(row.debtor_json as string | null),
    creditor: parseParty(row.creditor_json as string | null),
    plan: parsePlan(row.plan_json as string | null),
    ledgerState: row.ledger_state as LedgerState,
    decision: row.decision_json ? (JSON.parse(row.decision_json as string) as Decision) : null,
    deadlineMs: row.deadline_ms === null || row.deadline_ms === undefined ? null : Number(row.deadline_ms),
    messages: parseMessages(row.messages_json as string | null),
    receivedAt: BigInt(row.received_at as bigint),
    reachedCreditorAgentAt: bigOrNull(row.reached_creditor_agent_at),
    creditedAt: bigOrNull(row.credited_at),
    returned: parseReturn(row.return_json as string | null),
    events: parseEvents(row.events_json as string, row.id as string, row.uetr as string),
    createdAt: row.created_at as string,
    updatedAt: row.updated_at as string,
    submittedBy: (row.submitted_by as string | null) ?? null,
  };
}

/** Every party a payment involves, delimited so that a participant's view can match one exactly. */
export function partiesOf(payment: PaymentRecord): string {
  const ids = [payment.debtor?.partyId, payment.debtor?.agentPartyId, payment.creditor?.partyId, payment.creditor?.agentPartyId].filter((id): id is string => !!id);
  return `|${[...new Set(ids)].join('|')}|`;
}

/**
 * Each event as it is stored in its payment's row: its number, status, reason and instant (bigints
 * as strings), and the key that caused it when one did (left out when null, as in rows written
 * before events named their key).
 */
const eventsJson = (payment: PaymentRecord) =>
  JSON.stringify(payment.events.map((event) => ({
    seq: event.seq.toString(), status: event.status, reasonCode: event.reasonCode, at: event.at.toString(), keyId: event.keyId ?? undefined,
  })));
const json = (value: unknown) => (value === null || value === undefined ? null : storedJson(value));

function params(payment: PaymentRecord): unknown[] {
  return [
    payment.id, payment.uetr, payment.fingerprint, storedJson(payment.order), payment.status, payment.reasonCode, payment.error,
    json(payment.debtor), json(payment.creditor), json(payment.plan), payment.ledgerState, json(payment.decision), payment.deadlineMs,
    payment.messages.length > 0 ? storedJson(payment.messages) : null, payment.receivedAt, payment.reachedCreditorAgentAt, payment.creditedAt,
    json(payment.returned), eventsJson(payment), partiesOf(payment), payment.createdAt, payment.updatedAt, payment.submittedBy,
  ];
}

const PLACEHOLDERS = COLUMNS.split(', ').map(() => '?').join(', ');
const INSERT_PAYMENT = {
  sqlite: `INSERT OR IGNORE INTO payments (${COLUMNS}) VALUES (${PLACEHOLDERS})`,
  postgres: `INSERT INTO payments (${COLUMNS}) VALUES (${PLACEHOLDERS}) ON CONFLICT DO NOTHING`,
} as const;

/** Inserts unless the id or the UETR is taken; false when it was. */
export async function insertPayment(q: Queryable, payment: PaymentRecord): Promise<boolean> {
  const result = await q.run(INSERT_PAYMENT[q.dialect], params(payment) as never);
  return result.changes > 0;
}

/**
 * Rewrites what a payment's life changes, if its row says `expected` for its ledger state; false if
 * someone else moved it on. Its order, parties and plan are fixed when it is inserted (every step
 * works from the stored record), so they are not serialised and written again on every step.
 *
 * `expectedStatus`, when given, must match too. The ledger state alone cannot tell a settled
 * payment from one settled and since returned: both are `done`, as a return leaves `done` for
 * `returning` and comes back to it. A return decided on a record read before another return was
 * carried out would otherwise pass the check, book its legs a second time, and write over the first
 * return with the stale record (events included).
 */
export async function updatePayment(q: Queryable, payment: PaymentRecord, expected: LedgerState, expectedStatus?: PaymentStatus): Promise<boolean> {
  const values = [
    payment.status, payment.reasonCode, payment.error, payment.ledgerState, json(payment.decision), payment.deadlineMs,
    payment.messages.length > 0 ? storedJson(payment.messages) : null, payment.reachedCreditorAgentAt, payment.creditedAt, json(payment.returned),
    eventsJson(payment), payment.updatedAt, payment.id, expected, ...(expectedStatus ? [expectedStatus] : []),
  ];
  const result = await q.run(
    `UPDATE payments SET status = ?, reason_code = ?, error = ?, ledger_state = ?, decision_json = ?, deadline_ms = ?, messages_json = ?,
       reached_creditor_agent_at = ?, credited_at = ?, return_json = ?, events_json = ?, updated_at = ?
     WHERE id = ? AND ledger_state = ?${expectedStatus ? ' AND status = ?' : ''}`,
    values as never,
  );
  return result.changes > 0;
}

export async function loadPayment(q: Queryable, id: string): Promise<PaymentRecord | undefined> {
  const row = await q.get(`SELECT ${COLUMNS} FROM payments WHERE id = ?`, [id]);
  return row ? toPayment(row) : undefined;
}

export async function loadByUetr(q: Queryable, uetr: string): Promise<PaymentRecord | undefined> {
  const row = await q.get(`SELECT ${COLUMNS} FROM payments WHERE uetr = ?`, [uetr]);
  return row ? toPayment(row) : undefined;
}

/** UETRs per statement of loadByUetrs: far below either database's limit on parameters. */
const UETRS_PER_STATEMENT = 500;

/** The payments these UETRs name, by UETR; one not found is left out. */
export async function loadByUetrs(q: Queryable, uetrs: readonly string[]): Promise<Map<string, PaymentRecord>> {
  const found = new Map<string, PaymentRecord>();
  for (let start = 0; start < uetrs.length; start += UETRS_PER_STATEMENT) {
    const chunk = uetrs.slice(start, start + UETRS_PER_STATEMENT);
    const rows = await q.all(`SELECT ${COLUMNS} FROM payments WHERE uetr IN (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const row of rows) {
      const payment = toPayment(row);
      found.set(payment.uetr, payment);
    }
  }
  return found;
}

/** A LIKE pattern matching one delimited party id; party ids may contain `_`, which LIKE would take as a wildcard. */
const partyPattern = (id: string) => `%|${id.replace(/[\\%_]/g, (character) => `\\${character}`)}|%`;

export interface PaymentFilter {
  readonly status?: PaymentStatus;
  /** Only payments involving one of these parties (a participant's view). */
  readonly partyIds?: readonly string[];
  readonly after?: string;
  /** By received time, then id: `asc` oldest first, `desc` newest first (both read the `payments_created` index). */
  readonly order?: 'asc' | 'desc';
  readonly limit: number;
}

export async function listPayments(q: Queryable, filter: PaymentFilter): Promise<PaymentRecord[]> {
  const where: string[] = [];
  const values: (string | number)[] = [];
  if (filter.status) (where.push('status = ?'), values.push(filter.status));
  if (filter.partyIds) {
    if (filter.partyIds.length === 0) return [];
    where.push(`(${filter.partyIds.map(() => "parties LIKE ? ESCAPE '\\'").join(' OR ')})`);
    values.push(...filter.partyIds.map(partyPattern));
  }
  const descending = filter.order === 'desc';
  if (filter.after) {
    const [createdAt, id] = filter.after.split(' ');
    where.push(descending ? '(created_at < ? OR (created_at = ? AND id < ?))' : '(created_at > ? OR (created_at = ? AND id > ?))');
    values.push(createdAt ?? '', createdAt ?? '', id ?? '');
  }
  const direction = descending ? 'DESC' : 'ASC';
  const rows = await q.all(
    `SELECT ${COLUMNS} FROM payments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at ${direction}, id ${direction} LIMIT ?`,
    [...values, filter.limit],
  );
  return rows.map(toPayment);
}

/** Inserts events in one statement (a payment's step records one to three). */
export async function insertEvents(q: Queryable, events: readonly PaymentEvent[]): Promise<void> {
  if (events.length === 0) return;
  await q.run(
    `INSERT INTO payment_events (seq, payment_id, uetr, status, reason_code, at, key_id) VALUES ${events.map(() => '(?, ?, ?, ?, ?, ?, ?)').join(', ')}`,
    events.flatMap((event) => [event.seq, event.paymentId, event.uetr, event.status, event.reasonCode, event.at, event.keyId]),
  );
}

const toEvent = (row: Row): PaymentEvent => ({
  seq: BigInt(row.seq as bigint), paymentId: row.payment_id as string, uetr: row.uetr as string,
  status: row.status as PaymentStatus, reasonCode: (row.reason_code as string | null) ?? null, at: BigInt(row.at as bigint), keyId: (row.key_id as string | null) ?? null,
});

export async function eventsAfter(q: Queryable, after: bigint, limit: number, partyIds?: readonly string[]): Promise<PaymentEvent[]> {
  if (!partyIds) {
    return (await q.all('SELECT seq, payment_id, uetr, status, reason_code, at, key_id FROM payment_events WHERE seq > ? ORDER BY seq LIMIT ?', [after, limit])).map(toEvent);
  }
  if (partyIds.length === 0) return [];
  const matches = partyIds.map(() => "p.parties LIKE ? ESCAPE '\\'").join(' OR ');
  const rows = await q.all(
    `SELECT e.seq, e.payment_id, e.uetr, e.status, e.reason_code, e.at, e.key_id FROM payment_events e JOIN payments p ON p.id = e.payment_id
     WHERE e.seq > ? AND (${matches}) ORDER BY e.seq LIMIT ?`,
    [after, ...partyIds.map(partyPattern), limit],
  );
  return rows.map(toEvent);
}

export async function readLastEventSeq(q: Queryable): Promise<bigint> {
  const row = await q.get<{ last_event_seq: bigint }>('SELECT last_event_seq FROM payments_head WHERE id = 1');
  return BigInt(row?.last_event_seq ?? 0n);
}

export async function writeLastEventSeq(q: Queryable, seq: bigint): Promise<void> {
  await q.run('UPDATE payments_head SET last_event_seq = ? WHERE id = 1', [seq]);
}

/** Payments whose ledger work a crash (or a failure) left unfinished; on PostgreSQL only older ones. */
export async function unresolvedPayments(q: Queryable, updatedBefore: string | null, limit: number): Promise<PaymentRecord[]> {
  const where = updatedBefore === null ? '' : ' AND updated_at < ?';
  const rows = await q.all(
    `SELECT ${COLUMNS} FROM payments WHERE ledger_state IN ('reserving', 'posting', 'voiding', 'returning')${where} ORDER BY updated_at LIMIT ?`,
    updatedBefore === null ? [limit] : [updatedBefore, limit],
  );
  return rows.map(toPayment);
}

/** Payments held for acceptance whose window has closed. */
export async function overduePayments(q: Queryable, nowMs: number, limit: number): Promise<PaymentRecord[]> {
  const rows = await q.all(`SELECT ${COLUMNS} FROM payments WHERE ledger_state = 'reserved' AND deadline_ms <= ? ORDER BY deadline_ms LIMIT ?`, [nowMs, limit]);
  return rows.map(toPayment);
}

/** Serialises the payments writers of several processes on PostgreSQL, so events number in commit order. */
const PAYMENTS_LOCK_KEY = 7_316_041;
export async function lockPayments(q: Queryable): Promise<void> {
  if (q.dialect === 'postgres') await q.get('SELECT pg_advisory_xact_lock(?)', [PAYMENTS_LOCK_KEY]);
}
