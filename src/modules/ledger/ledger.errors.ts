/**
 * Result codes of the ledger, each named after the rule it reports. A transfer that breaks several
 * rules reports the first in this order, which is part of the API (documented in docs/ledger.md).
 */
export const TRANSFER_RESULT_CODES = [
  'linked_event_failed',
  'linked_event_chain_open',
  'id_must_not_be_zero',
  'id_must_not_be_int_max',
  'flags_are_mutually_exclusive',
  'debit_account_id_must_not_be_zero',
  'credit_account_id_must_not_be_zero',
  'accounts_must_be_different',
  'pending_id_must_be_zero',
  'pending_id_must_not_be_zero',
  'pending_id_must_be_different',
  'timeout_reserved_for_pending_transfer',
  'amount_must_not_be_zero',
  'ledger_must_not_be_zero',
  'code_must_not_be_zero',
  'exists_with_different_flags',
  'exists_with_different_pending_id',
  'exists_with_different_timeout',
  'exists_with_different_debit_account_id',
  'exists_with_different_credit_account_id',
  'exists_with_different_amount',
  'exists_with_different_metadata',
  'exists_with_different_ledger',
  'exists_with_different_code',
  'debit_account_not_found',
  'credit_account_not_found',
  'accounts_must_have_the_same_ledger',
  'transfer_must_have_the_same_ledger_as_accounts',
  'pending_transfer_not_found',
  'pending_transfer_not_pending',
  'pending_transfer_has_different_debit_account_id',
  'pending_transfer_has_different_credit_account_id',
  'pending_transfer_has_different_ledger',
  'pending_transfer_has_different_code',
  'exceeds_pending_transfer_amount',
  'pending_transfer_has_different_amount',
  'pending_transfer_already_posted',
  'pending_transfer_already_voided',
  'pending_transfer_expired',
  'debit_account_already_closed',
  'credit_account_already_closed',
  'overflows_debits_pending',
  'overflows_credits_pending',
  'overflows_debits_posted',
  'overflows_credits_posted',
  'overflows_debits',
  'overflows_credits',
  'overflows_timeout',
  'exceeds_credits',
  'exceeds_debits',
] as const;

export type TransferError = (typeof TRANSFER_RESULT_CODES)[number];

export const ACCOUNT_RESULT_CODES = [
  'id_must_not_be_zero',
  'id_must_not_be_int_max',
  'flags_are_mutually_exclusive',
  'ledger_must_not_be_zero',
  'code_must_not_be_zero',
  'exists_with_different_flags',
  'exists_with_different_ledger',
  'exists_with_different_code',
  'exists_with_different_party_id',
  'exists_with_different_metadata',
  'ledger_not_found',
  'party_not_found',
] as const;

export type AccountError = (typeof ACCOUNT_RESULT_CODES)[number];

/** Errors of the ledger's non-batch operations, with the HTTP status each maps to. */
export const LEDGER_ERROR_STATUS = Object.freeze({
  ledger_exists_with_different_asset_code: 409,
  ledger_exists_with_different_scale: 409,
  ledger_exists_with_different_name: 409,
  ledger_not_found: 404,
  account_not_found: 404,
  transfer_not_found: 404,
  account_already_closed: 409,
  account_not_closed: 409,
  account_has_pending_balance: 409,
  ledger_overloaded: 503,
});
export type LedgerError = keyof typeof LEDGER_ERROR_STATUS;
