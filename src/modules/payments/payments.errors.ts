/**
 * Every refusal of the payments module: the HTTP status it answers and, for refusals that reject a
 * payment, the ISO 20022 status reason code (ExternalStatusReason1Code) its pacs.002 carries.
 */
export const PAYMENT_ERRORS = Object.freeze({
  // Refusals that reject a payment: it is recorded as RJCT with the reason, and nothing is booked.
  unknown_participant: { status: 422, reason: 'RC01' },
  debtor_account_not_found: { status: 422, reason: 'AC02' },
  creditor_account_not_found: { status: 422, reason: 'AC03' },
  account_not_held_at_agent: { status: 422, reason: 'AC01' },
  accounts_must_be_different: { status: 422, reason: 'AC01' },
  account_closed: { status: 422, reason: 'AC04' },
  insufficient_funds: { status: 422, reason: 'AM04' },
  insufficient_liquidity: { status: 422, reason: 'AM04' },
  unsupported_currency: { status: 422, reason: 'AM03' },
  currency_mismatch: { status: 422, reason: 'AM03' },
  fx_rate_not_available: { status: 422, reason: 'CURR' },
  amount_below_charges: { status: 422, reason: 'AM12' },
  amount_too_small_to_convert: { status: 422, reason: 'AM12' },
  amount_out_of_range: { status: 422, reason: 'AM02' },
  quote_not_found: { status: 422, reason: 'MS03' },
  quote_expired: { status: 422, reason: 'MS03' },
  quote_already_used: { status: 409, reason: 'MS03' },
  quote_does_not_match: { status: 422, reason: 'AM09' },
  settlement_failed: { status: 500, reason: 'MS03' },
  rejected_by_creditor_agent: { status: 422, reason: null },
  acceptance_timed_out: { status: 422, reason: 'AB05' },
  // Risk control: declined before anything was reserved (FRAD, "fraudulent origin"); declined
  // because the evaluation itself failed and risk control fails closed (MS03, no reason stated);
  // rejected by an analyst after review.
  risk_declined: { status: 422, reason: 'FRAD' },
  risk_check_failed: { status: 422, reason: 'MS03' },
  rejected_after_review: { status: 422, reason: 'FRAD' },
  // Refusals of a request that leave the payment as it was.
  payment_exists_with_different_fields: { status: 409, reason: null },
  // A client's payment id in the layout of the ids Sluice derives (UUID version 8), kept for them.
  payment_id_reserved: { status: 422, reason: null },
  uetr_already_used: { status: 409, reason: null },
  payment_not_found: { status: 404, reason: null },
  message_not_found: { status: 404, reason: null },
  payment_not_awaiting_acceptance: { status: 409, reason: null },
  payment_held_for_review: { status: 409, reason: null },
  payment_not_cancellable: { status: 409, reason: null },
  payment_already_settled: { status: 409, reason: null },
  payment_not_settled: { status: 409, reason: null },
  payment_already_returned: { status: 409, reason: null },
  // Directory and set-up.
  party_not_found: { status: 422, reason: null },
  party_not_a_payment_institution: { status: 422, reason: null },
  participant_exists_with_different_fields: { status: 409, reason: null },
  participant_not_found: { status: 404, reason: null },
  account_exists_with_different_fields: { status: 409, reason: null },
  identifier_already_used: { status: 409, reason: null },
  // ISO 20022 files.
  xml_malformed: { status: 400, reason: 'FF01' },
  xml_entity_forbidden: { status: 400, reason: 'FF01' },
  xml_too_large: { status: 413, reason: 'FF01' },
  xml_unsupported_message: { status: 422, reason: 'FF01' },
  // A sender's MsgId already names another file: ISO's DU01, "message identification is not unique".
  duplicate_message_id: { status: 409, reason: 'DU01' },
  // The same, for a file whose header flags it as a possible duplicate (PssblDplct): taken as one.
  possible_duplicate_conflict: { status: 409, reason: 'DU01' },
  // Webhooks and statements.
  webhook_not_found: { status: 404, reason: null },
  webhook_url_not_allowed: { status: 422, reason: null },
  webhook_host_not_resolved: { status: 422, reason: null },
  too_many_webhooks: { status: 422, reason: null },
  // The server's key secret opens none of the stored webhook secrets: a configuration fault, not the caller's.
  webhook_secrets_unavailable: { status: 503, reason: null },
  statement_too_large: { status: 422, reason: null },
  statement_date_invalid: { status: 400, reason: null },
  account_not_found: { status: 404, reason: null },
});
export type PaymentError = keyof typeof PAYMENT_ERRORS;

export const statusOf = (error: PaymentError): number => PAYMENT_ERRORS[error].status;
export const reasonOf = (error: PaymentError): string | null => PAYMENT_ERRORS[error].reason;

/**
 * ISO ExternalReturnReason1Code values accepted for a return (pacs.004), and
 * ExternalCancellationReason1Code values for a cancellation: the common ones, named so a client
 * cannot send free text where a code belongs.
 */
export const RETURN_REASONS = ['AC01', 'AC03', 'AC04', 'AC06', 'AG01', 'AM05', 'BE04', 'CUST', 'FOCR', 'FRAD', 'MD07', 'MS02', 'MS03', 'NARR', 'RR04'] as const;
export const CANCELLATION_REASONS = ['AGNT', 'CURR', 'CUST', 'DUPL', 'FRAD', 'TECH', 'UPAY'] as const;
/** Reasons a creditor agent may give when it rejects a payment held for its acceptance. */
export const REJECTION_REASONS = ['AC01', 'AC03', 'AC04', 'AC06', 'AG01', 'AM09', 'BE01', 'CUST', 'FRAD', 'MS02', 'MS03', 'NARR', 'RR04'] as const;
/** An acceptance window that passed: ISO's "time-out at the creditor agent". */
export const TIMEOUT_REASON = 'AB05';
