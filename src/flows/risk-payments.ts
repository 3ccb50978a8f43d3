import { createBoundedCache, type Clock } from '../kernel/index.ts';
import type { RiskEvent } from '../modules/features/index.ts';
import { PAYMENT_CODES, type PaymentGate, type PaymentRecord, type PaymentsService } from '../modules/payments/index.ts';
import type { Hold, HoldResolver, ResolveOutcome, RiskService } from '../modules/risk/index.ts';
import type { EventDirectory } from './risk-events.ts';

/**
 * The decision before a payment settles (the payments saga calls it after its checks, before any
 * leg is reserved). The event is the customer's side of the payment: the instructed amount in the
 * debtor's currency, from the debtor's account to the creditor's, with both names screened.
 * Channel: payments for orders through the API, iso20022 for imported pain.001 and pacs.008.
 *
 * Review holds the payment with its legs reserved (hold id = UETR). Release settles an immediate
 * payment; a payment held for the creditor agent's acceptance goes back to waiting for it. Reject
 * voids the legs and rejects the payment (RJCT, FRAD). A payment closed some other way while it
 * waits for the review (its debtor's side cancels it, its creditor agent rejects one held for
 * acceptance) closes its hold in the same transaction, as resolved elsewhere.
 */
export type PaymentsPort = Pick<PaymentsService, 'get' | 'accept' | 'reject'>;

export interface RiskPaymentGate extends PaymentGate {
  /** Registers the resolver of payment holds once the payments service exists. */
  attach(payments: PaymentsPort): void;
}

const FINAL_ELSEWHERE = new Set(['RJCT', 'CANC']);

type Decision = NonNullable<PaymentRecord['decision']>;

export const channelOf = (payment: PaymentRecord): string => (payment.order.source === 'api' ? 'payments' : 'iso20022');

function resolverFor(payments: PaymentsPort): HoldResolver {
  /**
   * After a refused action: where the payment stands decides whether the hold closes or waits.
   * `intended` is the decision this action writes; a payment already carrying it out was decided by
   * the same action sent at the same time, and the payments module finishes what it has decided
   * (after a crash too), so that counts as done rather than as a refusal.
   */
  async function afterRefusal(uetr: string, detail: string, settledIsSuccess: boolean, intended: (decision: Decision) => boolean): Promise<ResolveOutcome> {
    const payment = await payments.get(uetr);
    if (!payment) return { ok: false, gone: true, detail: 'no such payment' };
    if ((payment.ledgerState === 'posting' || payment.ledgerState === 'voiding') && payment.decision) {
      const decided = `${payment.decision.status}${payment.decision.reasonCode ? ` (${payment.decision.reasonCode})` : ''}`;
      return intended(payment.decision) ? { ok: true, detail: `being carried out: ${decided}` } : { ok: false, gone: true, detail: `the payment is being closed as ${decided}` };
    }
    if (payment.status === 'ACCC' || payment.status === 'RTND') return settledIsSuccess ? { ok: true, detail: 'already settled' } : { ok: false, gone: true, detail: 'the payment was already settled' };
    if (FINAL_ELSEWHERE.has(payment.status)) return { ok: false, gone: true, detail: `the payment is ${payment.status}${payment.reasonCode ? ` (${payment.reasonCode})` : ''}` };
    return { ok: false, gone: false, detail };
  }

  // The analyst's key that resolved the hold is the key the payment's status changes name.
  return {
    async release(hold: Hold) {
      const payment = await payments.get(hold.id);
      if (!payment) return { ok: false, gone: true, detail: 'no such payment' };
      if (payment.order.settlement === 'on_acceptance') {
        return payment.ledgerState === 'reserved' ? { ok: true, detail: 'released to the creditor agent for acceptance' } : afterRefusal(hold.id, 'not awaiting acceptance', false, () => false);
      }
      const accepted = await payments.accept(hold.id, hold.resolvedBy);
      if (accepted.ok) return { ok: true, detail: `settled (${accepted.value.status})` };
      return afterRefusal(hold.id, `the payment refused to settle: ${accepted.error}`, true, (decision) => decision.status === 'ACCC');
    },
    async reject(hold: Hold) {
      const rejected = await payments.reject(hold.id, 'FRAD', 'rejected_after_review', hold.resolvedBy);
      if (rejected.ok) return { ok: true, detail: `rejected (${rejected.value.status} ${rejected.value.reasonCode ?? ''})`.trim() };
      return afterRefusal(hold.id, `the payment refused the rejection: ${rejected.error}`, false, (decision) => decision.status === 'RJCT' && decision.error === 'rejected_after_review');
    },
  };
}

