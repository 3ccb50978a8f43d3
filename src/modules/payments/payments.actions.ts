import type { Queryable } from '../../db/index.ts';
import { err, ok, type Result } from '../../kernel/index.ts';
import { TIMEOUT_REASON, type PaymentError } from './payments.errors.ts';
import { planReturn, type AgentTerms, type PlanInput } from './payments.plan.ts';
import { finishReturn, recoverAfterFailure, recoverOne } from './payments.recovery.ts';
import { loadByUetr, overduePayments, updatePayment } from './payments.repository.ts';
import type { Submitter } from './payments.saga.ts';
import { nowIso, nowNs, type Outcome, type SagaContext } from './payments.steps.ts';
import type { Decision, LedgerState, PaymentRecord } from './payments.ts';
import { derivePaymentsId } from './payments.ids.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';

/**
 * What can happen to a payment after it was submitted: the creditor agent accepts or rejects one
 * held for it, the debtor side cancels one not yet settled, its acceptance window closes, or a
 * settled one is returned. Each decision is written first (so a crash cannot lose it), then carried
 * out in the ledger, then recorded with its event; two decisions racing for one payment are settled
 * by the conditional write, and the loser is told the payment moved on. `by` is the id of the API
 * key that asked (null inside the process): the decision carries it, so the status change it causes
 * records it even when recovery carries the decision out.
 */
type ActionResult = Result<PaymentRecord, PaymentError>;

