import { err, ok, type Result } from '../../kernel/index.ts';
import { SCF_LIMITS } from './scf.limits.ts';
import type { ScfError } from './scf.errors.ts';
import {
  amountOf, daysBetween, discountInterest, isLive, isOverdue, parseDate, splitRanges,
  type Financing, type Piece, type PieceStatus, type Program, type Voucher,
} from './scf.ts';

/**
 * The rules of supply-chain finance as pure functions over plain data: each returns the first
 * broken rule by name, in a fixed order (who acts, then the piece's state, then time, then the
 * operation's own fields), or what the operation will do. Nothing here reads a database or a clock.
 */
type Refusal = ScfError | null;

/** The refusal a piece's status gives to an operation that needs the piece held and idle. */
export function statusRefusal(status: PieceStatus): Refusal {
  switch (status) {
    case 'held':
      return null;
    case 'awaiting_signoff':
      return 'piece_awaiting_signoff';
    case 'transfer_pending':
      return 'piece_transfer_pending';
    case 'financed':
      return 'piece_financed';
    case 'frozen':
      return 'piece_frozen';
    case 'split':
      return 'piece_already_split';
    case 'settled':
      return 'piece_settled';
    case 'cancelled':
      return 'piece_cancelled';
  }
}

export interface ProgramTerms {
  readonly maxTermDays: number;
  readonly minSplitAmount: bigint;
  readonly maxSplitDepth: number;
  readonly creditLimit: bigint;
}

/** Settings a program may choose: a term of at most a year, a positive split floor, a bounded depth. */
export function checkProgramTerms(terms: ProgramTerms): Refusal {
  if (!Number.isInteger(terms.maxTermDays) || terms.maxTermDays < 1 || terms.maxTermDays > SCF_LIMITS.maxTermDaysCeiling) return 'term_exceeds_maximum';
  if (terms.minSplitAmount < 1n) return 'split_below_minimum';
  if (!Number.isInteger(terms.maxSplitDepth) || terms.maxSplitDepth < 0 || terms.maxSplitDepth > SCF_LIMITS.maxSplitDepthCeiling) return 'split_depth_exceeded';
  return null;
}

/**
 * One party, one role: the core enterprise, a funding bank and a supplier are different parties.
 * Returns the first party named a second time (`party_listed_twice`), or undefined.
 */
export function partyListedTwice(partyIds: readonly string[]): string | undefined {
  const seen = new Set<string>();
  return partyIds.find((id) => seen.has(id) || (seen.add(id), false));
}

export interface IssueFacts {
  readonly program: Program & { readonly outstanding: bigint };
  readonly actingPartyId: string;
  readonly supplierIsMember: boolean;
  readonly today: string;
  readonly maturityDate: string;
  readonly faceAmount: bigint;
  readonly invoiceHashes: readonly string[];
  readonly invoiceUsed: (hash: string) => boolean;
}

export function checkIssue(facts: IssueFacts): Result<{ termDays: number }, ScfError> {
  const { program } = facts;
  if (facts.actingPartyId !== program.coreEnterpriseId) return err('not_the_core_enterprise');
  if (!facts.supplierIsMember) return err('party_not_in_program');
  if (parseDate(facts.maturityDate) === undefined) return err('invalid_date');
  const termDays = daysBetween(facts.today, facts.maturityDate) ?? 0;
  if (termDays <= 0) return err('maturity_not_after_issue');
  if (termDays > program.maxTermDays) return err('term_exceeds_maximum');
  if (new Set(facts.invoiceHashes).size !== facts.invoiceHashes.length) return err('invoice_listed_twice');
  if (facts.invoiceHashes.some(facts.invoiceUsed)) return err('invoice_already_used');
  if (program.outstanding + facts.faceAmount > program.creditLimit) return err('credit_limit_exceeded');
  return ok({ termDays });
}

