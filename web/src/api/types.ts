/**
 * Wire shapes of the Sluice API that the console reads. Amounts are strings of integer minor units;
 * instants are ISO 8601 strings. Only the fields the console uses are declared.
 */
export interface Ledger {
  readonly id: number;
  readonly asset_code: string;
  readonly scale: number;
  readonly name: string;
}

export interface Account {
  readonly id: string;
  readonly ledger: number;
  readonly code: number;
  readonly flags: readonly string[];
  readonly debits_pending: string;
  readonly debits_posted: string;
  readonly credits_pending: string;
  readonly credits_posted: string;
  readonly party_id: string | null;
  readonly metadata: unknown;
  readonly timestamp: string;
  readonly created_at: string;
  /** On GET /v1/accounts/{id}: the API key whose request opened it, as its journal entry records; null as for `Payment.submitted_by`. */
  readonly submitted_by?: string | null;
}

export interface Transfer {
  readonly id: string;
  readonly debit_account_id: string;
  readonly credit_account_id: string;
  readonly amount: string;
  readonly pending_id: string | null;
  readonly ledger: number;
  readonly code: number;
  readonly flags: readonly string[];
  readonly timeout: number;
  readonly metadata: unknown;
  readonly timestamp: string;
  readonly created_at: string;
  /** On GET /v1/transfers/{id}: the API key whose request stored it, as its journal entry records; null as for `Payment.submitted_by`. */
  readonly submitted_by?: string | null;
}

export interface Balances {
  readonly account_id: string;
  readonly at: string;
  readonly source: string;
  readonly debits_pending: string;
  readonly debits_posted: string;
  readonly credits_pending: string;
  readonly credits_posted: string;
}

/** `GET /v1/accounts/{id}/balances/series`: balances at evenly spaced instants (nanoseconds). */
export interface BalanceSeries {
  readonly account_id: string;
  readonly points: readonly { readonly at: string; readonly debits_pending: string; readonly debits_posted: string; readonly credits_pending: string; readonly credits_posted: string }[];
}

export interface BalanceSnapshot {
  readonly timestamp: string;
  readonly created_at?: string;
  readonly transfer_id?: string;
  readonly debits_pending: string;
  readonly debits_posted: string;
  readonly credits_pending: string;
  readonly credits_posted: string;
}

export interface Party {
  readonly id: string;
  readonly name: string;
  readonly kind: string;
  readonly jurisdiction: string;
}

export interface Money {
  readonly amount: string;
  readonly currency: string;
}

export interface PaymentSide {
  readonly account_id: string;
  readonly identifier: string;
  readonly party_id: string | null;
  readonly name: string | null;
  readonly agent: string;
  readonly currency: string;
}

export interface Payment {
  readonly id: string;
  readonly uetr: string;
  readonly end_to_end_id: string | null;
  readonly status: string;
  readonly reason_code: string | null;
  readonly error: string | null;
  readonly settlement: string;
  readonly source: string;
  readonly debtor: PaymentSide;
  readonly creditor: PaymentSide;
  readonly instructed_amount: Money;
  readonly charge_bearer: string;
  readonly debited: Money | null;
  readonly credited: Money | null;
  readonly purpose: string | null;
  readonly received_at: string;
  readonly acceptance_deadline: string | null;
  /**
   * The id of the API key that submitted the payment (GET /v1/api-keys lists it); null when the
   * platform made it itself, when it was made before keys were recorded, or, to a participant key,
   * when another key submitted it. Absent from servers that predate it.
   */
  readonly submitted_by?: string | null;
}

export interface Hop {
  readonly role: string;
  readonly participant: string;
  readonly name: string | null;
  readonly status: string;
  readonly reserved_at: string | null;
  readonly settled_at: string | null;
  readonly amount_in: Money | null;
  readonly amount_out: Money | null;
  readonly fee: Money | null;
  readonly fx: { readonly rate: string; readonly mid: string; readonly spread_bps: number; readonly rounding: Money } | null;
}

export interface PaymentEvent {
  readonly seq: string;
  readonly status: string;
  readonly reason_code: string | null;
  readonly at: string;
  /** The id of the API key whose request caused the change; null (or absent) as for `Payment.submitted_by`. */
  readonly key_id?: string | null;
}

export interface Tracking {
  readonly uetr: string;
  readonly payment_id: string;
  readonly status: string;
  readonly reason_code: string | null;
  readonly hops: readonly Hop[];
  readonly events: readonly PaymentEvent[];
  readonly return_legs: readonly { readonly role: string; readonly amount: Money; readonly booked_at: string | null }[];
}

export interface Participant {
  readonly bic: string;
  readonly party_id: string | null;
  readonly name: string;
  readonly jurisdiction: string;
  readonly currencies: readonly { readonly currency: string }[];
}

