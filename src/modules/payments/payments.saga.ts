import { inSpan, msToNs, NANOSECONDS_PER_MILLISECOND, type Attributes } from '../../kernel/index.ts';
import { checkOrder, type QuoteAccess } from './payments.checks.ts';
import { TIMEOUT_REASON } from './payments.errors.ts';
import { uetrFor } from './payments.ids.ts';
import { allOk, chainTimestamp, postRequests, refusalOf, reservationRequests } from './payments.ledger.ts';
import type { ItemResult, TransferError } from '../ledger/index.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { fingerprintOf } from './payments.json.ts';
import { postLegs, recoverAfterFailure, voidLegs } from './payments.recovery.ts';
import { insertPayment, loadPayment, updatePayment } from './payments.repository.ts';
import { actorOf, finish, instructedBy, latestInstant, nowIso, nowNs, outcomeOf, rejected, withMessage, type Outcome, type SagaContext, type StatusChange } from './payments.steps.ts';
import type { PaymentOrder, PaymentRecord } from './payments.ts';

/**
 * A payment from order to settlement, as plain async code whose every step can fail on its own:
 *
 *   1. checks (accounts, agents, currencies, quote, charges) → the plan of legs, or RJCT;
 *   2. intent: the payment is written as ACTC with its plan, and its quote claimed, in one
 *      transaction (RCVD and ACTC events) — before the ledger is touched, so that a crash from here
 *      on leaves a row that recovery finishes;
 *   3. reservation: the pacs.008 is built, and every leg reserved as one linked chain of pending
 *      transfers across both currencies' ledgers (ACSP, the moment the creditor agent has it);
 *   4. settlement: the chain posted as one linked chain (ACCC, credited to the creditor; pacs.002),
 *      in the same ledger call for an immediate payment, or when the creditor agent accepts one
 *      held for it;
 *   5. outcome: the new state and its events written.
 *
 * Steps 2 and 5 go through the payments writer and steps 3 and 4 through the ledger engine, both
 * of which commit many concurrent payments together. A step that throws hands the payment to
 * recovery, which reads the ledger and finishes it: all legs posted, or none.
 *
 * Step 2 goes on as soon as the intent has committed; its flush to disk overlaps the steps after
 * it and is awaited before the caller is answered. That keeps "no leg without its payment row"
 * through a power cut because the ledger writes to the same database (as the platform wires it):
 * SQLite's WAL recovers a prefix of the commits, so a ledger batch committed after the intent is
 * never kept without it. PostgreSQL commits are on disk when they answer, as before.
 */