export function createActions(context: SagaContext, submitter: Submitter) {
  /**
   * Writes a decision if the payment is still in `from`; false when something else decided first.
   * `alongside` runs in the same transaction once the decision is written, for what must commit
   * with it or not at all.
   */
  async function decide(
    payment: PaymentRecord, from: LedgerState, to: LedgerState, decision: Decision | null, extra: Partial<PaymentRecord> = {},
    alongside?: (tx: Queryable, decided: PaymentRecord) => Promise<void>,
  ): Promise<PaymentRecord | null> {
    const next: PaymentRecord = { ...payment, ...extra, ledgerState: to, decision, updatedAt: nowIso(context) };
    const written = await context.writer.run(async ({ tx }) => {
      // The status read must still stand: a settled payment returned meanwhile is `done` again, and
      // its ledger state alone would let a second return decided on the older read through.
      const updated = await updatePayment(tx, next, from, payment.status);
      if (updated && alongside) await alongside(tx, next);
      return updated;
    });
    return written ? next : null;
  }

  async function load(uetr: string): Promise<PaymentRecord | undefined> {
    return loadByUetr(context.db, uetr);
  }

  const settledOr = (payment: PaymentRecord, fallback: PaymentError): PaymentError =>
    payment.status === 'ACCC' || payment.status === 'RTND' ? 'payment_already_settled' : fallback;

  /** Carries a written decision out; the action succeeded when the payment ended in `expected`. */
  async function carryOut(decided: PaymentRecord, expected: PaymentRecord['status'], work: () => Promise<Outcome>): Promise<ActionResult> {
    let outcome: Outcome;
    try {
      outcome = await work();
    } catch (error) {
      outcome = await recoverAfterFailure(context, decided.id, error);
    }
    if (outcome.payment?.status === expected) return ok(outcome.payment);
    return err(outcome.ok ? 'payment_not_awaiting_acceptance' : outcome.error);
  }

  /**
   * Voids a held payment and closes it as rejected or cancelled. `acceptanceOnly` is set for the
   * creditor agent's rejection: an immediate payment is reserved only while risk control reviews
   * it, and its creditor agent has not been sent it, so only the review may end it that way.
   */
  async function close(uetr: string, decision: Decision, notOpen: PaymentError, acceptanceOnly = false): Promise<ActionResult> {
    const payment = await load(uetr);
    if (!payment) return err('payment_not_found');
    if (payment.ledgerState !== 'reserved') return err(settledOr(payment, notOpen));
    if (acceptanceOnly && payment.order.settlement !== 'on_acceptance') return err('payment_not_awaiting_acceptance');
    // Risk control's hold on the payment closes with the decision: were it closed after, a crash
    // in between would leave analysts a review of a payment that no longer waits for one.
    const gate = context.gate;
    const decided = await decide(payment, 'reserved', 'voiding', decision, {}, gate && ((tx, written) => gate.closing(tx, written, decision)));
    if (!decided) return err(settledOr((await load(uetr)) ?? payment, notOpen));
    return carryOut(decided, decision.status, () => recoverOne(context, decided));
  }

  /** Closes a held payment whose window has passed: voided, RJCT with AB05, by no key. */
  const timeOut = (uetr: string) => close(uetr, { status: 'RJCT', reasonCode: TIMEOUT_REASON, error: 'acceptance_timed_out', by: null }, 'payment_not_awaiting_acceptance');

  return {
    async accept(uetr: string, by: string | null = null): Promise<ActionResult> {
      const payment = await load(uetr);
      if (!payment) return err('payment_not_found');
      if (payment.ledgerState !== 'reserved') return err(settledOr(payment, 'payment_not_awaiting_acceptance'));
      // Once its window has closed a payment is no longer the creditor agent's to accept, whether or
      // not the sweep has closed it yet: otherwise the answer would turn on when the sweep last ran
      // (and on the ledger's grace behind the window). It is closed as the sweep would close it.
      if (payment.deadlineMs !== null && context.clock.nowMs() >= payment.deadlineMs) {
        await timeOut(payment.uetr);
        return err(settledOr((await load(uetr)) ?? payment, 'payment_not_awaiting_acceptance'));
      }
      if (context.gate && (await context.gate.isHeld(payment.uetr))) return err('payment_held_for_review');
      const decided = await decide(payment, 'reserved', 'posting', { status: 'ACCC', reasonCode: null, error: null, by });
      if (!decided) return err('payment_not_awaiting_acceptance');
      return carryOut(decided, 'ACCC', () => submitter.complete(decided, 'posting', []));
    },

    reject: (uetr: string, reasonCode: string, error: PaymentError = 'rejected_by_creditor_agent', by: string | null = null) =>
      close(uetr, { status: 'RJCT', reasonCode, error, by }, 'payment_not_awaiting_acceptance', error === 'rejected_by_creditor_agent'),

    cancel: (uetr: string, reasonCode: string, by: string | null = null) => close(uetr, { status: 'CANC', reasonCode, error: null, by }, 'payment_not_cancellable'),

    /** Closes every held payment whose acceptance window has passed: voided, RJCT with AB05. */
    async expireDue(): Promise<number> {
      let expired = 0;
      for (let pass = 0; pass < PAYMENT_LIMITS.recoveryMaxPasses; pass++) {
        const due = await overduePayments(context.db, context.clock.nowMs(), PAYMENT_LIMITS.recoveryPage);
        for (const payment of due) {
          if ((await timeOut(payment.uetr)).ok) expired += 1;
        }
        if (due.length < PAYMENT_LIMITS.recoveryPage) break;
      }
      return expired;
    },

    /** Sends a settled payment back (pacs.004): creditor → agents (→ FX at today's rate) → debtor. */
    async returnPayment(uetr: string, reasonCode: string, by: string | null = null): Promise<ActionResult> {
      const payment = await load(uetr);
      if (!payment) return err('payment_not_found');
      if (payment.status === 'RTND' || payment.returned) return err('payment_already_returned');
      if (payment.status !== 'ACCC' || payment.ledgerState !== 'done') return err('payment_not_settled');
      const plan = payment.plan!;
      const [debtor, creditor] = [payment.debtor!, payment.creditor!];
      const terms = async (bic: string, currency: string): Promise<AgentTerms | undefined> => {
        const found = await context.directory.terms(bic, currency);
        return found && { bic, settlementAccountId: found.settlementAccountId, feeAccountId: found.feeAccountId, feeFixed: found.feeFixed, feeBps: found.feeBps };
      };
      const [debtorAgent, creditorAgent] = [await terms(debtor.agent, debtor.currency), await terms(creditor.agent, creditor.currency)];
      const [debtorSide, creditorSide] = [await context.fx.currency(debtor.currency), await context.fx.currency(creditor.currency)];
      if (!debtorAgent || !creditorAgent || !debtorSide || !creditorSide) return err('unsupported_currency');
      let fx: PlanInput['fx'];
      if (plan.fx) {
        const price = await context.fx.price(creditor.currency, debtor.currency);
        if (!price.ok) return err(price.error === 'fx_rate_not_available' ? 'fx_rate_not_available' : 'unsupported_currency');
        const [sellDesk, buyDesk] = [await context.fx.desk(creditor.currency), await context.fx.desk(debtor.currency)];
        if (!sellDesk.ok || !buyDesk.ok) return err('unsupported_currency');
        fx = { quoteId: null, ...price.value, sellScale: creditorSide.scale, buyScale: debtorSide.scale, sellDesk: sellDesk.value, buyDesk: buyDesk.value };
      }
      const planned = planReturn({
        amount: plan.credited, debtorAgent, creditorAgent,
        debtor: { accountId: debtor.accountId, currency: debtor.currency, ledger: debtorSide.ledger },
        creditor: { accountId: creditor.accountId, currency: creditor.currency, ledger: creditorSide.ledger },
        ...(fx ? { fx } : {}),
      });
      if (!planned.ok) return err(planned.error);
      const returned = {
        id: derivePaymentsId(payment.id, 'return'), reasonCode, returnedAt: nowNs(context), legs: planned.value.legs,
        debitedFromCreditor: plan.credited, creditedToDebtor: planned.value.creditedToDebtor, fx: planned.value.fx, by,
      };
      const decided = await decide(payment, 'done', 'returning', null, { returned });
      if (!decided) return err('payment_already_returned');
      return carryOut(decided, 'RTND', () => finishReturn(context, decided));
    },
  };
}

export type Actions = ReturnType<typeof createActions>;
