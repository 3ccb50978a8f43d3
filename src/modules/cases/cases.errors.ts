/** Every refusal of case management, with the HTTP status it answers. */
export const CASES_ERROR_STATUS = Object.freeze({
  case_not_found: 404,
  transition_not_allowed: 409,
  /** The case is closed: it takes no new assignee, note or link. */
  case_closed: 409,
  /** Someone else changed the case between reading and writing it; read it again and retry. */
  case_changed: 409,
  block_needs_confirmed_close: 422,
  block_list_unavailable: 422,
  invalid_alert: 422,
  /** A payment to link names no payment (by UETR). */
  payment_not_found: 422,
  /** A transfer to link names no transfer the ledger holds. */
  transfer_not_found: 422,
  /** A party to link names no registered party. */
  party_not_found: 422,
  /** Linking would take the case beyond CASES_LIMITS.caseLinksMax links. */
  too_many_links: 422,
});
export type CasesError = keyof typeof CASES_ERROR_STATUS;
