import type { Money } from '../../kernel/index.ts';
import { formatRate } from '../fx/index.ts';
import type { LedgerService, Transfer } from '../ledger/index.ts';
import type { LedgerPort } from './payments.ledger.ts';
import type { LegRole, PaymentEvent, PaymentRecord } from './payments.ts';

/**
 * The tracker: every hop a payment made (debtor, debtor agent, FX desk, creditor agent, creditor),
 * with the amount that came in and went out of each, the rate and the charges, and when each hop's
 * leg was reserved and settled according to the ledger itself. Read on demand from the payment's
 * plan and the ledger's transfers, so the tracker can never disagree with the books.
 */
export type HopRole = 'debtor' | 'debtor_agent' | 'fx' | 'creditor_agent' | 'creditor';
export type HopStatus = 'not_booked' | 'reserved' | 'settled' | 'released' | 'expired';

export interface Hop {
  readonly role: HopRole;
  /** A BIC for agents, the account id for the debtor and creditor, "FX" for the desk. */
  readonly participant: string;
  readonly name: string | null;
  readonly status: HopStatus;
  readonly reservedAt: bigint | null;
  readonly settledAt: bigint | null;
  readonly amountIn: Money | null;
  readonly amountOut: Money | null;
  readonly fee: Money | null;
  readonly fx: { readonly rate: string; readonly mid: string; readonly spreadBps: number; readonly rounding: Money; readonly remainder: string | null } | null;
}

export interface ReturnLeg {
  readonly role: LegRole;
  readonly amount: Money;
  readonly bookedAt: bigint | null;
}

export interface Tracking {
  readonly payment: PaymentRecord;
  readonly hops: readonly Hop[];
  readonly events: readonly PaymentEvent[];
  readonly returnLegs: readonly ReturnLeg[];
}

interface LegState {
  readonly status: HopStatus;
  readonly reservedAt: bigint | null;
  readonly settledAt: bigint | null;
}

function legState(reserved: Transfer | undefined, pending: Awaited<ReturnType<LedgerService['pendingStatus']>>): LegState {
  if (!reserved || !pending) return { status: 'not_booked', reservedAt: null, settledAt: null };
  const status: HopStatus = pending.status === 'posted' ? 'settled' : pending.status === 'voided' ? 'released' : pending.status === 'expired' ? 'expired' : 'reserved';
  return { status, reservedAt: reserved.timestamp, settledAt: pending.status === 'posted' ? pending.resolvedAt : null };
}

const money = (amount: bigint, currency: string): Money => ({ amount, currency });

export async function trackPayment(ledger: LedgerPort & Pick<LedgerService, 'lookupTransfers'>, payment: PaymentRecord, events: readonly PaymentEvent[]): Promise<Tracking> {
  const { plan, debtor, creditor } = payment;
  if (!plan || !debtor || !creditor) return { payment, hops: [], events, returnLegs: [] };
  const legs = plan.legs;
  // The legs' and the return's transfers in one lookup; each leg's pending state as the ledger keeps it.
  const booked = new Map((await ledger.lookupTransfers([...legs, ...(payment.returned?.legs ?? [])].map((leg) => leg.transferId))).map((transfer) => [transfer.id, transfer]));
  const pending = await Promise.all(legs.map((leg) => ledger.pendingStatus(leg.transferId)));
  const states = legs.map((leg, index) => legState(booked.get(leg.transferId), pending[index]));
  const stateOf = (...roles: LegRole[]): LegState => {
    const index = legs.findIndex((leg) => roles.includes(leg.role));
    return index >= 0 ? (states[index] as LegState) : { status: 'not_booked', reservedAt: null, settledAt: null };
  };
  const A = plan.debitCurrency;
  const B = plan.creditCurrency;
  const fx = plan.fx;
  const arriving = fx ? fx.bought : plan.principal;
  const hops: Hop[] = [
    { role: 'debtor', participant: debtor.accountId, name: debtor.name, ...stateOf('customer_debit'), amountIn: null, amountOut: money(plan.debited, A), fee: null, fx: null },
    {
      role: 'debtor_agent', participant: debtor.agent, name: null, ...stateOf('customer_debit'),
      amountIn: money(plan.principal, A), amountOut: money(plan.principal, A), fee: money(plan.debtorAgentFee, A), fx: null,
    },
  ];
  if (fx) {
    hops.push({
      role: 'fx', participant: 'FX', name: 'FX desk', ...stateOf('fx_sell', 'fx_buy'), amountIn: money(fx.sold, A), amountOut: money(fx.bought, B), fee: null,
      fx: { rate: formatRate(fx.rate), mid: fx.mid, spreadBps: fx.spreadBps, rounding: money(fx.residual, A), remainder: fx.remainder ? `${fx.remainder.numerator}/${fx.remainder.denominator}` : null },
    });
  }
  hops.push(
    {
      role: 'creditor_agent', participant: creditor.agent, name: null, ...stateOf('fx_buy', 'interbank', 'customer_credit'),
      amountIn: money(arriving, B), amountOut: money(plan.credited, B), fee: money(plan.creditorAgentFee, B), fx: null,
    },
    { role: 'creditor', participant: creditor.accountId, name: creditor.name, ...stateOf('customer_credit'), amountIn: money(plan.credited, B), amountOut: null, fee: null, fx: null },
  );
  const returnLegs: ReturnLeg[] = [];
  for (const leg of payment.returned?.legs ?? []) {
    returnLegs.push({ role: leg.role, amount: money(leg.amount, leg.currency), bookedAt: booked.get(leg.transferId)?.timestamp ?? null });
  }
  return { payment, hops, events, returnLegs };
}
