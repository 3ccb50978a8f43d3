/** Every refusal of the decision path, with the HTTP status it answers. */
export const RISK_ERROR_STATUS = Object.freeze({
  decision_not_found: 404,
  hold_not_found: 404,
  /** The hold was already released, rejected, or is being resolved by someone else. */
  hold_not_held: 409,
  /** What the hold guarded was resolved elsewhere (voided by its owner, a payment cancelled or expired). */
  hold_resolved_elsewhere: 409,
  /** The ledger or the payment refused the release or rejection for now; the hold is held again. */
  hold_not_resolvable: 409,
  invalid_settings: 422,
});
export type RiskError = keyof typeof RISK_ERROR_STATUS;
