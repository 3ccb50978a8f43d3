import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { openHarness, type Harness } from './payments.test-support.ts';

/** The counts /metrics shows of payments: every status change recorded once, under its status, once on disk. */
describeEachDialect('payment statistics', ({ open }) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await openHarness(open);
  });
  afterAll(async () => harness?.close());

  it('counts each recorded status change under its status', async () => {
    const bank = await harness.bank();
    const [from, to] = [await harness.customer(bank, 'CNY', 10n ** 9n), await harness.customer(bank, 'CNY')];
    const before = { ...harness.platform.payments.stats().statusChanges };

    const settled = await harness.pay(from, to, 1_000n, 'CNY');
    if (!settled.ok) throw new Error(`refused: ${settled.error}`);
    const held = await harness.pay(from, to, 2_000n, 'CNY', { settlement: 'on_acceptance', acceptanceTimeoutSeconds: 60 });
    if (!held.ok) throw new Error(`refused: ${held.error}`);
    expect((await harness.platform.payments.cancel(held.payment.uetr, 'CUST')).ok).toBe(true);

    const after = harness.platform.payments.stats().statusChanges;
    const recorded = [...(await harness.platform.payments.track(settled.payment.uetr))!.events, ...(await harness.platform.payments.track(held.payment.uetr))!.events];
    const expected: Record<string, number> = {};
    for (const event of recorded) expected[event.status] = (expected[event.status] ?? 0) + 1;
    const counted = Object.fromEntries(Object.entries(after).map(([status, total]) => [status, total - (before[status as keyof typeof before] ?? 0)]).filter(([, delta]) => delta !== 0));
    expect(counted).toEqual(expected);
    expect(counted).toMatchObject({ ACCC: 1, CANC: 1 });
    expect(harness.platform.payments.stats().writerQueued).toBe(0);
  });
});