/** Events decided and not yet booked; a saga that failed in between never reports back, so the oldest go first. */
const AWAITING_BOOKING_MAX = 65_536;

export function createPaymentGate(deps: { readonly risk: RiskService; readonly directory: EventDirectory; readonly clock: Clock }): RiskPaymentGate {
  const { risk, directory } = deps;
  const awaitingBooking = createBoundedCache<string, RiskEvent>(AWAITING_BOOKING_MAX);

  async function eventOf(payment: PaymentRecord, channel: string, atMs: number): Promise<RiskEvent> {
    const debtor = payment.debtor!;
    const creditor = payment.creditor!;
    const [debitCountry, creditCountry] = await Promise.all([directory.country(debtor.partyId), directory.country(creditor.partyId)]);
    return {
      id: payment.uetr, payment: true, atMs, amountMinor: payment.order.amount, currency: payment.order.currency,
      debitAccountId: debtor.accountId, creditAccountId: creditor.accountId, debitPartyId: debtor.partyId, creditPartyId: creditor.partyId,
      channel, code: PAYMENT_CODES.customerDebit, debitName: debtor.name, creditName: creditor.name,
      ...(debitCountry ? { debitCountry } : {}), ...(creditCountry ? { creditCountry } : {}),
    };
  }

  function holdOf(payment: PaymentRecord, decisionId: string, reasons: readonly string[], atMs: number): Hold {
    return {
      id: payment.uetr, kind: 'payment', status: 'held', decisionIds: [decisionId],
      // The legs are guarded too: posting one through the ledger API would settle around the review.
      items: (payment.plan?.legs ?? []).map((leg) => ({ transferId: leg.transferId, onRelease: 'keep' as const })),
      amountMinor: payment.order.amount, currency: payment.order.currency, debitAccountId: payment.debtor!.accountId, creditAccountId: payment.creditor!.accountId,
      reasons, createdAtMs: atMs, resolvedAtMs: null, resolvedBy: null, note: null, detail: null,
    };
  }

  return {
    attach(payments) {
      risk.holds.register('payment', resolverFor(payments));
    },
    async decide(payment) {
      const channel = channelOf(payment);
      if (!risk.covers(PAYMENT_CODES.customerDebit, channel)) return { outcome: 'approve', decisionId: null, failed: false };
      const event = await eventOf(payment, channel, deps.clock.nowMs());
      const decision = risk.evaluate(event, 'payment');
      const hold = decision.outcome === 'review' ? holdOf(payment, decision.id, decision.reasons, decision.atMs) : null;
      await risk.commit([decision], hold ? [hold] : []);
      awaitingBooking.set(decision.id, event);
      return { outcome: decision.outcome, decisionId: decision.id, failed: decision.failMode !== null };
    },
    async booked(payment, verdict, reserved) {
      if (verdict.decisionId === null) return;
      const event = awaitingBooking.get(verdict.decisionId);
      awaitingBooking.delete(verdict.decisionId);
      if (!reserved) {
        if (verdict.outcome === 'review') await risk.holds.settle(payment.uetr, 'not_booked', 'the ledger refused to reserve the legs');
        return;
      }
      if (event) void risk.record([event]);
    },
    async isHeld(uetr) {
      const hold = await risk.holds.get(uetr);
      return hold?.kind === 'payment' && (hold.status === 'held' || hold.status === 'rejecting');
    },
    async closing(tx, payment, decision) {
      // Named after who or what closed the payment, as an analyst's key names the analyst.
      const by = decision.status === 'CANC' ? 'payments:cancelled_by_debtor' : `payments:${decision.error ?? 'rejected'}`;
      const reason = decision.reasonCode ? ` (${decision.reasonCode})` : '';
      const detail = decision.status === 'CANC' ? `the payment was cancelled${reason}` : `the payment was rejected${reason}: ${decision.error ?? 'rejected'}`;
      await risk.holds.closeResolvedElsewhere(tx, 'payment', payment.uetr, by, detail);
    },
  };
}
