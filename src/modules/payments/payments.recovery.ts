import { AssertionError } from '../../kernel/index.ts';
import type { ItemResult, TransferError } from '../ledger/index.ts';
import { TIMEOUT_REASON, type PaymentError } from './payments.errors.ts';
import { chainTimestamp, claimRequest, postRequests, refusalOf, returnRequests, VOID_FINISHED, voidRequests } from './payments.ledger.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { loadPayment, unresolvedPayments } from './payments.repository.ts';
import { actorOf, finish, instructedBy, latestInstant, nowNs, outcomeOf, rejected, withMessage, type Outcome, type SagaContext, type StatusChange } from './payments.steps.ts';
import type { PaymentRecord } from './payments.ts';

/**
 * Finishing what a crash or a failed step left half done. The ledger is the truth: a payment's legs
 * are one linked chain with ids derived from the payment, so asking the ledger about its first leg
 * tells whether the chain was reserved, posted, voided or never booked, and the payment's record is
 * brought in line with that. Nothing here ever books a leg the payment had not already decided on;
 * the one transfer it may book of its own is the claim on a first leg found missing (claimRequest),
 * which it releases at once.
 */

/**
 * Posts the reserved legs (or reads the answer of a post already asked for with the reservation);
 * answers when they were posted (ns), or null when the reservation is gone.
 */
export async function postLegs(context: SagaContext, payment: PaymentRecord, asked?: readonly ItemResult<TransferError>[]): Promise<bigint | null> {
  const results = asked ?? (await context.ledger.createTransfers(postRequests(payment)));
  if (results.every((result) => result.result === 'ok')) return chainTimestamp(results);
  // The posts were one linked chain, so one leg already posted means they all were; the rest of
  // this repeated chain then answers linked_event_failed, which changes nothing.
  if (results.some((result) => result.result === 'pending_transfer_already_posted')) return settledAt(context, payment);
  return null;
}

/** Releases every reserved leg; a leg already released or never reserved is fine. */
export async function voidLegs(context: SagaContext, payment: PaymentRecord): Promise<void> {
  const results = await context.ledger.createTransfers(voidRequests(payment));
  const stuck = results.find((result) => !VOID_FINISHED.has(result.result));
  if (stuck) throw new AssertionError(`could not release leg ${stuck.id} of payment ${payment.uetr}: ${stuck.result}`);
}

/** When the last leg was posted: the ledger keeps the instant each pending transfer was resolved. */
async function settledAt(context: SagaContext, payment: PaymentRecord): Promise<bigint> {
  const last = payment.plan?.legs.at(-1);
  const state = last && (await context.ledger.pendingStatus(last.transferId));
  if (!state || state.status !== 'posted') throw new AssertionError(`payment ${payment.uetr} is posted but its last leg is not`);
  return state.resolvedAt;
}

async function reservedAt(context: SagaContext, payment: PaymentRecord): Promise<bigint> {
  const last = payment.plan?.legs.at(-1);
  return (last && (await context.ledger.getTransfer(last.transferId))?.timestamp) ?? nowNs(context);
}

async function settle(context: SagaContext, payment: PaymentRecord, at: bigint, changes: StatusChange[]): Promise<Outcome> {
  const settled = withMessage(context, { ...payment, status: 'ACCC', ledgerState: 'done', decision: null, deadlineMs: null, creditedAt: at }, 'pacs.002', at, 'ACCC');
  return finish(context, settled, payment.ledgerState, [...changes, { status: 'ACCC', at }], actorOf(payment), latestInstant(payment));
}

async function refuse(context: SagaContext, payment: PaymentRecord, error: PaymentError, reasonCode?: string): Promise<Outcome> {
  const at = nowNs(context);
  const refused = rejected(context, { ...payment, ledgerState: 'done' }, error, at, reasonCode);
  // No decision closed its review (if it had one), so the refusal does, lest analysts be left a
  // review of a payment that no longer waits for one.
  return finish(context, refused, payment.ledgerState, [{ status: 'RJCT', at, reasonCode: refused.reasonCode }], actorOf(payment), latestInstant(payment), true);
}

