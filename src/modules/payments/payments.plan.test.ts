import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convert, minorUnitRate, parseRate, applySpread, type DeskAccounts } from '../fx/index.ts';
import { feeOf, planPayment, planReturn, type AgentTerms, type PlanInput } from './payments.plan.ts';
import { CHARGE_BEARERS, type Leg, type Plan } from './payments.ts';

const agent = (bic: string, feeFixed = 0n, feeBps = 0): AgentTerms => ({ bic, settlementAccountId: `${bic}-settlement`, feeAccountId: `${bic}-fee`, feeFixed, feeBps });
const desk = (currency: string, ledger: number): DeskAccounts => ({ currency, ledger, position: `desk-${currency}`, rounding: `rounding-${currency}` });
const debtor = { accountId: 'debtor', currency: 'CNY', ledger: 1 };
const creditor = { accountId: 'creditor', currency: 'USD', ledger: 2 };
const fx = (mid: string, spreadBps: number, sellScale = 2, buyScale = 2) => ({
  quoteId: null, rate: applySpread(parseRate(mid)!, spreadBps), mid, spreadBps, sellScale, buyScale, sellDesk: desk('CNY', 1), buyDesk: desk('USD', 2),
});

/** Net movement of every account the legs touch, per ledger: credits minus debits. */
function net(legs: readonly Leg[]): Map<string, bigint> {
  const totals = new Map<string, bigint>();
  for (const leg of legs) {
    totals.set(leg.debitAccountId, (totals.get(leg.debitAccountId) ?? 0n) - leg.amount);
    totals.set(leg.creditAccountId, (totals.get(leg.creditAccountId) ?? 0n) + leg.amount);
  }
  return totals;
}

const planned = (input: PlanInput): Plan => {
  const result = planPayment(input);
  if (!result.ok) throw new Error(result.error);
  return result.value;
};

