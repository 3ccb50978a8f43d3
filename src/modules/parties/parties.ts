/** Parties are who owns accounts: customers, enterprises, banks and payment firms. */
export const PARTY_KINDS = ['individual', 'enterprise', 'bank', 'payment_firm', 'government', 'other'] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];

export interface Party {
  readonly id: string;
  readonly name: string;
  readonly kind: PartyKind;
  /** ISO 3166-1 alpha-2 country or territory code, e.g. "CN", "HK". */
  readonly jurisdiction: string;
  /** Canonical JSON or null. */
  readonly metadata: string | null;
  readonly createdAt: string;
}
