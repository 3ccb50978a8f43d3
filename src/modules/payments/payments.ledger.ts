import { AssertionError, uuidv7 } from '../../kernel/index.ts';
import { TransferFlags, canonicalMetadata, type ItemResult, type LedgerService, type TransferError, type TransferRequest } from '../ledger/index.ts';
import type { PaymentError } from './payments.errors.ts';
import type { Leg, PaymentRecord } from './payments.ts';

/**
 * The payment's side of the ledger: which transfers reserve, post, void and return it, and what a
 * refusal of the ledger means for the payment. The ids of the legs are in the stored plan, so asking
 * twice books once: the ledger answers a repeated id with the first transfer. A post or a void gets
 * a fresh id each time it is asked for; asking again after one went through is answered
 * "already posted" (or voided), which is just as final.
 */
export type LedgerPort = Pick<LedgerService, 'createTransfers' | 'createTransfersCommitted' | 'pendingStatus' | 'getTransfer'>;

/**
 * A leg's transfer names its payment, so that a statement or an auditor reading the ledger alone can
 * find it; the leg's role is in the payment's plan. Posts and voids carry nothing: their pending
 * transfer already says it, and every byte here is written twice per payment at full load.
 */
const metadataOf = (payment: PaymentRecord) => canonicalMetadata({ payment_uetr: payment.uetr });

/** All legs as one linked chain of pending transfers: each transfer's two accounts share a ledger, the chain spans both. */
export function reservationRequests(payment: PaymentRecord, timeoutSeconds: number): TransferRequest[] {
  const legs = payment.plan?.legs ?? [];
  const metadata = metadataOf(payment);
  return legs.map((leg, index) => ({
    id: leg.transferId,
    debitAccountId: leg.debitAccountId,
    creditAccountId: leg.creditAccountId,
    amount: leg.amount,
    ledger: leg.ledger,
    code: leg.code,
    flags: TransferFlags.pending | (index < legs.length - 1 ? TransferFlags.linked : 0),
    timeoutSeconds,
    metadata,
  }));
}

/** Posts every reserved leg together or none: a linked chain of post_pending transfers. */
export function postRequests(payment: PaymentRecord): TransferRequest[] {
  const legs = payment.plan?.legs ?? [];
  return legs.map((leg, index) => {
    return { id: uuidv7(), pendingId: leg.transferId, flags: TransferFlags.post_pending | (index < legs.length - 1 ? TransferFlags.linked : 0) };
  });
}

/**
 * Voids are not linked: a leg the ledger already expired (or never created) is already released,
 * and must not stop the others from being released.
 */
export function voidRequests(payment: PaymentRecord): TransferRequest[] {
  const legs = payment.plan?.legs ?? [];
  return legs.map((leg) => ({ id: uuidv7(), pendingId: leg.transferId, flags: TransferFlags.void_pending }));
}

/**
 * Recovery's claim on the id of a payment's first leg, for a payment recorded as being reserved
 * whose legs the ledger does not know: a saga of another process may still be on its way to book
 * them, and finding nothing does not stop it from booking them after recovery has refused the
 * payment. The claim is a lone pending transfer of one minor unit under that id, which differs from
 * the leg (its metadata says what it is, and it is not linked), so whichever comes second is turned
 * down: the saga's chain fails as a whole (`exists_with_different_*`), or the claim does and the
 * leg is there to be read. A claim the ledger refuses otherwise (an account closed, say) takes the
 * id too, as the ledger keeps a lone transfer's failure under its id. Recovery releases it at once.
 */
export function claimRequest(payment: PaymentRecord): TransferRequest | null {
  const first = payment.plan?.legs[0];
  if (!first) return null;
  return {
    id: first.transferId, debitAccountId: first.debitAccountId, creditAccountId: first.creditAccountId, amount: 1n,
    ledger: first.ledger, code: first.code, flags: TransferFlags.pending, timeoutSeconds: CLAIM_TIMEOUT_SECONDS,
    metadata: canonicalMetadata({ payment_uetr: payment.uetr, claimed_by: 'recovery' }),
  };
}

/** The ledger releases a claim by itself after this, should recovery stop before it voids the claim. */
const CLAIM_TIMEOUT_SECONDS = 60;

/** The way back of a return, as one linked chain of posted transfers. */
export function returnRequests(payment: PaymentRecord, legs: readonly Leg[]): TransferRequest[] {
  const metadata = metadataOf(payment);
  return legs.map((leg, index) => ({
    id: leg.transferId, debitAccountId: leg.debitAccountId, creditAccountId: leg.creditAccountId, amount: leg.amount,
    ledger: leg.ledger, code: leg.code, flags: index < legs.length - 1 ? TransferFlags.linked : 0, metadata,
  }));
}

export const VOID_FINISHED: ReadonlySet<string> = new Set(['ok', 'pending_transfer_not_found', 'pending_transfer_already_voided', 'pending_transfer_expired']);

export const allOk = (results: readonly ItemResult<TransferError>[]): boolean => results.every((result) => result.result === 'ok');

/** The latest timestamp among accepted transfers: the instant the whole chain took effect. */
export function chainTimestamp(results: readonly ItemResult<TransferError>[]): bigint {
  let latest = 0n;
  for (const result of results) if (result.result === 'ok' && result.timestamp > latest) latest = result.timestamp;
  return latest;
}

/**
 * What the ledger's refusal of a chain means for the payment. The transfer at fault carries the
 * real code (the rest say linked_event_failed); which leg it was tells whose money was short: the
 * debtor's (AM04 insufficient funds) or a participant's or the desk's (insufficient liquidity).
 */
export function refusalOf(legs: readonly Leg[], results: readonly ItemResult<TransferError>[]): PaymentError {
  const index = results.findIndex((result) => result.result !== 'ok' && result.result !== 'linked_event_failed');
  const failure = results[index];
  const leg = legs[index];
  switch (failure?.result) {
    case 'exceeds_credits':
      return leg?.role === 'customer_debit' || leg?.role === 'debtor_agent_fee' || leg?.role === 'return_debit' ? 'insufficient_funds' : 'insufficient_liquidity';
    case 'debit_account_already_closed':
    case 'credit_account_already_closed':
      return 'account_closed';
    case 'debit_account_not_found':
      return leg?.role === 'customer_debit' ? 'debtor_account_not_found' : 'unknown_participant';
    case 'credit_account_not_found':
      return leg?.role === 'customer_credit' ? 'creditor_account_not_found' : 'unknown_participant';
    case 'overflows_debits':
    case 'overflows_credits':
    case 'overflows_debits_pending':
    case 'overflows_credits_pending':
    case 'overflows_debits_posted':
    case 'overflows_credits_posted':
      return 'amount_out_of_range';
    default:
      throw new AssertionError(`the ledger refused a payment leg (${leg?.role ?? 'unknown'}) with ${failure?.result ?? 'no reason'}`);
  }
}
