import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { msToNs } from '../../kernel/index.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { expectLedgersBalance, openHarness, pendingHolds, type Harness } from './payments.test-support.ts';
import type { PaymentRecord } from './payments.ts';

/**
 * The status machine and the tracker: every state change is recorded once, in order, with its
 * instant; the moment a payment reached the creditor agent and the moment it was credited are kept
 * apart; a held payment is accepted, rejected, cancelled or times out with every leg posted or
 * released together; a settled one can be returned, once.
 */
describeEachDialect('payment lifecycle and tracker', ({ open }) => {
  let harness: Harness;
  let bankA: string;
  let bankB: string;
  beforeAll(async () => {
    harness = await openHarness(open);
    [bankA, bankB] = [await harness.bank({ feeFixed: 200n }), await harness.bank({ feeBps: 15 })];
  });
  afterAll(async () => harness?.close());

  const settled = (outcome: Awaited<ReturnType<Harness['pay']>>): PaymentRecord => {
    if (!outcome.ok) throw new Error(`refused: ${outcome.error}`);
    return outcome.payment;
  };

  async function statuses(uetr: string): Promise<string[]> {
    const tracking = await harness.platform.payments.track(uetr);
    const events = tracking!.events;
    // Numbered and timed in order, each status once.
    for (let index = 1; index < events.length; index++) {
      expect(events[index]!.seq > events[index - 1]!.seq).toBe(true);
      expect(events[index]!.at >= events[index - 1]!.at).toBe(true);
    }
    expect(new Set(events.map((event) => event.status)).size).toBe(events.length);
    return events.map((event) => event.status);
  }

  it('tracks an immediate cross-border payment hop by hop', async () => {
    const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'JPY')];
    const payment = settled(await harness.pay(from, to, 500_000n, 'CNY'));
    expect(await statuses(payment.uetr)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
    const tracking = (await harness.platform.payments.track(payment.uetr))!;
    expect(tracking.hops.map((hop) => [hop.role, hop.status])).toEqual([
      ['debtor', 'settled'], ['debtor_agent', 'settled'], ['fx', 'settled'], ['creditor_agent', 'settled'], ['creditor', 'settled'],
    ]);
    const [, debtorAgent, fx, creditorAgent, creditor] = tracking.hops;
    expect(debtorAgent).toMatchObject({ participant: bankA, amountIn: { amount: 500_000n, currency: 'CNY' }, fee: { amount: 200n, currency: 'CNY' } });
    expect(fx!.fx).toMatchObject({ mid: '21.2497', spreadBps: 30 });
    expect(fx!.amountOut).toEqual({ amount: payment.plan!.fx!.bought, currency: 'JPY' });
    expect(creditorAgent).toMatchObject({ participant: bankB, amountIn: fx!.amountOut, fee: { amount: payment.plan!.creditorAgentFee, currency: 'JPY' } });
    expect(creditor!.amountIn).toEqual({ amount: payment.plan!.credited, currency: 'JPY' });
    // Reached the creditor agent when every leg was reserved; credited when every leg posted.
    expect(payment.reachedCreditorAgentAt! < payment.creditedAt!).toBe(true);
    expect(tracking.events.find((event) => event.status === 'ACSP')!.at).toBe(payment.reachedCreditorAgentAt);
    expect(tracking.events.find((event) => event.status === 'ACCC')!.at).toBe(payment.creditedAt);
    expect(creditor!.settledAt).toBe(payment.creditedAt);
    expect(payment.messages.map((message) => [message.kind, message.status])).toEqual([['pacs.008', null], ['pacs.002', 'ACCC']]);
  });

  it('holds a payment for the creditor agent, and credits it only when accepted', async () => {
    const [from, to] = [await harness.customer(bankA, 'USD', 100_000n), await harness.customer(bankB, 'CNY')];
    const held = settled(await harness.pay(from, to, 20_000n, 'USD', { settlement: 'on_acceptance', acceptanceTimeoutSeconds: 600 }));
    expect(held).toMatchObject({ status: 'ACSP', ledgerState: 'reserved', creditedAt: null });
    expect(await harness.balance(to)).toBe(0n);
    expect(await pendingHolds(harness.platform)).toBe(held.plan!.legs.length);
    harness.clock.advance(90_000);
    const accepted = await harness.platform.payments.accept(held.uetr);
    if (!accepted.ok) throw new Error(accepted.error);
    expect(accepted.value.status).toBe('ACCC');
    expect(await harness.balance(to)).toBe(held.plan!.credited);
    expect(await pendingHolds(harness.platform)).toBe(0);
    // The two moments lie the acceptance apart.
    expect(accepted.value.creditedAt! - accepted.value.reachedCreditorAgentAt! > msToNs(89_999)).toBe(true);
    expect(await statuses(held.uetr)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
    expect(await harness.platform.payments.accept(held.uetr)).toEqual({ ok: false, error: 'payment_already_settled' });
    expect(await harness.platform.payments.cancel(held.uetr, 'CUST')).toEqual({ ok: false, error: 'payment_already_settled' });
  });

  it('releases every leg of a held payment that is cancelled, rejected or times out', async () => {
    const from = await harness.customer(bankA, 'CNY', 1_000_000n);
    const to = await harness.customer(bankB, 'USD');
    const hold = async () => settled(await harness.pay(from, to, 10_000n, 'CNY', { settlement: 'on_acceptance', acceptanceTimeoutSeconds: 60 }));
    const [cancelled, rejected, timedOut] = [await hold(), await hold(), await hold()];
    expect(await harness.balance(from)).toBe(1_000_000n);

    const cancel = await harness.platform.payments.cancel(cancelled.uetr, 'DUPL');
    expect(cancel.ok && cancel.value).toMatchObject({ status: 'CANC', reasonCode: 'DUPL' });
    const reject = await harness.platform.payments.reject(rejected.uetr, 'AC04');
    expect(reject.ok && reject.value).toMatchObject({ status: 'RJCT', reasonCode: 'AC04' });
    expect(await harness.platform.payments.expireDue()).toBe(0);
    harness.clock.advance(61_000);
    expect(await harness.platform.payments.expireDue()).toBe(1);
    expect(await harness.platform.payments.get(timedOut.uetr)).toMatchObject({ status: 'RJCT', reasonCode: 'AB05' });

    expect(await statuses(cancelled.uetr)).toEqual(['RCVD', 'ACTC', 'ACSP', 'CANC']);
    expect(await statuses(rejected.uetr)).toEqual(['RCVD', 'ACTC', 'ACSP', 'RJCT']);
    expect(await statuses(timedOut.uetr)).toEqual(['RCVD', 'ACTC', 'ACSP', 'RJCT']);
    expect(await harness.balance(from)).toBe(1_000_000n);
    expect(await harness.balance(to)).toBe(0n);
    expect(await pendingHolds(harness.platform)).toBe(0);
    for (const payment of [cancelled, rejected, timedOut]) {
      const tracking = (await harness.platform.payments.track(payment.uetr))!;
      expect(tracking.hops.every((hop) => hop.status === 'released')).toBe(true);
    }
    expect(await harness.platform.payments.cancel(cancelled.uetr, 'CUST')).toEqual({ ok: false, error: 'payment_not_cancellable' });
    expect(await harness.platform.payments.accept(rejected.uetr)).toEqual({ ok: false, error: 'payment_not_awaiting_acceptance' });
    await expectLedgersBalance(harness.platform);
  });

  it('lets the ledger release a held payment by itself if nothing else does', async () => {
    const [from, to] = [await harness.customer(bankA, 'CNY', 50_000n), await harness.customer(bankB, 'CNY')];
    const held = settled(await harness.pay(from, to, 10_000n, 'CNY', { settlement: 'on_acceptance', acceptanceTimeoutSeconds: 5 }));
    harness.clock.advance((5 + PAYMENT_LIMITS.acceptanceGraceSeconds + 1) * 1000);
    await harness.platform.ledger.expireDue();
    expect(await harness.balance(from)).toBe(50_000n);
    // The sweep then records what the ledger did.
    expect(await harness.platform.payments.expireDue()).toBe(1);
    expect(await harness.platform.payments.get(held.uetr)).toMatchObject({ status: 'RJCT', reasonCode: 'AB05' });
    expect(await pendingHolds(harness.platform)).toBe(0);
  });

  it('returns a settled cross-border payment once, converting back at the day\'s rate', async () => {
    const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'USD')];
    const payment = settled(await harness.pay(from, to, 300_000n, 'CNY', { chargeBearer: 'DEBT' }));
    const afterPayment = await harness.balance(from);
    const returned = await harness.platform.payments.returnPayment(payment.uetr, 'AC04');
    if (!returned.ok) throw new Error(returned.error);
    expect(returned.value).toMatchObject({ status: 'RTND', reasonCode: 'AC04' });
    expect(await harness.balance(to)).toBe(0n);
    expect(await harness.balance(from)).toBe(afterPayment + returned.value.returned!.creditedToDebtor);
    expect(await statuses(payment.uetr)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC', 'RTND']);
    expect(returned.value.messages.at(-1)).toMatchObject({ kind: 'pacs.004', reasonCode: 'AC04' });
    expect(await harness.platform.payments.returnPayment(payment.uetr, 'AC04')).toEqual({ ok: false, error: 'payment_already_returned' });
    const tracking = (await harness.platform.payments.track(payment.uetr))!;
    expect(tracking.returnLegs.every((leg) => leg.bookedAt !== null)).toBe(true);
    await expectLedgersBalance(harness.platform);
  });

  it('refuses to return what the creditor no longer holds, and changes nothing', async () => {
    const [from, to, elsewhere] = [await harness.customer(bankA, 'CNY', 100_000n), await harness.customer(bankB, 'CNY'), await harness.customer(bankB, 'CNY')];
    const payment = settled(await harness.pay(from, to, 40_000n, 'CNY'));
    settled(await harness.pay(to, elsewhere, payment.plan!.credited - 1_000n, 'CNY'));
    expect(await harness.platform.payments.returnPayment(payment.uetr, 'CUST')).toEqual({ ok: false, error: 'insufficient_funds' });
    expect(await harness.platform.payments.get(payment.uetr)).toMatchObject({ status: 'ACCC', ledgerState: 'done', returned: null });
    expect(await statuses(payment.uetr)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
  });

  it('exports each message exactly as it was issued', async () => {
    const [from, to] = [await harness.customer(bankA, 'CNY', 100_000n), await harness.customer(bankB, 'USD')];
    const payment = settled(await harness.pay(from, to, 40_000n, 'CNY', { remittance: ['Invoice 2026-001'] }));
    const pacs008 = await harness.platform.payments.exportMessage(payment.uetr, 'pacs.008');
    if (!pacs008.ok) throw new Error(pacs008.error);
    expect(pacs008.value.xml).toContain(`<UETR>${payment.uetr}</UETR>`);
    expect(pacs008.value.xml).toContain('<Ustrd>Invoice 2026-001</Ustrd>');
    expect(pacs008.value.xml).toContain('<IntrBkSttlmAmt Ccy="USD">');
    const pacs002 = await harness.platform.payments.exportMessage(payment.uetr, 'pacs.002');
    expect(pacs002.ok && pacs002.value.xml).toContain('<TxSts>ACCC</TxSts>');
    expect(await harness.platform.payments.exportMessage(payment.uetr, 'pacs.004')).toEqual({ ok: false, error: 'message_not_found' });
    // A record changed behind the module's back no longer rebuilds to what was issued.
    await harness.platform.db.run('UPDATE payments SET order_json = REPLACE(order_json, ?, ?) WHERE id = ?', ['Invoice 2026-001', 'Invoice 2026-999', payment.id]);
    await expect(harness.platform.payments.exportMessage(payment.uetr, 'pacs.008')).rejects.toThrow(/no longer rebuilds/);
  });
});