/** Brings one payment in line with the ledger; the payment must be the stored row. */
export async function recoverOne(context: SagaContext, payment: PaymentRecord): Promise<Outcome> {
  const legs = payment.plan?.legs ?? [];
  switch (payment.ledgerState) {
    case 'reserving': {
      let state = legs[0] ? await context.ledger.pendingStatus(legs[0].transferId) : undefined;
      // Nothing booked yet is not nothing booked ever: a saga slower than the grace period (on
      // PostgreSQL, another process's) may still book and post the legs after this refuses the
      // payment. The first leg's id is claimed first, so that the saga's chain can no longer go
      // through; if the saga got there first, its legs are read again and finished as found.
      const claim = state ? null : claimRequest(payment);
      if (claim) {
        await context.ledger.createTransfers([claim]);
        state = await context.ledger.pendingStatus(claim.id);
      }
      if (state?.status === 'posted') {
        const reached = await reservedAt(context, payment);
        const reachedPayment = withMessage(context, { ...payment, status: 'ACSP', reachedCreditorAgentAt: reached }, 'pacs.008', reached);
        return settle(context, reachedPayment, await settledAt(context, payment), [{ status: 'ACSP', at: reached }]);
      }
      // Reserved but never confirmed, or never reserved at all: release whatever there is.
      if (legs.length > 0) await voidLegs(context, payment);
      const refused = await refuse(context, payment, 'settlement_failed');
      // The saga may have recorded its reservation between the release and this refusal (it held
      // the legs while recovery read them), leaving a payment held on legs that are void: it is
      // refused from there. An accept or a cancel that decided first finds the legs void and
      // ends it the same way, rejected or cancelled with nothing moved.
      if (refused.replayed && refused.payment?.ledgerState === 'reserved') return refuse(context, refused.payment, 'settlement_failed');
      return refused;
    }
    case 'posting': {
      const at = await postLegs(context, payment);
      if (at !== null) {
        // Released from a risk review before a crash: instructed as it was credited.
        const instructed = instructedBy(context, payment, at);
        return settle(context, instructed.payment, at, instructed.changes);
      }
      await voidLegs(context, payment);
      return refuse(context, payment, 'settlement_failed', TIMEOUT_REASON);
    }
    case 'voiding': {
      await voidLegs(context, payment);
      const decision = payment.decision;
      if (!decision || decision.status === 'ACCC') throw new AssertionError(`payment ${payment.uetr} is being voided without a decision to reject or cancel`);
      const at = nowNs(context);
      const closed = withMessage(context, {
        ...payment, status: decision.status, reasonCode: decision.reasonCode, error: decision.error, ledgerState: 'done', decision: null, deadlineMs: null,
      }, 'pacs.002', at, decision.status, decision.reasonCode);
      return finish(context, closed, 'voiding', [{ status: decision.status, at, reasonCode: decision.reasonCode }], actorOf(payment), latestInstant(payment));
    }
    case 'returning':
      return finishReturn(context, payment);
    default:
      // Finished already (by the step itself, or by another recovery): answered as stored, a
      // refused payment as the refusal it is.
      return outcomeOf(payment, true);
  }
}

/** Books (again, idempotently) the legs of a decided return; a refusal undoes the decision. */
export async function finishReturn(context: SagaContext, payment: PaymentRecord): Promise<Outcome> {
  const returned = payment.returned;
  if (!returned) throw new AssertionError(`payment ${payment.uetr} is being returned without return legs`);
  const results = await context.ledger.createTransfers(returnRequests(payment, returned.legs));
  if (!results.every((result) => result.result === 'ok')) {
    const error = refusalOf(returned.legs, results);
    const undone = await finish(context, { ...payment, ledgerState: 'done', returned: null }, 'returning', [], null);
    return undone.ok ? { ok: false, error, payment: undone.payment, replayed: false } : undone;
  }
  const last = returned.legs.at(-1);
  const existing = last && (await context.ledger.getTransfer(last.transferId));
  const at = existing?.timestamp ?? chainTimestamp(results);
  const done = withMessage(context, { ...payment, status: 'RTND', reasonCode: returned.reasonCode, ledgerState: 'done', returned: { ...returned, returnedAt: at } }, 'pacs.004', at, null, returned.reasonCode);
  return finish(context, done, 'returning', [{ status: 'RTND', at, reasonCode: returned.reasonCode }], actorOf(payment), latestInstant(payment));
}

/**
 * Finishes every payment whose ledger work is unfinished. On PostgreSQL, payments touched within
 * the grace period may belong to a live saga of another process and are left for a later pass.
 * Returns how many could not be finished.
 */
export async function recoverAll(context: SagaContext): Promise<number> {
  const cutoff = context.db.dialect === 'postgres' ? new Date(context.clock.nowMs() - PAYMENT_LIMITS.recoveryGraceMs).toISOString() : null;
  let left = 0;
  for (let pass = 0; pass < PAYMENT_LIMITS.recoveryMaxPasses; pass++) {
    const rows = (await unresolvedPayments(context.db, cutoff, PAYMENT_LIMITS.recoveryPage)).filter((row) => !context.inFlight.has(row.id));
    left = 0;
    for (const row of rows) {
      try {
        await recoverOne(context, row);
      } catch (error) {
        left += 1;
        context.report(`payment ${row.uetr} could not be recovered yet: ${(error as Error).message}`);
      }
    }
    // Rows that cannot be finished come back on every pass; stop once a pass makes no progress.
    if (rows.length < PAYMENT_LIMITS.recoveryPage || left >= rows.length) return left;
  }
  return left;
}

/** After a step failed: finish the payment from the ledger's state, or rethrow when even that fails. */
export async function recoverAfterFailure(context: SagaContext, paymentId: string, cause: unknown): Promise<Outcome> {
  context.report(`payment ${paymentId}: ${(cause as Error).message}; finishing it from the ledger's state`);
  let stored: PaymentRecord | undefined;
  try {
    stored = await loadPayment(context.db, paymentId);
  } catch {
    throw cause;
  }
  // Nothing was written: the intent itself failed, and nothing was reserved for a payment nobody recorded.
  if (!stored) throw cause;
  try {
    return await recoverOne(context, stored);
  } catch {
    throw cause;
  }
}
