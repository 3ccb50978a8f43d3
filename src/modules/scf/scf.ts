import { divideFloor } from '../../kernel/index.ts';

/**
 * Supply-chain finance with digital receivable vouchers. A core enterprise issues a voucher (a claim
 * on itself payable at maturity) to a first-tier supplier; holders split it into pieces, pass pieces
 * down the chain, and may finance a piece with a funding bank before maturity. A piece is always a
 * half-open range [start, end) of its voucher's minor units, so pieces provably partition the face
 * amount and each piece's ancestry is the chain of ranges that contain it.
 */
export interface Program {
  readonly id: string;
  readonly name: string;
  readonly coreEnterpriseId: string;
  readonly fundingBankIds: readonly string[];
  /** The supplier network: the parties that may hold and pass on the program's vouchers. */
  readonly supplierIds: readonly string[];
  /** The ledger (currency) the program books in. */
  readonly ledger: number;
  /** Face value of the core enterprise's outstanding vouchers may not exceed this. */
  readonly creditLimit: bigint;
  readonly maxTermDays: number;
  readonly minSplitAmount: bigint;
  readonly maxSplitDepth: number;
  /** Day-count convention of discount interest: ACT/360 or ACT/365. */
  readonly dayCountBasis: 360 | 365;
  readonly createdAt: string;
}

export type VoucherStatus = 'active' | 'cancelled' | 'settled';
export interface Voucher {
  readonly id: string;
  readonly programId: string;
  readonly issuerId: string;
  readonly faceAmount: bigint;
  /** Calendar dates, YYYY-MM-DD, in the program's business calendar. */
  readonly issueDate: string;
  readonly maturityDate: string;
  /** SHA-256 (hex) of the underlying contract; the document itself is optional and kept elsewhere. */
  readonly contractHash: string;
  readonly invoiceHashes: readonly string[];
  status: VoucherStatus;
  readonly createdAt: string;
}

export type PieceStatus = 'awaiting_signoff' | 'held' | 'transfer_pending' | 'financed' | 'frozen' | 'split' | 'settled' | 'cancelled';
export interface Piece {
  readonly id: string;
  readonly voucherId: string;
  readonly start: bigint;
  readonly end: bigint;
  readonly parentId: string | null;
  readonly depth: number;
  /**
   * Position of the holder in the supply chain: 1 for the first supplier, one more for every
   * accepted transfer. A split keeps the tier, because the holder stays the same.
   */
  tier: number;
  holderId: string;
  /** The receiver of a transfer that has not signed off yet. */
  pendingHolderId: string | null;
  status: PieceStatus;
  /** Status to return to when a freeze is lifted. */
  frozenFrom: PieceStatus | null;
  financing: Financing | null;
  updatedAt: string;
}

export interface Financing {
  readonly bankId: string;
  /** The supplier who financed the piece and may repurchase it. */
  readonly sellerId: string;
  readonly annualRateBps: number;
  readonly days: number;
  readonly interest: bigint;
  readonly proceeds: bigint;
  readonly financedOn: string;
}

/** Claims that cannot move any more because their maturity date has come and they are not paid. */
export function isOverdue(voucher: Pick<Voucher, 'status' | 'maturityDate'>, today: string): boolean {
  return voucher.status === 'active' && today >= voucher.maturityDate;
}

export const amountOf = (piece: Pick<Piece, 'start' | 'end'>): bigint => piece.end - piece.start;

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Days from one calendar date to another (actual days), or undefined for a malformed date. */
export function daysBetween(from: string, to: string): number | undefined {
  const start = parseDate(from);
  const end = parseDate(to);
  return start === undefined || end === undefined ? undefined : Math.round((end - start) / DAY_MS);
}

export function parseDate(text: string): number | undefined {
  const match = DATE.exec(text);
  if (!match) return undefined;
  const ms = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : undefined;
}

export function dateOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Discount interest on `amount` for `days` at an annual rate in basis points, ACT/basis, rounded
 * down to a whole minor unit: the bank never charges a fraction it cannot book, and the remainder
 * (less than one minor unit) is stated rather than lost.
 */
export function discountInterest(amount: bigint, annualRateBps: number, days: number, basis: 360 | 365): { interest: bigint; remainder: bigint } {
  const { quotient, remainder } = divideFloor(amount * BigInt(annualRateBps) * BigInt(days), 10_000n * BigInt(basis));
  return { interest: quotient, remainder };
}

/** Splits a piece's range into consecutive ranges of the given amounts, which must add up exactly. */
export function splitRanges(piece: Pick<Piece, 'start' | 'end'>, amounts: readonly bigint[]): { start: bigint; end: bigint }[] | undefined {
  const total = amounts.reduce((sum, amount) => sum + amount, 0n);
  if (total !== amountOf(piece) || amounts.some((amount) => amount <= 0n)) return undefined;
  const ranges: { start: bigint; end: bigint }[] = [];
  let cursor = piece.start;
  for (const amount of amounts) {
    ranges.push({ start: cursor, end: cursor + amount });
    cursor += amount;
  }
  return ranges;
}

/** Pieces that still count as a claim on the core enterprise (not split into children, settled or cancelled). */
export function isLive(piece: Pick<Piece, 'status'>): boolean {
  return piece.status !== 'split' && piece.status !== 'settled' && piece.status !== 'cancelled';
}