export function createSubmitter(context: SagaContext) {
  async function replay(order: PaymentOrder): Promise<Outcome> {
    const stored = await loadPayment(context.db, order.id);
    if (!stored) return { ok: false, error: 'uetr_already_used', payment: null, replayed: false };
    if (stored.fingerprint !== fingerprintOf(order)) return { ok: false, error: 'payment_exists_with_different_fields', payment: null, replayed: false };
    return outcomeOf(stored, true);
  }

  function draft(order: PaymentOrder, receivedMs: number, submittedBy: string | null): PaymentRecord {
    const iso = new Date(receivedMs).toISOString();
    return {
      id: order.id, uetr: order.uetr ?? uetrFor(order.id), fingerprint: fingerprintOf(order), order, status: 'RCVD', reasonCode: null, error: null,
      debtor: null, creditor: null, plan: null, ledgerState: 'none', decision: null, deadlineMs: null, messages: [], receivedAt: msToNs(receivedMs),
      reachedCreditorAgentAt: null, creditedAt: null, returned: null, events: [], createdAt: iso, updatedAt: iso, submittedBy,
    };
  }

  /** A payment refused by its checks is recorded (RCVD, RJCT) so that its id replays the refusal. */
  async function refuseAtChecks(payment: PaymentRecord, field: string | undefined): Promise<Outcome> {
    const inserted = await context.writer.run(async ({ tx, planEvents }) => {
      // Numbered before the insert, so that the row is written with them; recorded only if it was.
      const planned = planEvents([
        { paymentId: payment.id, uetr: payment.uetr, status: 'RCVD', reasonCode: null, at: payment.receivedAt, keyId: payment.submittedBy },
        { paymentId: payment.id, uetr: payment.uetr, status: 'RJCT', reasonCode: payment.reasonCode, at: payment.receivedAt, keyId: payment.submittedBy },
      ]);
      const recorded = { ...payment, events: planned.numbered };
      if (!(await insertPayment(tx, recorded))) return null;
      await planned.record();
      return recorded;
    });
    if (!inserted) return replay(payment.order);
    const outcome = outcomeOf(inserted, false);
    return field && !outcome.ok ? { ...outcome, field } : outcome;
  }

  async function execute(order: PaymentOrder, quoteAccess: QuoteAccess | undefined, submittedBy: string | null): Promise<Outcome> {
    const receivedMs = context.clock.nowMs();
    const base = draft(order, receivedMs, submittedBy);
    const checked = await checkOrder(context, order, receivedMs, quoteAccess);
    if (!checked.ok) {
      const { error, debtor, creditor, field } = checked.value;
      return refuseAtChecks(rejected(context, { ...base, debtor, creditor }, error, base.receivedAt), field);
    }
    const acceptedAt = nowNs(context);
    const { debtor, creditor, plan } = checked.value;
    const accepted: PaymentRecord = { ...base, debtor, creditor, plan, status: 'ACTC', ledgerState: 'reserving' };
    const quoteId = checked.value.quoteId;
    // The intent is answered at its commit, not at its flush: on SQLite (the only database whose
    // commits are flushed apart from them) commits reach the disk in the order they were made, a
    // crash keeping a prefix of them, so the ledger batch that follows can never survive without
    // the intent before it. Nothing is answered before the intent is on disk (see the end).
    const committed = await context.writer.runCommitted(async ({ tx, planEvents }) => {
      // The row is inserted with the events it will most likely have (RCVD, ACTC), numbered ahead;
      // they are recorded only once the insert has won and the quote has been claimed.
      const received = { paymentId: accepted.id, uetr: accepted.uetr, status: 'RCVD' as const, reasonCode: null, at: accepted.receivedAt, keyId: submittedBy };
      const planned = planEvents([received, { paymentId: accepted.id, uetr: accepted.uetr, status: 'ACTC', reasonCode: null, at: acceptedAt, keyId: submittedBy }]);
      const recorded = { ...accepted, events: planned.numbered };
      if (!(await insertPayment(tx, recorded))) return { inserted: false as const };
      const claim = quoteId ? await context.fx.claimQuote(tx, quoteId, accepted.id, receivedMs) : 'ok';
      if (claim !== 'ok') {
        // Another payment executed the quote between the check and this transaction.
        const refused = rejected(context, { ...accepted, ledgerState: 'none' }, claim, acceptedAt);
        const closing = planEvents([received, { paymentId: accepted.id, uetr: accepted.uetr, status: 'RJCT', reasonCode: refused.reasonCode, at: acceptedAt, keyId: submittedBy }]);
        const closed = { ...refused, events: closing.numbered };
        await updatePayment(tx, closed, 'reserving');
        await closing.record();
        return { inserted: true as const, refused: closed, payment: closed };
      }
      await planned.record();
      return { inserted: true as const, refused: null, payment: recorded };
    });
    const intent = committed.value;
    if (!intent.inserted) {
      await committed.durable;
      return replay(order);
    }
    if (intent.refused) {
      await committed.durable;
      return outcomeOf(intent.refused, false);
    }
    let outcome: Outcome;
    try {
      outcome = await settle(intent.payment);
    } catch (error) {
      outcome = await recoverAfterFailure(context, accepted.id, error);
    }
    // Later commits are flushed with it, so this has as a rule settled already.
    await committed.durable;
    return outcome;
  }

  /**
   * Settles an accepted payment. The legs are handed back at the ledger's commit, not at its flush:
   * every path then writes the payment's outcome (finish), whose flush covers the legs' commit made
   * before it (see the intent in submit), so the payment is written while the legs are flushed rather
   * than after. That took one flush, a few milliseconds under load, out of every payment's answer.
   * The legs' flush is still awaited before anyone hears of the payment.
   */
  async function settle(payment: PaymentRecord): Promise<Outcome> {
    let legsDurable: Promise<void> = Promise.resolve();
    try {
      return await settleLegs(payment, (durable) => (legsDurable = durable));
    } finally {
      // On a failure too: recovery must not answer before the legs it finds are on disk.
      await legsDurable;
    }
  }

  async function settleLegs(payment: PaymentRecord, onLegsCommitted: (durable: Promise<void>) => void): Promise<Outcome> {
    const plan = payment.plan!;
    // Risk control decides before any leg is reserved; a gate that throws leaves the payment to
    // recovery, which finds nothing reserved and rejects it.
    const verdict = context.gate ? await context.gate.decide(payment) : null;
    if (verdict?.outcome === 'decline') {
      const at = nowNs(context);
      const refused = rejected(context, payment, verdict.failed ? 'risk_check_failed' : 'risk_declined', at);
      return finish(context, refused, 'reserving', [{ status: 'RJCT', at, reasonCode: refused.reasonCode }], payment.submittedBy, latestInstant(payment));
    }
    const onAcceptance = payment.order.settlement === 'on_acceptance';
    // Held for review: reserved like a payment held for acceptance; only the review ends an
    // immediate payment's hold, so it has no window and no ledger timeout.
    const reviewOnly = verdict?.outcome === 'review' && !onAcceptance;
    const held = onAcceptance || reviewOnly;
    const windowSeconds = payment.order.acceptanceTimeoutSeconds ?? PAYMENT_LIMITS.acceptanceDefaultSeconds;
    // The ledger's own timeout is a safety net behind the saga (and behind the acceptance window):
    // reservations a crash leaves behind are released even if nothing else ever looks at them.
    const timeout = reviewOnly ? 0 : held ? windowSeconds + PAYMENT_LIMITS.acceptanceGraceSeconds : PAYMENT_LIMITS.reservationTimeoutSeconds;
    // The pacs.008 instructs the creditor agent as the legs are reserved for it: built first, so
    // that a payment whose instruction cannot be built books nothing.
    const instructed = withMessage(context, payment, 'pacs.008', nowNs(context));
    // An immediate payment asks the ledger for the reservation and the post in one call: the
    // ledger applies the pending chain and then the chain that posts it, in order, in one batch.
    // That is still every leg reserved together and posted together, at half the round trips.
    const reservation = reservationRequests(payment, timeout);
    // The legs are journaled as submitted by the key that submitted the payment.
    const booked = await context.ledger.createTransfersCommitted(held ? reservation : [...reservation, ...postRequests(payment)], payment.submittedBy);
    onLegsCommitted(booked.durable);
    const results = booked.results;
    const reserved = results.slice(0, reservation.length);
    if (verdict) await context.gate?.booked(payment, verdict, allOk(reserved));
    if (!allOk(reserved)) {
      const refused = rejected(context, payment, refusalOf(plan.legs, reserved), nowNs(context));
      return finish(context, refused, 'reserving', [{ status: 'RJCT', at: nowNs(context), reasonCode: refused.reasonCode }], payment.submittedBy, latestInstant(payment));
    }
    // Held for review: reserved, but the creditor agent is instructed only once the review releases it.
    if (reviewOnly) return finish(context, { ...payment, ledgerState: 'reserved', deadlineMs: null }, 'reserving', [], payment.submittedBy);
    const reachedAt = chainTimestamp(reserved);
    const reached: PaymentRecord = { ...instructed, status: 'ACSP', reachedCreditorAgentAt: reachedAt };
    const changes: StatusChange[] = [{ status: 'ACSP', at: reachedAt }];
    if (held) {
      const deadlineMs = Number(reachedAt / NANOSECONDS_PER_MILLISECOND) + windowSeconds * 1000;
      return finish(context, { ...reached, ledgerState: 'reserved', deadlineMs }, 'reserving', changes, payment.submittedBy);
    }
    return complete(reached, 'reserving', changes, results.slice(reservation.length));
  }

  /** Posts a reserved payment and records it credited; a reservation found gone is a time-out. */
  async function complete(reserved: PaymentRecord, expected: 'reserving' | 'posting', earlier: StatusChange[], posted?: readonly ItemResult<TransferError>[]): Promise<Outcome> {
    // The submitter's changes while it is submitted; the accepting key's once a decision posts it.
    const by = actorOf(reserved);
    // A payment released by a risk review is instructed now, as its legs are posted.
    const instructed = instructedBy(context, reserved, nowNs(context));
    const payment = instructed.payment;
    const changes = [...earlier, ...instructed.changes];
    const creditedAt = await postLegs(context, payment, posted);
    if (creditedAt === null) {
      await voidLegs(context, payment);
      const at = nowNs(context);
      const refused = rejected(context, payment, 'settlement_failed', at, TIMEOUT_REASON);
      return finish(context, refused, expected, [...changes, { status: 'RJCT', at, reasonCode: refused.reasonCode }], by, latestInstant(payment));
    }
    const settled = withMessage(context, { ...payment, status: 'ACCC', ledgerState: 'done', decision: null, deadlineMs: null, creditedAt }, 'pacs.002', creditedAt, 'ACCC');
    return finish(context, settled, expected, [...changes, { status: 'ACCC', at: creditedAt }], by, latestInstant(payment));
  }

  return {
    /**
     * Submits an order; the same id again answers from the first submission. `quoteAccess` says
     * whether the submitter may spend the order's quote (payments.checks.ts); without it, it may.
     * `submittedBy` is the id of the API key that asked, recorded with the payment and its events
     * (null inside the process); a replay keeps the first submission's.
     */
    async submit(order: PaymentOrder, quoteAccess?: QuoteAccess, submittedBy: string | null = null): Promise<Outcome> {
      const running = context.inFlight.get(order.id);
      if (running) {
        await running.catch(() => undefined);
        return replay(order);
      }
      const run = inSpan('payments.submit', { 'sluice.payment.id': order.id, 'sluice.payment.currency': order.currency }, () => execute(order, quoteAccess, submittedBy), describeOutcome);
      context.inFlight.set(order.id, run);
      try {
        return await run;
      } finally {
        context.inFlight.delete(order.id);
      }
    },
    complete,
    nowIso: () => nowIso(context),
  };
}

export type Submitter = ReturnType<typeof createSubmitter>;

/** A submission span's attributes: the payment's UETR, and its status or the refusal. */
function describeOutcome(outcome: Outcome): Attributes {
  const uetr = outcome.payment ? { 'sluice.payment.uetr': outcome.payment.uetr } : {};
  return outcome.ok ? { ...uetr, 'sluice.payment.status': outcome.payment.status, 'sluice.payment.replayed': outcome.replayed } : { ...uetr, 'sluice.payment.refusal': outcome.error };
}
