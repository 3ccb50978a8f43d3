import { nsToIso, type Money } from '../../kernel/index.ts';
import { formatRate } from '../fx/index.ts';
import type { CustomerAccount, Participant, ParticipantCurrency } from './payments.directory.ts';
import type { StatementView } from './payments.statement.ts';
import type { Tracking } from './payments.track.ts';
import type { Party, PaymentEvent, PaymentRecord } from './payments.ts';
import type { Delivery, Webhook } from './payments.webhooks.ts';

/** JSON shapes of the payments API: amounts as strings of minor units with their currency, instants as ISO 8601. */
const money = (amount: bigint, currency: string) => ({ amount: String(amount), currency });
const moneyOf = (value: Money | null) => (value ? money(value.amount, value.currency) : null);
const instant = (ns: bigint | null) => (ns === null ? null : nsToIso(ns));

/**
 * Which API key ids an answer may show (docs/security.md, "Which key did what"): staff keys see
 * every one; a participant key sees its own key's id and null for any other key's, as for what was
 * done inside the process, so it learns no other key's id. Hides every id unless told otherwise.
 */
export type KeyView = (keyId: string | null) => string | null;
export const hideKeys: KeyView = () => null;

const renderParty = (party: Party | null) =>
  party && { account_id: party.accountId, identifier: party.identifier, party_id: party.partyId, name: party.name, agent: party.agent, currency: party.currency };

export function renderPayment(payment: PaymentRecord, replayed = false, keys: KeyView = hideKeys) {
  const { plan, order } = payment;
  return {
    id: payment.id,
    uetr: payment.uetr,
    end_to_end_id: order.endToEndId,
    instruction_id: order.instructionId ?? null,
    status: payment.status,
    reason_code: payment.reasonCode,
    error: payment.error,
    settlement: order.settlement,
    source: order.source,
    debtor: renderParty(payment.debtor),
    creditor: renderParty(payment.creditor),
    instructed_amount: money(order.amount, order.currency),
    charge_bearer: order.chargeBearer,
    debited: plan ? money(plan.debited, plan.debitCurrency) : null,
    credited: plan ? money(plan.credited, plan.creditCurrency) : null,
    charges: plan
      ? { debtor_agent: money(plan.debtorAgentFee, plan.debitCurrency), creditor_agent: money(plan.creditorAgentFee, plan.creditCurrency) }
      : null,
    fx: plan?.fx
      ? {
          quote_id: plan.fx.quoteId, rate: formatRate(plan.fx.rate), mid: plan.fx.mid, spread_bps: plan.fx.spreadBps,
          sold: money(plan.fx.sold, plan.debitCurrency), converted: money(plan.fx.converted, plan.debitCurrency),
          rounding: money(plan.fx.residual, plan.debitCurrency), bought: money(plan.fx.bought, plan.creditCurrency),
          not_converted_fraction: plan.fx.remainder ? `${plan.fx.remainder.numerator}/${plan.fx.remainder.denominator}` : null,
        }
      : null,
    purpose: order.purpose ?? null,
    remittance_information: order.remittance,
    received_at: instant(payment.receivedAt),
    reached_creditor_agent_at: instant(payment.reachedCreditorAgentAt),
    credited_to_creditor_at: instant(payment.creditedAt),
    acceptance_deadline: payment.deadlineMs === null ? null : new Date(payment.deadlineMs).toISOString(),
    return: payment.returned
      ? {
          id: payment.returned.id, reason_code: payment.returned.reasonCode, returned_at: instant(payment.returned.returnedAt),
          debited_from_creditor: money(payment.returned.debitedFromCreditor, plan?.creditCurrency ?? order.currency),
          credited_to_debtor: money(payment.returned.creditedToDebtor, plan?.debitCurrency ?? order.currency),
        }
      : null,
    messages: payment.messages.map((message) => ({
      kind: message.kind, message_id: message.messageId, created_at: instant(message.createdAt), status: message.status, reason_code: message.reasonCode, sha256: message.sha256,
    })),
    submitted_by: keys(payment.submittedBy),
    replayed,
  };
}

