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

/**
 * What a key is shown of a program's use of its credit limit. The program-wide headroom is the
 * credit limit minus the face value of every active voucher of the program, so whoever reads it
 * learns how much the core enterprise owes on vouchers to other suppliers, or financed by other
 * banks: exactly what the read rule above hides from a participant. It is therefore shown only to
 * keys that see the whole program: staff keys, and a participant key of the program's core
 * enterprise (the issuer of every voucher of the program, so it reads them all). Any other
 * participant key gets `available: null`. The limit minus its own vouchers would leak nothing, but
 * it would overstate the headroom, and a supplier reading it would ask for vouchers the program
 * refuses. `outstanding` is the figure the key is shown (over the vouchers it may read); wherever
 * `available` is given, `outstanding + available` is the credit limit.
 */
export function creditSeen(
  program: { readonly creditLimit: bigint; readonly coreEnterpriseId: string },
  partyIds: readonly string[] | undefined,
  outstanding: bigint,
): { readonly outstanding: bigint; readonly available: bigint | null } {
  const wholeProgram = partyIds === undefined || partyIds.includes(program.coreEnterpriseId);
  return { outstanding, available: wholeProgram ? program.creditLimit - outstanding : null };
}
