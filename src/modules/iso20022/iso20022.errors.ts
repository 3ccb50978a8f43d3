/**
 * Every refusal of the ISO 20022 layer, with the HTTP status it answers. Imports and builders
 * report problems with these codes; each problem names the element (or input field) at fault.
 */
export const ISO20022_ERROR_STATUS = Object.freeze({
  /** The file is larger than ISO20022_LIMITS.messageMaxBytes. */
  xml_too_large: 413,
  /** More transactions than ISO20022_LIMITS.transactionsMaxPerMessage. */
  too_many_transactions: 413,
  /** Not well-formed XML, not UTF-8, or nested deeper than the limit. */
  xml_malformed: 400,
  /** A DOCTYPE or entity declaration: refused outright, so no entity is ever expanded. */
  xml_entities_forbidden: 400,
  /** Well-formed XML, but not a message definition (and version) this layer reads. */
  unsupported_message: 415,
  /** Breaks the official XSD of its message definition. */
  schema_invalid: 422,
  /** Valid ISO 20022 that Sluice does not process (cheques, equivalent amounts). */
  unsupported_feature: 422,
  unknown_currency: 422,
  amount_scale_exceeds_currency: 422,
  amount_not_positive: 422,
  amount_out_of_range: 422,
  invalid_exchange_rate: 422,
  /** Instructed and settlement currencies differ but no exchange rate is given. */
  exchange_rate_required: 422,
  control_sum_mismatch: 422,
  number_of_transactions_mismatch: 422,
  total_settlement_amount_mismatch: 422,
  invalid_bic: 422,
  invalid_iban: 422,
  invalid_uetr: 422,
  invalid_text: 422,
  invalid_date: 422,
  invalid_code: 422,
  /** An element the schema allows to be absent but Sluice needs (a party name, an agent BIC …). */
  missing_element: 422,
  duplicate_end_to_end_id: 422,
  duplicate_uetr: 422,
  duplicate_payment_information_id: 422,
  /** The business application header does not match its document. */
  header_mismatch: 422,
  currency_mismatch: 422,
  /** Opening balance plus entries does not give the closing balance. */
  balances_do_not_reconcile: 422,
  /** A message to build has no transactions (or a report neither group status nor transactions). */
  empty_message: 422,
});
export type Iso20022ErrorCode = keyof typeof ISO20022_ERROR_STATUS;

/** One broken rule: where (an element path like `/Document/…/CdtTrfTxInf[3]/Amt/InstdAmt`, or an input field) and why. */
export interface Iso20022Problem {
  readonly code: Iso20022ErrorCode;
  readonly path: string;
  readonly reason: string;
}

/**
 * The outcome of an import or a build. On failure `error` is the first problem's code (the one
 * that decides the HTTP status) and `problems` lists every problem found, up to the limit.
 */
export type Iso20022Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Iso20022ErrorCode; readonly problems: readonly Iso20022Problem[] };

export function problem(code: Iso20022ErrorCode, path: string, reason: string): Iso20022Problem {
  return { code, path, reason };
}

export function refuse<T>(problems: readonly Iso20022Problem[]): Iso20022Result<T> {
  const first = problems[0];
  if (!first) throw new Error('refuse() needs at least one problem');
  return { ok: false, error: first.code, problems };
}

export function refuseOne<T>(code: Iso20022ErrorCode, path: string, reason: string): Iso20022Result<T> {
  return refuse([problem(code, path, reason)]);
}

/**
 * The ISO status reason (ExternalStatusReason1Code) to put in a pacs.002 rejection for each
 * refusal, so the sender learns the cause in its own vocabulary.
 */
const STATUS_REASON_BY_ERROR: Readonly<Record<Iso20022ErrorCode, string>> = Object.freeze({
  xml_too_large: 'FF01',
  too_many_transactions: 'FF01',
  xml_malformed: 'FF01',
  xml_entities_forbidden: 'FF01',
  unsupported_message: 'FF01',
  schema_invalid: 'FF01',
  unsupported_feature: 'FF01',
  unknown_currency: 'AM03',
  amount_scale_exceeds_currency: 'AM12',
  amount_not_positive: 'AM01',
  amount_out_of_range: 'AM02',
  invalid_exchange_rate: 'AM12',
  exchange_rate_required: 'AM12',
  control_sum_mismatch: 'AM10',
  number_of_transactions_mismatch: 'AM18',
  total_settlement_amount_mismatch: 'AM10',
  invalid_bic: 'RC01',
  invalid_iban: 'AC01',
  invalid_uetr: 'FF01',
  invalid_text: 'FF01',
  invalid_date: 'DT01',
  invalid_code: 'FF01',
  missing_element: 'FF01',
  duplicate_end_to_end_id: 'AM05',
  duplicate_uetr: 'AM05',
  duplicate_payment_information_id: 'AM05',
  header_mismatch: 'FF01',
  currency_mismatch: 'AM03',
  balances_do_not_reconcile: 'AM10',
  empty_message: 'FF01',
});

/** The ISO status reason code for a refusal, e.g. `control_sum_mismatch` → `AM10`. */
export function statusReasonFor(code: Iso20022ErrorCode): string {
  return STATUS_REASON_BY_ERROR[code];
}

/**
 * Status and return reason codes Sluice itself uses, with their ISO names. Builders accept any
 * well-formed external code; this list documents the ones the platform produces.
 */
export const REASON_CODES = Object.freeze({
  AC01: 'IncorrectAccountNumber',
  AC03: 'InvalidCreditorAccountNumber',
  AC04: 'ClosedAccountNumber',
  AC06: 'BlockedAccount',
  AG01: 'TransactionForbidden',
  AM01: 'ZeroAmount',
  AM02: 'NotAllowedAmount',
  AM03: 'NotAllowedCurrency',
  AM04: 'InsufficientFunds',
  AM05: 'Duplication',
  AM09: 'WrongAmount',
  AM10: 'InvalidControlSum',
  AM12: 'InvalidAmount',
  AM18: 'InvalidNumberOfTransactions',
  BE04: 'MissingCreditorAddress',
  CUST: 'RequestedByCustomer',
  DT01: 'InvalidDate',
  DUPL: 'DuplicatePayment',
  FF01: 'InvalidFileFormat',
  FOCR: 'FollowingCancellationRequest',
  FRAD: 'FraudulentOrigin',
  MS02: 'NotSpecifiedReasonCustomerGenerated',
  MS03: 'NotSpecifiedReasonAgentGenerated',
  NARR: 'Narrative',
  RC01: 'BankIdentifierIncorrect',
  RR04: 'RegulatoryReason',
  TECH: 'TechnicalProblem',
  UPAY: 'UnduePayment',
});