/** Split, transfer and finance need the acting party to hold an idle piece of a voucher not yet due. */
export function checkMovable(piece: Piece, voucher: Voucher, actingPartyId: string, today: string): Refusal {
  if (piece.holderId !== actingPartyId) return 'not_the_holder';
  const status = statusRefusal(piece.status);
  if (status) return status;
  return isOverdue(voucher, today) ? 'piece_overdue' : null;
}

export interface SplitFacts {
  readonly piece: Piece;
  readonly voucher: Voucher & { readonly pieceCount: number };
  readonly program: Pick<Program, 'minSplitAmount' | 'maxSplitDepth'>;
  readonly actingPartyId: string;
  readonly amounts: readonly bigint[];
  readonly today: string;
}

/** A split needs at least two positive parts that add up to the piece exactly. */
export function checkSplit(facts: SplitFacts): Result<{ start: bigint; end: bigint }[], ScfError> {
  const refusal = checkMovable(facts.piece, facts.voucher, facts.actingPartyId, facts.today);
  if (refusal) return err(refusal);
  const ranges = facts.amounts.length >= 2 ? splitRanges(facts.piece, facts.amounts) : undefined;
  if (!ranges) return err('split_amounts_do_not_add_up');
  if (facts.amounts.some((amount) => amount < facts.program.minSplitAmount)) return err('split_below_minimum');
  if (facts.piece.depth + 1 > facts.program.maxSplitDepth) return err('split_depth_exceeded');
  if (facts.amounts.length > SCF_LIMITS.splitMaxParts || facts.voucher.pieceCount + facts.amounts.length > SCF_LIMITS.piecesPerVoucherMax) return err('too_many_pieces');
  return ok(ranges);
}

export function checkTransfer(piece: Piece, voucher: Voucher, actingPartyId: string, toPartyId: string, toIsSupplier: boolean, today: string): Refusal {
  const refusal = checkMovable(piece, voucher, actingPartyId, today);
  if (refusal) return refusal;
  if (!toIsSupplier) return 'party_not_in_program';
  return toPartyId === piece.holderId ? 'transfer_to_current_holder' : null;
}

/** Sign-off (and decline) belong to the party the piece waits for: the first supplier or a receiver. */
export function checkReceiver(piece: Piece, voucher: Voucher, actingPartyId: string, today: string, signing: boolean): Refusal {
  if (piece.status === 'frozen') return 'piece_frozen';
  if (piece.status !== 'awaiting_signoff' && piece.status !== 'transfer_pending') return 'piece_not_awaiting_signoff';
  if (piece.pendingHolderId !== actingPartyId) return 'not_the_receiver';
  // Declining stays possible after maturity: it only returns the piece to the party that is paid anyway.
  return signing && isOverdue(voucher, today) ? 'piece_overdue' : null;
}

export interface FinanceFacts {
  readonly piece: Piece;
  readonly voucher: Voucher;
  readonly program: Pick<Program, 'dayCountBasis'>;
  readonly actingPartyId: string;
  readonly bankId: string;
  readonly bankIsFunder: boolean;
  readonly annualRateBps: number;
  readonly today: string;
}

/**
 * Discounting: the bank pays the amount less interest for the actual days from today to maturity,
 * ACT/basis, rounded down to a whole minor unit (the remainder is stated, in units of
 * 1/(10,000 × basis) of a minor unit). Proceeds must stay positive.
 */
export function priceFinancing(facts: FinanceFacts): Result<Financing & { remainder: bigint }, ScfError> {
  const refusal = checkMovable(facts.piece, facts.voucher, facts.actingPartyId, facts.today);
  if (refusal) return err(refusal);
  if (!facts.bankIsFunder) return err('not_a_funding_bank');
  const rate = facts.annualRateBps;
  if (!Number.isInteger(rate) || rate < 0 || rate > SCF_LIMITS.annualRateMaxBps) return err('rate_out_of_range');
  const days = daysBetween(facts.today, facts.voucher.maturityDate) ?? 0;
  const amount = amountOf(facts.piece);
  const { interest, remainder } = discountInterest(amount, rate, days, facts.program.dayCountBasis);
  const proceeds = amount - interest;
  if (proceeds <= 0n) return err('rate_out_of_range');
  return ok({ bankId: facts.bankId, sellerId: facts.actingPartyId, annualRateBps: rate, days, interest, proceeds, financedOn: facts.today, remainder });
}

