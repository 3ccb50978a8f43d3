import type { Queryable } from '../../db/index.ts';
import { toPiece, toVoucher, type Holding, type VoucherRecord } from './scf.repository.ts';
import type { Piece } from './scf.ts';
import { readableVoucherCondition } from './scf.visibility.ts';

/**
 * Read-side SQL for the API and the console: lists with keyset pagination and the program overview.
 * Sums run in the database; PostgreSQL returns them as NUMERIC text, SQLite as bigint, both exact.
 */
const sum = (value: unknown): bigint => BigInt(String(value ?? 0));
const LIVE = "p.status NOT IN ('split', 'settled', 'cancelled')";

export async function listProgramIds(q: Queryable, options: { after?: string; limit: number; partyIds?: readonly string[] }): Promise<string[]> {
  const params: (string | number)[] = [];
  let where = '';
  if (options.partyIds) {
    if (options.partyIds.length === 0) return [];
    where = `WHERE id IN (SELECT program_id FROM scf_program_members WHERE party_id IN (${options.partyIds.map(() => '?').join(', ')}))`;
    params.push(...options.partyIds);
  }
  if (options.after !== undefined) (where += `${where ? ' AND' : 'WHERE'} id > ?`), params.push(options.after);
  const rows = await q.all<{ id: string }>(`SELECT id FROM scf_programs ${where} ORDER BY id LIMIT ?`, [...params, options.limit]);
  return rows.map((row) => row.id);
}

/** A program's vouchers by id; with `partyIds`, only those these parties may read (scf.visibility.ts). */
export async function listVouchers(q: Queryable, programId: string, options: { after?: string; limit: number; partyIds?: readonly string[] }): Promise<VoucherRecord[]> {
  if (options.partyIds?.length === 0) return [];
  const readable = options.partyIds ? readableVoucherCondition(q.dialect, options.partyIds) : undefined;
  const rows = await q.all(
    `SELECT v.* FROM scf_vouchers v WHERE v.program_id = ?${options.after === undefined ? '' : ' AND v.id > ?'}${readable ? ` AND ${readable.sql}` : ''} ORDER BY v.id LIMIT ?`,
    [programId, ...(options.after === undefined ? [] : [options.after]), ...(readable?.params ?? []), options.limit],
  );
  return rows.map(toVoucher);
}

/**
 * Face value of the active vouchers of each program that these parties may read (the rule of the
 * voucher list): the outstanding amount a participant key is shown in a program's view. One query
 * for a page of programs; a page and a key's parties are both bounded, so are the parameters.
 */
export async function readableOutstanding(q: Queryable, programIds: readonly string[], partyIds: readonly string[]): Promise<Map<string, bigint>> {
  const totals = new Map<string, bigint>(programIds.map((id) => [id, 0n]));
  if (programIds.length === 0 || partyIds.length === 0) return totals;
  const readable = readableVoucherCondition(q.dialect, partyIds);
  const rows = await q.all<{ program_id: string; amount: unknown }>(
    `SELECT v.program_id AS program_id, SUM(v.face_amount) AS amount FROM scf_vouchers v
     WHERE v.program_id IN (${programIds.map(() => '?').join(', ')}) AND v.status = 'active' AND ${readable.sql} GROUP BY v.program_id`,
    [...programIds, ...readable.params],
  );
  for (const row of rows) totals.set(row.program_id, sum(row.amount));
  return totals;
}

export async function holdingsOfVoucher(q: Queryable, voucherId: string): Promise<Holding[]> {
  const rows = await q.all<{ piece_id: string; tier: bigint; holder_id: string; operation_id: string; since: string }>(
    'SELECT h.piece_id, h.tier, h.holder_id, h.operation_id, h.since FROM scf_holdings h JOIN scf_pieces p ON p.id = h.piece_id WHERE p.voucher_id = ? ORDER BY h.piece_id, h.tier',
    [voucherId],
  );
  return rows.map((row) => ({ pieceId: row.piece_id, tier: Number(row.tier), holderId: row.holder_id, operationId: row.operation_id, since: row.since }));
}