export interface FxRate {
  readonly base: string;
  readonly quote: string;
  readonly mid: string;
  readonly spread_bps: number;
}

export interface FxQuote {
  readonly id: string;
  readonly sell: Money;
  readonly buy: Money;
  readonly rate: string;
  readonly expires_at: string;
}

export interface ScfProgram {
  readonly id: string;
  readonly name: string;
  readonly core_enterprise_id: string;
  readonly funding_bank_ids: readonly string[];
  readonly supplier_ids: readonly string[];
  readonly ledger: number;
  readonly credit_limit: string;
  readonly outstanding: string;
  /** Null for a participant key that does not see the whole program (it would reveal others' vouchers). */
  readonly available: string | null;
  readonly max_term_days: number;
  readonly min_split_amount: string;
}

export interface ScfOverview {
  readonly program_id: string;
  readonly today: string;
  readonly ledger: number;
  readonly credit_limit: string;
  readonly outstanding: string;
  /** Null for a participant key that does not see the whole program (it would reveal others' vouchers). */
  readonly available: string | null;
  readonly financed: string;
  readonly financed_share_bps: number;
  readonly overdue: { readonly amount: string; readonly vouchers: number };
  readonly by_tier: readonly { readonly tier: number; readonly amount: string; readonly pieces: number }[];
  readonly maturity_ladder: readonly { readonly month: string; readonly amount: string; readonly vouchers: number }[];
}

export interface Voucher {
  readonly id: string;
  readonly program_id: string;
  readonly issuer_id: string;
  readonly supplier_id: string;
  readonly face_amount: string;
  readonly issue_date: string;
  readonly maturity_date: string;
  readonly status: string;
  readonly piece_count: number;
}

export interface Financing {
  readonly bank_id: string;
  readonly seller_id: string;
  readonly annual_rate_bps: number;
  readonly days: number;
  readonly interest: string;
  readonly proceeds: string;
  readonly financed_on: string;
}

export interface Piece {
  readonly id: string;
  readonly voucher_id: string;
  readonly parent_id: string | null;
  readonly amount: string;
  readonly depth: number;
  readonly tier: number;
  readonly status: string;
  readonly holder_id: string;
  readonly pending_holder_id: string | null;
  readonly payee_id: string | null;
  readonly financing: Financing | null;
  readonly holders?: readonly { readonly party_id: string; readonly tier: number; readonly since: string }[];
  readonly children?: readonly Piece[];
}

export interface VoucherView extends Voucher {
  readonly overdue: boolean;
  readonly tree: Piece;
  readonly current_pieces: readonly { readonly piece_id: string; readonly holder_id: string; readonly amount: string; readonly status: string; readonly chain: readonly string[] }[];
}

/** One entry of GET /v1/scf/vouchers/{id}/operations: an applied operation of the voucher. */
export interface VoucherOperation {
  readonly operation_id: string;
  readonly kind: string;
  readonly created_at: string;
  /** The API key that submitted it, as for `Payment.submitted_by`: null for another key's (to a participant) and for one made inside the process. */
  readonly submitted_by: string | null;
  readonly result: Readonly<Record<string, unknown>>;
}

export interface Checkpoint {
  readonly treeSize: number;
  readonly root: string;
  readonly headHash: string;
  readonly algorithm: string;
  readonly createdAt: string;
  readonly envelope: { readonly suite: string; readonly context: string; readonly parts: readonly { readonly algorithm: string; readonly keyId: string; readonly signature: string }[] };
}

/** A checkpoint as GET /v1/journal/checkpoints lists it: whether this server verifies it with its own keys. */
export interface ListedCheckpoint extends Checkpoint {
  readonly verifiable: boolean;
  readonly problem?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly entries: number;
  readonly algorithm: string;
  readonly head_seq: string;
  readonly head_hash: string;
  readonly problems: readonly { readonly seq: string | null; readonly problem: string }[];
}

export interface VerifyJob {
  readonly id: string;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly checked: number;
  readonly total: number | null;
  readonly started_at: string;
  readonly finished_at: string | null;
  readonly report: VerifyReport | null;
  readonly error: string | null;
}

export interface Overview {
  readonly at: string;
  readonly ledgers: readonly { readonly ledger: number; readonly currency: string; readonly scale: number; readonly accounts: number; readonly posted: string; readonly pending: string }[];
  readonly payments: {
    readonly counted: number;
    readonly complete: boolean;
    readonly by_status: readonly { readonly status: string; readonly count: number }[];
    readonly by_currency: readonly { readonly currency: string; readonly count: number; readonly settled: number; readonly settled_amount: string }[];
  };
}
