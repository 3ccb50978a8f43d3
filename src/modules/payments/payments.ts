import type { Rate } from '../fx/index.ts';

/**
 * Payments: the types, the status machine and the vocabulary of ISO 20022 that the rest of the
 * module speaks. Amounts are minor units; instants are nanoseconds since the epoch (the ledger's
 * clock), so a payment's events line up with the ledger transfers that carry it.
 */

/**
 * Statuses of a payment, after ISO 20022's ExternalPaymentTransactionStatus1Code: received,
 * accepted after technical and business checks, settlement in process (every leg reserved and the
 * pacs.008 on its way to the creditor agent), credited to the creditor's account, rejected, and
 * cancelled before settlement. RTND is Sluice's own: the payment was settled and then returned
 * with a pacs.004, which ISO reports in a message of its own rather than as a status.
 */
export const PAYMENT_STATUSES = ['RCVD', 'ACTC', 'ACSP', 'ACCC', 'RJCT', 'CANC', 'RTND'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

const TRANSITIONS: Readonly<Record<PaymentStatus, readonly PaymentStatus[]>> = {
  RCVD: ['ACTC', 'RJCT'],
  // An immediate payment held for risk review stays ACTC with its legs reserved (its creditor agent
  // is instructed only on release), and its debtor's side may cancel it there.
  ACTC: ['ACSP', 'RJCT', 'CANC'],
  ACSP: ['ACCC', 'RJCT', 'CANC'],
  ACCC: ['RTND'],
  RJCT: [],
  CANC: [],
  RTND: [],
};

export function canTransition(from: PaymentStatus | null, to: PaymentStatus): boolean {
  return from === null ? to === 'RCVD' : TRANSITIONS[from].includes(to);
}

export const isFinal = (status: PaymentStatus): boolean => TRANSITIONS[status].length === 0;

/** Who bears the charges (ISO ChargeBearerType1Code): debtor, creditor, or each their own agent's. */
export const CHARGE_BEARERS = ['DEBT', 'CRED', 'SHAR'] as const;
export type ChargeBearer = (typeof CHARGE_BEARERS)[number];

/**
 * `immediate`: reserved and settled in one go. `on_acceptance`: reserved, then held until the
 * creditor agent accepts (posted) or rejects it, the debtor side cancels it, or it times out (voided).
 */
export const SETTLEMENT_MODES = ['immediate', 'on_acceptance'] as const;
export type SettlementMode = (typeof SETTLEMENT_MODES)[number];

export type OrderSource = 'api' | 'pain.001' | 'pacs.008';

/** A payment order as a client (or an imported message) gives it. */
export interface PaymentOrder {
  /** The client's id for this payment: its idempotency key. */
  readonly id: string;
  readonly uetr?: string;
  readonly endToEndId: string;
  readonly instructionId?: string;
  /** An account id (UUID) or the account's identifier (an IBAN or other number). */
  readonly debtorAccount: string;
  readonly creditorAccount: string;
  /** BICs; when given they must be the agents that hold the accounts. */
  readonly debtorAgent?: string;
  readonly creditorAgent?: string;
  /** The instructed amount, in the debtor account's currency. */
  readonly amount: bigint;
  readonly currency: string;
  readonly chargeBearer: ChargeBearer;
  /** ISO ExternalPurpose1Code, four letters. */
  readonly purpose?: string;
  /** Unstructured remittance information, one or more lines of at most 140 characters. */
  readonly remittance: readonly string[];
  readonly quoteId?: string;
  readonly settlement: SettlementMode;
  readonly acceptanceTimeoutSeconds?: number;
  readonly source: OrderSource;
  /** The imported message the order came from, which status reports refer back to. */
  readonly sourceMessage?: { readonly id: string; readonly definition: string; readonly createdAt: string };
}

/** What each ledger transfer of a payment does; the tracker reads the hops from these. */
export const LEG_ROLES = [
  'customer_debit', 'debtor_agent_fee', 'fx_sell', 'fx_rounding', 'fx_buy', 'interbank', 'creditor_agent_fee', 'customer_credit',
  'return_debit', 'return_interbank', 'return_fx_sell', 'return_fx_rounding', 'return_fx_buy', 'return_credit',
] as const;
export type LegRole = (typeof LEG_ROLES)[number];

export interface Leg {
  /**
   * The ledger transfer that books this leg (the pending one, for a payment's own legs). Chosen
   * when the plan is written, before the ledger is asked, as a time-ordered id: the ledger's
   * indexes then grow at their end, and a retry or a recovery finds the same transfer.
   */
  readonly transferId: string;
  readonly role: LegRole;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly amount: bigint;
  readonly ledger: number;
  readonly currency: string;
  readonly code: number;
}

export interface FxTerms {
  readonly quoteId: string | null;
  /** Customer rate in major units (mid less spread), exact. */
  readonly rate: Rate;
  readonly mid: string;
  readonly spreadBps: number;
  /** Debit-currency minor units handed to the desk for conversion (converted + residual). */
  readonly sold: bigint;
  readonly converted: bigint;
  /** Whole minor units that bought nothing; booked to the desk's rounding account. */
  readonly residual: bigint;
  readonly bought: bigint;
  /** The fraction of one credit-currency minor unit not delivered, stated and never paid. */
  readonly remainder: Rate | null;
}

/** Everything a payment books, decided before the first leg is reserved. */
export interface Plan {
  readonly debitCurrency: string;
  readonly creditCurrency: string;
  /** What the debtor's account gives up in total, fees included. */
  readonly debited: bigint;
  /** What reaches the creditor's account. */
  readonly credited: bigint;
  /** Principal leaving the debtor for its agent (before conversion). */
  readonly principal: bigint;
  readonly debtorAgentFee: bigint;
  readonly creditorAgentFee: bigint;
  readonly fx: FxTerms | null;
  readonly legs: readonly Leg[];
}

export interface Party {
  readonly name: string;
  readonly accountId: string;
  readonly identifier: string;
  readonly partyId: string;
  readonly agent: string;
  readonly agentPartyId: string;
  readonly currency: string;
}

/** Where a payment's ledger work stands, so that recovery can finish what a crash interrupted. */
export type LedgerState = 'none' | 'reserving' | 'reserved' | 'posting' | 'voiding' | 'returning' | 'done';

export interface Decision {
  readonly status: 'ACCC' | 'RJCT' | 'CANC';
  readonly reasonCode: string | null;
  readonly error: string | null;
  /**
   * The API key that took the decision, which its status change records when it is carried out
   * (after a crash too); null or absent when made inside the process (an expired window, risk
   * control) or written before decisions named their key.
   */
  readonly by?: string | null;
}

export interface MessageRef {
  readonly kind: 'pacs.008' | 'pacs.002' | 'pacs.004';
  readonly messageId: string;
  /** When it was created, nanoseconds: rebuilding it from the record gives the same document. */
  readonly createdAt: bigint;
  /** The status it reports (pacs.002), and the reason code of a rejection or return. */
  readonly status: string | null;
  readonly reasonCode: string | null;
  /** SHA-256 of the document as first built: an export is checked against it. */
  readonly sha256: string;
}

export interface ReturnInfo {
  readonly id: string;
  readonly reasonCode: string;
  readonly returnedAt: bigint;
  readonly legs: readonly Leg[];
  /** What went back: debited from the creditor, credited to the debtor. */
  readonly debitedFromCreditor: bigint;
  readonly creditedToDebtor: bigint;
  readonly fx: FxTerms | null;
  /** The API key that asked for the return; null or absent as for a decision's `by`. */
  readonly by?: string | null;
}

export interface PaymentRecord {
  readonly id: string;
  readonly uetr: string;
  readonly fingerprint: string;
  readonly order: PaymentOrder;
  readonly status: PaymentStatus;
  readonly reasonCode: string | null;
  /** The rule a refusal broke, e.g. "insufficient_funds"; null unless refused. */
  readonly error: string | null;
  readonly debtor: Party | null;
  readonly creditor: Party | null;
  readonly plan: Plan | null;
  readonly ledgerState: LedgerState;
  /** A decision taken but not yet carried out in the ledger (cancel, reject, accept). */
  readonly decision: Decision | null;
  readonly deadlineMs: number | null;
  readonly messages: readonly MessageRef[];
  readonly receivedAt: bigint;
  readonly reachedCreditorAgentAt: bigint | null;
  readonly creditedAt: bigint | null;
  readonly returned: ReturnInfo | null;
  /** Every status change so far, in order: what the tracker shows, kept with the payment so it costs one read. */
  readonly events: readonly PaymentEvent[];
  readonly createdAt: string;
  readonly updatedAt: string;
  /**
   * The id of the API key that submitted it (by `POST /v1/payments` or in an imported file); null
   * for payments made inside the process (demo, flows, tests) and for those recorded before keys
   * were. A replay by another key leaves the first submitter.
   */
  readonly submittedBy: string | null;
}

export interface PaymentEvent {
  readonly seq: bigint;
  readonly paymentId: string;
  readonly uetr: string;
  readonly status: PaymentStatus;
  readonly reasonCode: string | null;
  readonly at: bigint;
  /**
   * The API key whose request caused this status change: the submitter for the steps of a
   * submission, the key that accepted, rejected, cancelled or returned it for theirs; null for
   * what the process did on its own (an acceptance window closing, a risk review) and for events
   * recorded before keys were.
   */
  readonly keyId: string | null;
}

/** ISO 9362 BIC: bank (4 letters), country (2), location (2), optional branch (3). */
export const BIC_PATTERN = '^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$';
export const PURPOSE_PATTERN = '^[A-Z]{4}$';
/** ISO 20022 Max35Text: end-to-end and instruction ids. */
export const MAX35_PATTERN = '^[A-Za-z0-9/?:().,\'+ -]{1,35}$';
/** A UUID version 4, as a UETR must be (SWIFT gpi, ISO 20022 UUIDv4Identifier). */
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