describe('payment plans', () => {
  it('books a domestic payment through both agents, fees into their fee accounts', () => {
    const plan = planned({ amount: 10_000n, chargeBearer: 'SHAR', debtor, creditor: { ...creditor, currency: 'CNY', ledger: 1 }, debtorAgent: agent('A', 100n), creditorAgent: agent('B', 0n, 50) });
    expect(plan.legs.map((leg) => [leg.role, leg.debitAccountId, leg.creditAccountId, leg.amount])).toEqual([
      ['customer_debit', 'debtor', 'A-settlement', 10_000n],
      ['debtor_agent_fee', 'debtor', 'A-fee', 100n],
      ['interbank', 'A-settlement', 'B-settlement', 10_000n],
      ['creditor_agent_fee', 'B-settlement', 'B-fee', 50n],
      ['customer_credit', 'B-settlement', 'creditor', 9_950n],
    ]);
    expect([plan.debited, plan.credited]).toEqual([10_100n, 9_950n]);
  });

  it('lets each charge bearer pay what ISO 20022 says it pays', () => {
    const domestic = (chargeBearer: 'DEBT' | 'CRED' | 'SHAR') =>
      planned({ amount: 10_000n, chargeBearer, debtor, creditor: { ...creditor, currency: 'CNY', ledger: 1 }, debtorAgent: agent('A', 100n), creditorAgent: agent('B', 60n) });
    expect([domestic('DEBT').debited, domestic('DEBT').credited]).toEqual([10_160n, 10_000n]);
    expect([domestic('CRED').debited, domestic('CRED').credited]).toEqual([10_000n, 9_840n]);
    expect([domestic('SHAR').debited, domestic('SHAR').credited]).toEqual([10_100n, 9_940n]);
  });

  it('skips the interbank leg and the second charge when one agent holds both accounts', () => {
    const plan = planned({ amount: 5_000n, chargeBearer: 'SHAR', debtor, creditor: { ...creditor, currency: 'CNY', ledger: 1 }, debtorAgent: agent('A', 10n), creditorAgent: agent('A', 10n) });
    expect(plan.legs.map((leg) => leg.role)).toEqual(['customer_debit', 'debtor_agent_fee', 'customer_credit']);
    expect(plan.creditorAgentFee).toBe(0n);
  });

  it('converts through the desk and books the whole units that bought nothing to its rounding account', () => {
    // 1 CNY = 0.1403 USD less nothing; 10.01 CNY = 1.404403 USD → 140 cents; 9.98 CNY buy them, 0.03 CNY are rounding.
    const plan = planned({ amount: 1_001n, chargeBearer: 'SHAR', debtor, creditor, debtorAgent: agent('A'), creditorAgent: agent('B'), fx: fx('0.1403', 0) });
    expect(plan.fx).toMatchObject({ sold: 1_001n, bought: 140n, converted: 998n, residual: 3n });
    expect(plan.legs.map((leg) => [leg.role, leg.amount])).toEqual([['customer_debit', 1_001n], ['fx_sell', 998n], ['fx_rounding', 3n], ['fx_buy', 140n], ['customer_credit', 140n]]);
  });

  it('refuses payments the charges would eat, and conversions that buy nothing', () => {
    const base = { debtor, creditor: { ...creditor, currency: 'CNY', ledger: 1 }, debtorAgent: agent('A', 500n), creditorAgent: agent('B', 500n) };
    expect(planPayment({ ...base, amount: 400n, chargeBearer: 'CRED' })).toEqual({ ok: false, error: 'amount_below_charges' });
    expect(planPayment({ ...base, amount: 500n, chargeBearer: 'SHAR' })).toEqual({ ok: false, error: 'amount_below_charges' });
    expect(planPayment({ amount: 5n, chargeBearer: 'SHAR', debtor, creditor, debtorAgent: agent('A'), creditorAgent: agent('B'), fx: fx('0.1403', 0) })).toEqual({ ok: false, error: 'amount_too_small_to_convert' });
  });

  it('balances every plan: agents pass money through, the desk and the fee accounts keep what they earn', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 10n ** 12n }), fc.constantFrom(...CHARGE_BEARERS), fc.bigInt({ min: 0n, max: 1_000n }), fc.integer({ min: 0, max: 200 }),
        fc.bigInt({ min: 0n, max: 1_000n }), fc.integer({ min: 0, max: 200 }), fc.constantFrom('7.1234', '0.1403', '151.37', '0.0066'), fc.integer({ min: 0, max: 300 }),
        fc.constantFrom([2, 2], [2, 0], [0, 2]),
        (amount, chargeBearer, fixedA, bpsA, fixedB, bpsB, mid, spread, [sellScale, buyScale]) => {
          const input: PlanInput = { amount, chargeBearer, debtor, creditor, debtorAgent: agent('A', fixedA, bpsA), creditorAgent: agent('B', fixedB, bpsB), fx: fx(mid, spread, sellScale, buyScale) };
          const result = planPayment(input);
          if (!result.ok) return;
          const plan = result.value;
          const totals = net(plan.legs);
          expect(totals.get('A-settlement') ?? 0n).toBe(0n);
          expect(totals.get('B-settlement') ?? 0n).toBe(0n);
          expect(-(totals.get('debtor') ?? 0n)).toBe(plan.debited);
          expect(totals.get('creditor')).toBe(plan.credited);
          expect((totals.get('A-fee') ?? 0n) + (totals.get('B-fee') ?? 0n)).toBe(plan.debtorAgentFee + plan.creditorAgentFee);
          // Per ledger, every plan balances; and the creditor never gets more than the exact conversion.
          for (const ledger of [1, 2]) expect(plan.legs.filter((leg) => leg.ledger === ledger).every((leg) => leg.amount > 0n)).toBe(true);
          const minorRate = minorUnitRate(input.fx!.rate, sellScale, buyScale);
          const fxTerms = plan.fx!;
          expect(fxTerms.bought * minorRate.denominator <= fxTerms.sold * minorRate.numerator).toBe(true);
          expect(fxTerms.bought).toBe(convert(fxTerms.sold, minorRate).bought);
          // DEBT: the creditor receives exactly what the instructed amount buys (a firm quote's buy
          // amount), and the creditor agent at least its charge on that.
          if (chargeBearer === 'DEBT') {
            expect(plan.credited).toBe(convert(amount, minorRate).bought);
            expect(plan.creditorAgentFee >= feeOf(input.creditorAgent, plan.credited)).toBe(true);
          }
          if (chargeBearer === 'CRED') expect(plan.debited).toBe(amount);
          expect(feeOf(input.debtorAgent, amount)).toBe(plan.debtorAgentFee);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('plans a return back through the desk at the day\'s rate', () => {
    const result = planReturn({ amount: 140n, debtor, creditor, debtorAgent: agent('A'), creditorAgent: agent('B'), fx: { ...fx('7.1276', 0), sellDesk: desk('USD', 2), buyDesk: desk('CNY', 1) } });
    if (!result.ok) throw new Error(result.error);
    expect(result.value.legs.map((leg) => [leg.role, leg.debitAccountId, leg.creditAccountId, leg.amount])).toEqual([
      ['return_debit', 'creditor', 'B-settlement', 140n],
      ['return_fx_sell', 'B-settlement', 'desk-USD', 140n],
      ['return_fx_buy', 'desk-CNY', 'A-settlement', 997n],
      ['return_credit', 'A-settlement', 'debtor', 997n],
    ]);
  });
});
