/**
 * Ledger types and flags: TigerBeetle's model of accounts and immutable transfers, in minor units.
 */
export const AccountFlags = Object.freeze({
  debits_must_not_exceed_credits: 1 << 0,
  credits_must_not_exceed_debits: 1 << 1,
  history: 1 << 2,
  closed: 1 << 3,
});
export type AccountFlagName = keyof typeof AccountFlags;

export const TransferFlags = Object.freeze({
  linked: 1 << 0,
  pending: 1 << 1,
  post_pending: 1 << 2,
  void_pending: 1 << 3,
  balancing_debit: 1 << 4,
  balancing_credit: 1 << 5,
});
export type TransferFlagName = keyof typeof TransferFlags;

export function flagsToBits<N extends string>(names: readonly N[], table: Readonly<Record<N, number>>): number {
  let bits = 0;
  for (const name of names) bits |= table[name];
  return bits;
}

export function bitsToFlags<N extends string>(bits: number, table: Readonly<Record<N, number>>): N[] {
  return (Object.keys(table) as N[]).filter((name) => (bits & table[name]) !== 0);
}

export interface Ledger {
  readonly id: number;
  /** ISO 4217 currency or other asset code, e.g. "CNY", "XAU", "CARBON-T". */
  readonly assetCode: string;
  /** Digits after the decimal point of one minor unit; fixed once the ledger exists. */
  readonly scale: number;
  readonly name: string;
  readonly timestamp: bigint;
}

export type Metadata = Readonly<Record<string, string>>;

export interface Account {
  readonly id: string;
  readonly ledger: number;
  readonly code: number;
  flags: number;
  debitsPending: bigint;
  debitsPosted: bigint;
  creditsPending: bigint;
  creditsPosted: bigint;
  readonly partyId: string | null;
  readonly metadata: string | null;
  readonly timestamp: bigint;
}

export interface Transfer {
  readonly id: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly pendingId: string | null;
  readonly ledger: number;
  readonly code: number;
  readonly flags: number;
  readonly timeoutSeconds: number;
  /** Canonical JSON (sorted keys) or null. */
  readonly metadata: string | null;
  /** Nanoseconds since the epoch; unique and strictly increasing across the ledger. */
  readonly timestamp: bigint;
}

export type PendingStatus = 'pending' | 'posted' | 'voided' | 'expired';

export interface PendingState {
  readonly id: string;
  status: PendingStatus;
  /** Nanoseconds; 0n when the pending transfer never times out. */
  readonly expiresAt: bigint;
  /** When it stopped being pending (post, void or expiry), else 0n. */
  resolvedAt: bigint;
}

/** What a client asks for. Missing fields of a post or void are taken from the pending transfer. */
export interface TransferRequest {
  readonly id: string;
  readonly debitAccountId?: string;
  readonly creditAccountId?: string;
  /** Omitted: post the full pending amount, void it whole, or balance as much as possible. */
  readonly amount?: bigint;
  readonly pendingId?: string;
  readonly ledger?: number;
  readonly code?: number;
  readonly flags: number;
  readonly timeoutSeconds?: number;
  readonly metadata?: string | null;
}

export interface AccountRequest {
  readonly id: string;
  readonly ledger: number;
  readonly code: number;
  readonly flags: number;
  readonly partyId?: string | null;
  readonly metadata?: string | null;
}

export function canonicalMetadata(metadata: Metadata | undefined | null): string | null {
  if (!metadata) return null;
  const keys = Object.keys(metadata).sort();
  if (keys.length === 0) return null;
  const sorted: Record<string, string> = {};
  for (const key of keys) sorted[key] = metadata[key] as string;
  return JSON.stringify(sorted);
}