/**
 * Repurchase: the seller buys the piece back for its amount less the interest of the days still
 * remaining, at the rate and convention of the financing:
 *   price = amount − floor(amount × rate × daysRemaining / (10,000 × basis)).
 * On the day of financing the price equals the proceeds; the bank keeps the interest of the days it
 * carried the piece. A piece cannot be bought back on or after its maturity date: then the core
 * enterprise pays the bank.
 */
export function priceRepurchase(piece: Piece, voucher: Voucher, basis: 360 | 365, actingPartyId: string, today: string): Result<{ financing: Financing; daysRemaining: number; interestRemaining: bigint; price: bigint }, ScfError> {
  if (piece.holderId !== actingPartyId) return err('not_the_holder');
  if (piece.status === 'frozen') return err('piece_frozen');
  if (piece.status !== 'financed' || !piece.financing) {
    const terminal = piece.status === 'split' || piece.status === 'settled' || piece.status === 'cancelled';
    return err((terminal ? statusRefusal(piece.status) : null) ?? 'piece_not_financed');
  }
  if (isOverdue(voucher, today)) return err('piece_overdue');
  const financing = piece.financing;
  const daysRemaining = daysBetween(today, voucher.maturityDate) ?? 0;
  const { interest } = discountInterest(amountOf(piece), financing.annualRateBps, daysRemaining, basis);
  return ok({ financing, daysRemaining, interestRemaining: interest, price: amountOf(piece) - interest });
}

export interface Payout {
  readonly pieceId: string;
  readonly payeeId: string;
  readonly amount: bigint;
}

/**
 * Settlement at maturity: the core enterprise pays every live piece's amount to whoever is owed it,
 * the funding bank for a financed piece and the holder otherwise. The payouts add up to the face value.
 */
export function checkSettle(voucher: Voucher, pieces: readonly Piece[], actingPartyId: string, today: string): Result<Payout[], ScfError> {
  if (actingPartyId !== voucher.issuerId) return err('not_the_core_enterprise');
  if (voucher.status !== 'active') return err('voucher_not_active');
  if (today < voucher.maturityDate) return err('voucher_not_mature');
  const live = pieces.filter(isLive).sort((a, b) => (a.start < b.start ? -1 : 1));
  if (live.some((piece) => piece.status === 'frozen')) return err('piece_frozen');
  return ok(live.map((piece) => ({ pieceId: piece.id, payeeId: piece.status === 'financed' && piece.financing ? piece.financing.bankId : piece.holderId, amount: amountOf(piece) })));
}

/** Only the issuing core enterprise may cancel, and only before the first supplier has signed off. */
export function checkCancel(voucher: Voucher, root: Piece, actingPartyId: string): Refusal {
  if (actingPartyId !== voucher.issuerId) return 'not_the_core_enterprise';
  if (voucher.status !== 'active') return 'voucher_not_active';
  if (root.status === 'frozen') return 'piece_frozen';
  return root.status === 'awaiting_signoff' ? null : 'voucher_already_signed_off';
}

export function checkFreeze(piece: Piece): Refusal {
  if (piece.status === 'split' || piece.status === 'settled' || piece.status === 'cancelled') return statusRefusal(piece.status);
  return piece.status === 'frozen' ? 'piece_frozen' : null;
}

export function checkUnfreeze(piece: Piece): Refusal {
  return piece.status === 'frozen' && piece.frozenFrom ? null : 'piece_not_frozen';
}

/** True when the live pieces cover [0, face) exactly once: no gap, no overlap. */
export function partitionsFace(pieces: readonly Pick<Piece, 'start' | 'end'>[], faceAmount: bigint): boolean {
  const sorted = [...pieces].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let cursor = 0n;
  for (const piece of sorted) {
    if (piece.start !== cursor || piece.end <= piece.start) return false;
    cursor = piece.end;
  }
  return cursor === faceAmount;
}