/** The banks that financed a piece of a voucher at any time, repurchased since or not. */
export async function financiersOfVoucher(q: Queryable, voucherId: string): Promise<string[]> {
  const rows = await q.all<{ bank_id: string }>('SELECT DISTINCT bank_id FROM scf_financings WHERE voucher_id = ? ORDER BY bank_id', [voucherId]);
  return rows.map((row) => row.bank_id);
}

/** Live pieces a party holds or is asked to sign off, by piece id. */
export async function piecesOfParty(q: Queryable, partyId: string, options: { after?: string; limit: number }): Promise<Piece[]> {
  const after = options.after === undefined ? '' : ' AND p.id > ?';
  const params = options.after === undefined ? [partyId, partyId, options.limit] : [partyId, partyId, options.after, options.limit];
  const rows = await q.all(`SELECT p.* FROM scf_pieces p WHERE (p.holder_id = ? OR p.pending_holder_id = ?) AND ${LIVE}${after} ORDER BY p.id LIMIT ?`, params);
  return rows.map(toPiece);
}

export interface Overview {
  readonly outstanding: bigint;
  readonly financed: bigint;
  readonly overdue: { readonly amount: bigint; readonly vouchers: number };
  readonly byTier: readonly { readonly tier: number; readonly amount: bigint; readonly pieces: number }[];
  readonly maturityLadder: readonly { readonly month: string; readonly amount: bigint; readonly vouchers: number }[];
}

/**
 * Totals over a program's active vouchers; with `partyIds`, only over those these parties may read
 * (the rule of the voucher list, scf.visibility.ts), so that a participant's overview adds up to what
 * it can list and open. The party list is bounded by a key's limit on parties, so are the parameters.
 */
export async function overviewOf(q: Queryable, programId: string, today: string, partyIds?: readonly string[]): Promise<Overview> {
  if (partyIds?.length === 0) return { outstanding: 0n, financed: 0n, overdue: { amount: 0n, vouchers: 0 }, byTier: [], maturityLadder: [] };
  const readable = partyIds ? readableVoucherCondition(q.dialect, partyIds) : undefined;
  const vouchers = `v.program_id = ? AND v.status = 'active'${readable ? ` AND ${readable.sql}` : ''}`;
  const params = [programId, ...(readable?.params ?? [])];
  const fromLive = `FROM scf_pieces p JOIN scf_vouchers v ON v.id = p.voucher_id WHERE ${vouchers} AND ${LIVE}`;
  const tiers = await q.all<{ tier: bigint; amount: unknown; pieces: bigint }>(
    `SELECT p.tier AS tier, SUM(p.range_end - p.range_start) AS amount, COUNT(*) AS pieces ${fromLive} GROUP BY p.tier ORDER BY p.tier`,
    params,
  );
  const financed = await q.get<{ amount: unknown }>(
    `SELECT SUM(p.range_end - p.range_start) AS amount ${fromLive} AND (p.status = 'financed' OR (p.status = 'frozen' AND p.frozen_from = 'financed'))`,
    params,
  );
  const ladder = await q.all<{ month: string; amount: unknown; vouchers: bigint }>(
    `SELECT substr(v.maturity_date, 1, 7) AS month, SUM(v.face_amount) AS amount, COUNT(*) AS vouchers FROM scf_vouchers v
     WHERE ${vouchers} GROUP BY substr(v.maturity_date, 1, 7) ORDER BY substr(v.maturity_date, 1, 7)`,
    params,
  );
  const overdue = await q.get<{ amount: unknown; vouchers: bigint }>(
    `SELECT SUM(v.face_amount) AS amount, COUNT(*) AS vouchers FROM scf_vouchers v WHERE ${vouchers} AND v.maturity_date <= ?`,
    [...params, today],
  );
  const byTier = tiers.map((row) => ({ tier: Number(row.tier), amount: sum(row.amount), pieces: Number(row.pieces) }));
  return {
    outstanding: byTier.reduce((total, row) => total + row.amount, 0n),
    financed: sum(financed?.amount),
    overdue: { amount: sum(overdue?.amount), vouchers: Number(overdue?.vouchers ?? 0) },
    byTier,
    maturityLadder: ladder.map((row) => ({ month: row.month, amount: sum(row.amount), vouchers: Number(row.vouchers) })),
  };
}
