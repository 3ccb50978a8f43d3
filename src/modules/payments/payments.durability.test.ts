import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import type { Database } from '../../db/index.ts';
import { createPaymentsService } from './payments.service.ts';
import { openHarness, type Harness } from './payments.test-support.ts';

/**
 * The saga goes on to the ledger as soon as the payment's intent has committed, before that commit
 * is on disk (see payments.saga.ts): the caller must still hear of the payment only once everything
 * it was told about is on disk. Here the payments service writes through a database whose commits
 * reach the disk only when the test says so, and the ledger books straight away.
 */
describeEachDialect('a payment is answered only once its records are on disk', ({ open }) => {
  let harness: Harness;
  let bankA: string;
  let bankB: string;
  beforeAll(async () => {
    harness = await openHarness(open);
    [bankA, bankB] = [await harness.bank({ feeFixed: 100n }), await harness.bank({ feeBps: 10 })];
  });
  afterAll(async () => harness?.close());

  it('waits for the flush of the intent and of the outcome before answering, and books meanwhile', async () => {
    const { platform } = harness;
    const base = platform.db;
    let flushes: (() => void)[] = [];
    let commits = 0;
    const db: Database = Object.assign(Object.create(base) as Database, {
      async pipelinedTransaction<T>(work: Parameters<Database['transaction']>[0]) {
        const result = (await base.transaction(work)) as T;
        commits += 1;
        return { result, durable: new Promise<void>((resolve) => flushes.push(resolve)) };
      },
    });
    const flushAll = () => {
      const released = flushes;
      flushes = [];
      for (const resolve of released) resolve();
    };
    const payments = createPaymentsService({ db, keySecret: 'payments-durability-test-key-secret', ledger: platform.ledger, fx: platform.fx, parties: platform.parties, clock: harness.clock, report: () => {} });
    const [debtor, creditor] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'USD')];
    const quote = await platform.fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 50_000n, ttlSeconds: 600 });
    if (!quote.ok) throw new Error(quote.error);
    const order = harness.order(debtor, creditor, 50_000n, 'CNY', { quoteId: quote.value.id });
    let answered = false;
    const submitted = payments.submit(order).then((outcome) => {
      answered = true;
      return outcome;
    });

    // The intent committed and the legs were booked, but nothing is on disk yet: no answer.
    const deadline = Date.now() + 10_000;
    while (commits < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(commits).toBe(2);
    expect(await harness.balance(creditor)).toBeGreaterThan(0n);
    expect(answered).toBe(false);
    // The outcome's flush alone does not answer it either while the intent's is outstanding.
    flushes.pop()?.();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    flushAll();
    const outcome = await submitted;
    expect(outcome).toMatchObject({ ok: true, payment: { status: 'ACCC' } });
    expect((await platform.payments.getById(order.id))?.events.map((event) => event.status)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
    await payments.stop();
  });

  it('writes the outcome while the legs are flushed, and answers only once they are on disk', async () => {
    const { platform } = harness;
    let releaseLegs!: () => void;
    const legsFlushed = new Promise<void>((resolve) => (releaseLegs = resolve));
    // The legs' commit reaches the disk only when the test says so; everything else as usual.
    const ledger = Object.assign(Object.create(platform.ledger) as typeof platform.ledger, {
      async createTransfersCommitted(...args: Parameters<typeof platform.ledger.createTransfersCommitted>) {
        const booked = await platform.ledger.createTransfersCommitted(...args);
        return { results: booked.results, durable: booked.durable.then(() => legsFlushed) };
      },
    });
    const payments = createPaymentsService({ db: platform.db, keySecret: 'payments-durability-test-key-secret', ledger, fx: platform.fx, parties: platform.parties, clock: harness.clock, report: () => {} });
    const [debtor, creditor] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'USD')];
    const quote = await platform.fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 40_000n, ttlSeconds: 600 });
    if (!quote.ok) throw new Error(quote.error);
    const order = harness.order(debtor, creditor, 40_000n, 'CNY', { quoteId: quote.value.id });
    let answered = false;
    const submitted = payments.submit(order).then((outcome) => {
      answered = true;
      return outcome;
    });

    // The outcome is written (and on disk) before the legs are: still no answer.
    const deadline = Date.now() + 10_000;
    while ((await platform.payments.getById(order.id))?.status !== 'ACCC' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await platform.payments.getById(order.id))?.status).toBe('ACCC');
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(answered).toBe(false);
    releaseLegs();
    expect(await submitted).toMatchObject({ ok: true, payment: { status: 'ACCC' } });
    await payments.stop();
  });
});
