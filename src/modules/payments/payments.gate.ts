import type { Queryable } from '../../db/index.ts';
import type { Decision, PaymentRecord } from './payments.ts';

/**
 * The hook risk control plugs into: a payment is decided after its checks and its intent are
 * written, and before any leg is reserved. Declined, it is rejected (RJCT) with nothing booked;
 * held for review, its legs are reserved as for a payment held for acceptance, but with no window
 * and no ledger timeout, until the review settles it or rejects it. Payments without a gate
 * (the default) settle as before.
 */
export interface GateVerdict {
  readonly outcome: 'approve' | 'review' | 'decline';
  readonly decisionId: string | null;
  /** The decision came from a failed evaluation (fail-closed), not from rules or lists. */
  readonly failed: boolean;
}

export interface PaymentGate {
  /** The payment carries its debtor, creditor and plan. */
  decide(payment: PaymentRecord): Promise<GateVerdict>;
  /** Told once the legs were reserved (or the reservation refused), so windows advance and holds close. */
  booked(payment: PaymentRecord, verdict: GateVerdict, reserved: boolean): Promise<void>;
  /** True while a review holds the payment: only the review may settle it. */
  isHeld(uetr: string): Promise<boolean>;
  /**
   * Told, inside the transaction that writes the decision, that a reserved payment is being closed
   * as rejected or cancelled (by its debtor's side, its creditor agent, its window or its review),
   * so that a review still waiting on it closes in the same commit rather than staying open over a
   * payment that is gone. The review's own rejection is already under way and is left to it.
   */
  closing(tx: Queryable, payment: PaymentRecord, decision: Decision): Promise<void>;
}
