import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PaymentEvent, PaymentRecord } from '../modules/payments/index.ts';
import { PAYMENT_TALLY_LIMITS, createPaymentTally, type PaymentTally } from './payment-tally.ts';

const STATUSES = ['RCVD', 'ACTC', 'ACSP', 'ACCC', 'RJCT'] as const;
const CURRENCIES = ['CNY', 'HKD', 'USD'] as const;

/** An in-memory stand-in for the payments service: payments listed in creation order, and their event feed. */
function fakePayments() {
  const payments: { id: string; createdAt: string; status: string; currency: string; amount: bigint }[] = [];
  const events: PaymentEvent[] = [];
  let clock = 0;
  const record = (payment: (typeof payments)[number]) =>
    ({ id: payment.id, createdAt: payment.createdAt, status: payment.status, order: { currency: payment.currency, amount: payment.amount }, events: events.filter((event) => event.paymentId === payment.id) }) as unknown as PaymentRecord;
  const emit = (payment: (typeof payments)[number]) =>
    events.push({ seq: BigInt(events.length + 1), paymentId: payment.id, uetr: payment.id, status: payment.status as PaymentEvent['status'], reasonCode: null, at: 0n, keyId: null });
  return {
    source: {
      async list(filter: { limit: number; after?: string }) {
        const [createdAt = '', id = ''] = filter.after?.split(' ') ?? [];
        return payments.filter((payment) => !filter.after || payment.createdAt > createdAt || (payment.createdAt === createdAt && payment.id > id)).slice(0, filter.limit).map(record);
      },
      async events(after: bigint, limit: number) {
        return events.filter((event) => event.seq > after).slice(0, limit);
      },
      async getById(id: string) {
        const payment = payments.find((candidate) => candidate.id === id);
        return payment ? record(payment) : undefined;
      },
    },
    create(currency: string, amount: bigint) {
      clock += 1;
      const payment = { id: `p${String(clock).padStart(6, '0')}`, createdAt: String(clock).padStart(8, '0'), status: 'RCVD', currency, amount };
      payments.push(payment);
      emit(payment);
    },
    change(index: number, status: string) {
      const payment = payments[index % Math.max(1, payments.length)];
      if (!payment) return;
      payment.status = status;
      emit(payment);
    },
    truth(): PaymentTally {
      const byStatus = new Map<string, number>();
      const byCurrency = new Map<string, { count: number; settled: number; settledAmount: bigint }>();
      for (const payment of payments) {
        byStatus.set(payment.status, (byStatus.get(payment.status) ?? 0) + 1);
        const row = byCurrency.get(payment.currency) ?? { count: 0, settled: 0, settledAmount: 0n };
        row.count += 1;
        if (payment.status === 'ACCC') (row.settled += 1), (row.settledAmount += payment.amount);
        byCurrency.set(payment.currency, row);
      }
      return {
        counted: payments.length, complete: true,
        byStatus: [...byStatus].map(([status, count]) => ({ status, count })).sort((a, b) => a.status.localeCompare(b.status)),
        byCurrency: [...byCurrency].map(([currency, row]) => ({ currency, ...row })).sort((a, b) => a.currency.localeCompare(b.currency)),
      };
    },
  };
}

const operation = fc.oneof(
  fc.record({ kind: fc.constant('create' as const), currency: fc.constantFrom(...CURRENCIES), amount: fc.bigInt({ min: 1n, max: 10n ** 12n }) }),
  fc.record({ kind: fc.constant('change' as const), index: fc.nat(), status: fc.constantFrom(...STATUSES) }),
  fc.record({ kind: fc.constant('refresh' as const) }),
);

describe('payment tally', () => {
  it('equals a full count after every refresh, whatever happens between refreshes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 120 }), async (operations) => {
        const fake = fakePayments();
        const tally = createPaymentTally(fake.source);
        for (const step of operations) {
          if (step.kind === 'create') fake.create(step.currency, step.amount);
          else if (step.kind === 'change') fake.change(step.index, step.status);
          else expect(await tally.refresh()).toEqual(fake.truth());
        }
        expect(await tally.refresh()).toEqual(fake.truth());
      }),
      { numRuns: 200 },
    );
  });

  it('reads only what is new on later refreshes', async () => {
    const fake = fakePayments();
    let listed = 0;
    let fetched = 0;
    const counting = {
      list: async (filter: { limit: number; after?: string }) => { const page = await fake.source.list(filter); listed += page.length; return page; },
      events: fake.source.events,
      getById: async (id: string) => { fetched += 1; return fake.source.getById(id); },
    };
    const tally = createPaymentTally(counting);
    for (let index = 0; index < 1200; index++) fake.create('CNY', 100n);
    await tally.refresh();
    expect(listed).toBe(1200);
    fake.create('USD', 5n);
    fake.change(3, 'ACCC');
    const after = await tally.refresh();
    // The new payment came from the feed and was read alone; nothing was listed again.
    expect(listed).toBe(1200);
    expect(fetched).toBe(1);
    expect(after.byStatus).toEqual([{ status: 'ACCC', count: 1 }, { status: 'RCVD', count: 1200 }]);
    expect(after.byCurrency.map((row) => [row.currency, row.count])).toEqual([['CNY', 1200], ['USD', 1]]);
  });

  it(`stops at ${PAYMENT_TALLY_LIMITS.paymentsMax} payments and says the count is partial`, async () => {
    const fake = fakePayments();
    for (let index = 0; index < PAYMENT_TALLY_LIMITS.paymentsMax - 1; index++) fake.create('CNY', 1n);
    const tally = createPaymentTally(fake.source);
    expect(await tally.refresh()).toMatchObject({ counted: PAYMENT_TALLY_LIMITS.paymentsMax - 1, complete: true });
    for (let index = 0; index < 3; index++) fake.create('CNY', 1n);
    expect(await tally.refresh()).toMatchObject({ counted: PAYMENT_TALLY_LIMITS.paymentsMax, complete: false });
  });

  it('catches up with a long feed over several refreshes without ever counting an old status', async () => {
    const fake = fakePayments();
    for (let index = 0; index < 50; index++) fake.create('HKD', 7n);
    // More status changes than one refresh reads, all before the first count.
    const changes = PAYMENT_TALLY_LIMITS.eventsPage * PAYMENT_TALLY_LIMITS.eventPagesPerRefresh + 10;
    for (let index = 0; index < changes; index++) fake.change(index, STATUSES[index % STATUSES.length] as string);
    const tally = createPaymentTally(fake.source);
    expect(await tally.refresh()).toEqual(fake.truth());
    fake.change(0, 'ACCC');
    expect(await tally.refresh()).toEqual(fake.truth());
  });
});
