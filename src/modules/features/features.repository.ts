import { defineBulkInsert, insertMany, type Queryable, type SqlValue } from '../../db/index.ts';
import type { RiskEvent } from './features.event.ts';

/** SQL of the feature store. Statements are the same on both dialects except the pair upsert. */
const EVENT_INSERT = defineBulkInsert('risk_feature_events', [
  ['seq', 'int8'], ['id', 'text'], ['origin', 'text'], ['at_ms', 'int8'], ['amount_minor', 'int8'], ['currency', 'text'], ['debit_account_id', 'text'],
  ['credit_account_id', 'text'], ['debit_party_id', 'text'], ['credit_party_id', 'text'], ['device_id', 'text'],
], ['id']);
const EVENT_COLUMNS = EVENT_INSERT.columns.join(', ');

export interface StoredEvent {
  readonly seq: bigint;
  readonly origin: string;
  readonly event: RiskEvent;
}

const orNull = (text: string | undefined): string | null => (text === undefined || text === '' ? null : text);
const orUndefined = (value: unknown): string | undefined => (value === null || value === undefined ? undefined : String(value));

function toStored(row: Record<string, unknown>): StoredEvent {
  const event: RiskEvent = {
    id: row.id as string,
    atMs: Number(row.at_ms),
    amountMinor: BigInt(row.amount_minor as bigint),
    currency: row.currency as string,
    debitAccountId: row.debit_account_id as string,
    creditAccountId: row.credit_account_id as string,
    debitPartyId: orUndefined(row.debit_party_id),
    creditPartyId: orUndefined(row.credit_party_id),
    deviceId: orUndefined(row.device_id),
  };
  return { seq: BigInt(row.seq as bigint), origin: row.origin as string, event };
}

/**
 * Numbers and writes a batch of events in the caller's transaction. Updating the head row first takes
 * its lock, so concurrent writers on PostgreSQL commit their numbers in order. An event id already
 * stored is skipped (its number is left unused).
 */
export async function insertEvents(tx: Queryable, origin: string, events: readonly RiskEvent[]): Promise<void> {
  if (events.length === 0) return;
  const head = await tx.get<{ last_seq: bigint }>('UPDATE risk_feature_head SET last_seq = last_seq + ? WHERE id = 1 RETURNING last_seq', [events.length]);
  let seq = BigInt(head?.last_seq ?? 0n) - BigInt(events.length);
  const rows = events.map((event): SqlValue[] => {
    seq += 1n;
    return [seq, event.id, origin, event.atMs, event.amountMinor, event.currency, event.debitAccountId, event.creditAccountId,
      orNull(event.debitPartyId), orNull(event.creditPartyId), orNull(event.deviceId)];
  });
  await insertMany(tx, EVENT_INSERT, rows);
}

/** Pairs per upsert: it runs at pruning time only, so statement texts may vary. */
const PAIRS_PER_STATEMENT = 200;

/** Records who paid whom, keeping the earliest and latest time of each pair. */
export async function upsertPairs(tx: Queryable, events: readonly Pick<RiskEvent, 'debitAccountId' | 'creditAccountId' | 'atMs'>[]): Promise<void> {
  // One row per pair and statement: PostgreSQL refuses to update the same row twice in one upsert.
  const pairs = new Map<string, { debit: string; credit: string; first: number; last: number }>();
  for (const event of events) {
    const key = `${event.debitAccountId}\u0000${event.creditAccountId}`;
    const known = pairs.get(key);
    if (known) {
      known.first = Math.min(known.first, event.atMs);
      known.last = Math.max(known.last, event.atMs);
    } else {
      pairs.set(key, { debit: event.debitAccountId, credit: event.creditAccountId, first: event.atMs, last: event.atMs });
    }
  }
  const [least, greatest] = tx.dialect === 'postgres' ? ['LEAST', 'GREATEST'] : ['MIN', 'MAX'];
  const rows = [...pairs.values()];
  for (let start = 0; start < rows.length; start += PAIRS_PER_STATEMENT) {
    const chunk = rows.slice(start, start + PAIRS_PER_STATEMENT);
    await tx.run(
      `INSERT INTO risk_feature_pairs (debit_account_id, credit_account_id, first_at_ms, last_at_ms) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}
       ON CONFLICT (debit_account_id, credit_account_id) DO UPDATE SET
         first_at_ms = ${least}(risk_feature_pairs.first_at_ms, excluded.first_at_ms),
         last_at_ms = ${greatest}(risk_feature_pairs.last_at_ms, excluded.last_at_ms)`,
      chunk.flatMap((pair) => [pair.debit, pair.credit, pair.first, pair.last]),
    );
  }
}

