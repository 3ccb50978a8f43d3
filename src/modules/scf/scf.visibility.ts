import type { Dialect } from '../../db/index.ts';
import type { Holding, VoucherRecord } from './scf.repository.ts';
import { isLive, type Piece } from './scf.ts';

/**
 * Who may read a voucher (its view, its pieces, its proof) with a participant key: the parties to
 * it, not every member of its program. They are its issuer (the core enterprise), every holder that
 * accepted a piece of it (current and past, down its lineage), every bank that financed a piece of
 * it (now, or before the piece was repurchased: its records stay part of the bank's history), and
 * the party a piece is offered to while the offer is open (awaiting its first sign-off, or a
 * transfer awaiting acceptance), so that it can check what it is asked to accept. An offer turned
 * down gives nothing more: a receiver that declined sees the voucher only if it held it before.
 * Operator and admin keys see every voucher; anyone else is answered as for an unknown id.
 */
export function readsVoucher(
  view: { readonly voucher: Pick<VoucherRecord, 'issuerId'>; readonly pieces: readonly Piece[]; readonly holdings: readonly Holding[]; readonly financiers: readonly string[] },
  partyIds: readonly string[],
): boolean {
  return partyIds.includes(view.voucher.issuerId) ||
    view.holdings.some((holding) => partyIds.includes(holding.holderId)) ||
    view.financiers.some((bankId) => partyIds.includes(bankId)) ||
    view.pieces.some((piece) =>
      (piece.financing !== null && partyIds.includes(piece.financing.bankId)) ||
      (piece.pendingHolderId !== null && isLive(piece) && partyIds.includes(piece.pendingHolderId)));
}

/**
 * The same rule in SQL, for lists: a condition on the voucher row aliased `v`, with its parameters.
 * Kept beside readsVoucher so that a list never shows a voucher its page would answer 404 for.
 */
export function readableVoucherCondition(dialect: Dialect, partyIds: readonly string[]): { readonly sql: string; readonly params: readonly string[] } {
  const list = partyIds.map(() => '?').join(', ');
  const bank = dialect === 'postgres' ? "(p.financing::jsonb ->> 'bankId')" : "json_extract(p.financing, '$.bankId')";
  const sql = `(v.issuer_id IN (${list})
    OR EXISTS (SELECT 1 FROM scf_pieces p JOIN scf_holdings h ON h.piece_id = p.id WHERE p.voucher_id = v.id AND h.holder_id IN (${list}))
    OR EXISTS (SELECT 1 FROM scf_financings f WHERE f.voucher_id = v.id AND f.bank_id IN (${list}))
    OR EXISTS (SELECT 1 FROM scf_pieces p WHERE p.voucher_id = v.id AND (${bank} IN (${list})
      OR (p.pending_holder_id IN (${list}) AND p.status NOT IN ('split', 'settled', 'cancelled')))))`;
  return { sql, params: [...partyIds, ...partyIds, ...partyIds, ...partyIds, ...partyIds] };
}