export const renderEvent = (event: PaymentEvent, keys: KeyView = hideKeys) => ({
  seq: String(event.seq), payment_id: event.paymentId, uetr: event.uetr, status: event.status, reason_code: event.reasonCode, at: instant(event.at), key_id: keys(event.keyId),
});

export function renderTracking(tracking: Tracking, keys: KeyView = hideKeys) {
  const { payment } = tracking;
  return {
    uetr: payment.uetr,
    payment_id: payment.id,
    status: payment.status,
    reason_code: payment.reasonCode,
    reached_creditor_agent_at: instant(payment.reachedCreditorAgentAt),
    credited_to_creditor_at: instant(payment.creditedAt),
    hops: tracking.hops.map((hop) => ({
      role: hop.role, participant: hop.participant, name: hop.name, status: hop.status, reserved_at: instant(hop.reservedAt), settled_at: instant(hop.settledAt),
      amount_in: moneyOf(hop.amountIn), amount_out: moneyOf(hop.amountOut), fee: moneyOf(hop.fee),
      fx: hop.fx && { rate: hop.fx.rate, mid: hop.fx.mid, spread_bps: hop.fx.spreadBps, rounding: moneyOf(hop.fx.rounding), not_converted_fraction: hop.fx.remainder },
    })),
    events: tracking.events.map((event) => renderEvent(event, keys)),
    return_legs: tracking.returnLegs.map((leg) => ({ role: leg.role, amount: moneyOf(leg.amount), booked_at: instant(leg.bookedAt) })),
  };
}

export const renderParticipant = (participant: Participant, currencies: readonly ParticipantCurrency[] = []) => ({
  bic: participant.bic, party_id: participant.partyId, name: participant.name, jurisdiction: participant.jurisdiction, created_at: participant.createdAt,
  currencies: currencies.map(renderCurrency),
});

export const renderCurrency = (terms: ParticipantCurrency) => ({
  currency: terms.currency, ledger: terms.ledger, settlement_account_id: terms.settlementAccountId, fee_account_id: terms.feeAccountId,
  fee_fixed: String(terms.feeFixed), fee_bps: terms.feeBps, updated_at: terms.updatedAt,
});

export const renderAccount = (account: CustomerAccount) => ({
  account_id: account.accountId, identifier: account.identifier, bic: account.bic, party_id: account.partyId, owner_name: account.ownerName,
  currency: account.currency, ledger: account.ledger, created_at: account.createdAt,
});

export const renderWebhook = (webhook: Webhook) => ({ id: webhook.id, url: webhook.url, active: webhook.active, created_at: webhook.createdAt });

/** A day's statement as JSON, in the API's snake_case like every other answer (the camt.053 is the XML form). */
export const renderStatement = (view: StatementView) => ({
  account_id: view.accountId, currency: view.currency, date: view.date, opening: String(view.opening), closing: String(view.closing), interim: view.interim,
  entries: view.entries.map((entry) => ({
    amount: money(entry.amount.amount, entry.amount.currency), credit_debit: entry.creditDebit, booking_date: entry.bookingDate, value_date: entry.valueDate ?? null,
    entry_reference: entry.entryReference ?? null, account_servicer_reference: entry.accountServicerReference ?? null, uetr: entry.uetr ?? null, end_to_end_id: entry.endToEndId ?? null,
    bank_transaction_code: entry.bankTransactionCode
      ? { domain: entry.bankTransactionCode.domain, family: entry.bankTransactionCode.family, sub_family: entry.bankTransactionCode.subFamily }
      : null,
  })),
});

export const renderDelivery = (delivery: Delivery) => ({
  id: delivery.id, event_seq: String(delivery.eventSeq), state: delivery.state, attempts: delivery.attempts,
  next_attempt_at: delivery.state === 'pending' ? new Date(delivery.nextAttemptMs).toISOString() : null, last_status: delivery.lastStatus, last_error: delivery.lastError,
  log: delivery.log.map((entry) => ({ attempt: entry.attempt, at: new Date(entry.atMs).toISOString(), status_code: entry.statusCode, error: entry.error, duration_ms: entry.durationMs })),
});