export async function headSeq(q: Queryable): Promise<bigint> {
  const row = await q.get<{ last_seq: bigint }>('SELECT last_seq FROM risk_feature_head WHERE id = 1');
  return BigInt(row?.last_seq ?? 0n);
}

/**
 * Where a replay of the events stamped after `sinceMs` starts: just before the first such event, or,
 * when more than `maxEvents` are that young, just before the newest `maxEvents` of them.
 */
export async function replayStart(q: Queryable, sinceMs: number, maxEvents: number): Promise<bigint> {
  const cut = await q.get<{ seq: bigint }>('SELECT seq FROM risk_feature_events WHERE at_ms > ? ORDER BY seq DESC LIMIT 1 OFFSET ?', [sinceMs, maxEvents]);
  if (cut) return BigInt(cut.seq);
  const first = await q.get<{ seq: bigint }>('SELECT seq FROM risk_feature_events WHERE at_ms > ? ORDER BY seq LIMIT 1', [sinceMs]);
  return first ? BigInt(first.seq) - 1n : 0n;
}

/**
 * Events numbered after `afterSeq` (and at most `throughSeq`), stamped after `sinceMs`, in order;
 * without those written by `exceptOrigin` when given.
 */
export async function readEvents(q: Queryable, afterSeq: bigint, throughSeq: bigint | null, sinceMs: number, limit: number, exceptOrigin?: string): Promise<StoredEvent[]> {
  const upper = throughSeq === null ? '' : ' AND seq <= ?';
  const params: SqlValue[] = throughSeq === null ? [afterSeq, sinceMs] : [afterSeq, throughSeq, sinceMs];
  const others = exceptOrigin === undefined ? '' : ' AND origin <> ?';
  if (exceptOrigin !== undefined) params.push(exceptOrigin);
  params.push(limit);
  const rows = await q.all(`SELECT ${EVENT_COLUMNS} FROM risk_feature_events WHERE seq > ?${upper} AND at_ms > ?${others} ORDER BY seq LIMIT ?`, params);
  return rows.map(toStored);
}

/** Pairs that paid after `sinceMs`, newest first, at most `limit`. */
export async function loadPairs(q: Queryable, sinceMs: number, limit: number): Promise<{ debit: string; credit: string; lastAtMs: number }[]> {
  const rows = await q.all('SELECT debit_account_id, credit_account_id, last_at_ms FROM risk_feature_pairs WHERE last_at_ms > ? ORDER BY last_at_ms DESC LIMIT ?', [sinceMs, limit]);
  return rows.map((row) => ({ debit: row.debit_account_id as string, credit: row.credit_account_id as string, lastAtMs: Number(row.last_at_ms) }));
}

/**
 * Deletes up to `limit` events stamped at or before `beforeMs`, oldest first, and folds who paid whom
 * in them into the pair table, in the caller's transaction. Recording an event writes no pair: while
 * an event is in the events table, a restart replays it and remembers its pair from it; the pair
 * table takes over when the event leaves. Returns how many events went.
 */
export async function pruneEvents(q: Queryable, beforeMs: number, limit: number): Promise<number> {
  const rows = await q.all<{ debit_account_id: string; credit_account_id: string; at_ms: bigint | number }>(
    'DELETE FROM risk_feature_events WHERE seq IN (SELECT seq FROM risk_feature_events WHERE at_ms <= ? ORDER BY at_ms LIMIT ?) RETURNING debit_account_id, credit_account_id, at_ms',
    [beforeMs, limit],
  );
  await upsertPairs(q, rows.map((row) => ({ debitAccountId: row.debit_account_id, creditAccountId: row.credit_account_id, atMs: Number(row.at_ms) })));
  return rows.length;
}

export async function prunePairs(q: Queryable, beforeMs: number, limit: number): Promise<number> {
  const result = await q.run(
    'DELETE FROM risk_feature_pairs WHERE (debit_account_id, credit_account_id) IN (SELECT debit_account_id, credit_account_id FROM risk_feature_pairs WHERE last_at_ms <= ? ORDER BY last_at_ms LIMIT ?)',
    [beforeMs, limit],
  );
  return result.changes;
}
