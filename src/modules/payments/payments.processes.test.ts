import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freshPostgresUrl } from '../../../test/support/databases.ts';
import { describeWithPostgres } from '../../../test/process/postgres-server.ts';
import { openPostgres } from '../../db/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import { byAmount, scriptedRules } from '../risk/risk.test-support.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { expectConsistent, expectLimitsHold, ticks } from './payments.races.test-support.ts';
import { expectLedgersBalance, openHarness, uuid, type Harness } from './payments.test-support.ts';
import type { PaymentOrder } from './payments.ts';

/**
 * Two Sluice processes on one PostgreSQL database, as two platforms each with its own connection
 * pool, ledger engine and payments writer: the same payments are accepted, cancelled, rejected,
 * expired, released or rejected by review, returned, submitted again and recovered by either
 * process, all at once, in orders fast-check chooses. Each payment ends in one state its legs and
 * events agree on, at most one return books, a retried submission books nothing, every ledger
 * balances and the journal verifies.
 */
const OPERATIONS = ['accept', 'cancel', 'reject', 'expire', 'return', 'resubmit', 'release', 'reviewReject', 'recoverLate'] as const;
type Operation = (typeof OPERATIONS)[number];

/** Returns drawn more often: only a payment settled before the race can be returned in it. */
const operationArbitrary = fc.oneof(...OPERATIONS.map((operation) => ({ arbitrary: fc.constant(operation), weight: operation === 'return' ? 4 : 1 })));

const scenarioArbitrary = fc.array(
  fc.record({
    settlement: fc.constantFrom('immediate' as const, 'on_acceptance' as const),
    review: fc.boolean(),
    crossBorder: fc.boolean(),
    /** Submitted before the race (so that it can be settled and returned in it), or in it. */
    early: fc.boolean(),
    operations: fc.array(fc.record({ operation: operationArbitrary, process: fc.nat({ max: 1 }), delay: fc.nat({ max: 6 }) }), { minLength: 2, maxLength: 4 }),
  }),
  { minLength: 1, maxLength: 3 },
);

describeWithPostgres('payment lifecycle raced by two processes', () => {
  let harness: Harness;
  let other: Platform;
  let banks: [string, string];
  beforeAll(async () => {
    const url = await freshPostgresUrl();
    const rules = scriptedRules();
    const payments = byAmount(300_000n, 40_000_000n);
    rules.script = (variables) => (variables.event.channel === 'payments' ? payments(variables) : 'approve');
    harness = await openHarness(async () => openPostgres(url), { rules });
    other = await createPlatform({ db: openPostgres(url), clock: harness.clock, expiryIntervalMs: 0, risk: { rules } });
    banks = [await harness.bank({ feeFixed: 50n }), await harness.bank({ feeBps: 8 })];
  });
  afterAll(async () => {
    await other?.close();
    await harness?.close();
  });

  async function perform(platform: Platform, operation: Operation, order: PaymentOrder): Promise<{ ok: boolean; replayed?: boolean }> {
    const uetr = order.uetr!;
    switch (operation) {
      case 'accept':
        return platform.payments.accept(uetr, 'creditor-agent-key');
      case 'cancel':
        return platform.payments.cancel(uetr, 'CUST', 'debtor-key');
      case 'reject':
        return platform.payments.reject(uetr, 'AC04');
      case 'expire':
        return { ok: (await platform.payments.expireDue()) >= 0 };
      case 'return':
        return platform.payments.returnPayment(uetr, 'AC04', 'returning-key');
      case 'resubmit': {
        const outcome = await platform.payments.submit(order);
        return { ok: outcome.ok, replayed: outcome.replayed };
      }
      case 'release':
        return platform.risk.holds.release(uetr, 'analyst-release');
      case 'reviewReject':
        return platform.risk.holds.reject(uetr, 'analyst-reject');
      case 'recoverLate':
        harness.clock.advance(PAYMENT_LIMITS.recoveryGraceMs + 1_000);
        return { ok: (await platform.payments.recover()) >= 0 };
    }
  }

  it('ends every payment whole and in one state, whichever process does what', async () => {
    const processes = [harness.platform, other];
    let returned = 0;
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (drawn) => {
        const cases: { order: PaymentOrder; from: string; to: string; item: (typeof drawn)[number] }[] = [];
        for (const [index, item] of drawn.entries()) {
          const from = await harness.customer(banks[index % 2]!, 'CNY', 5_000_000n);
          const to = await harness.customer(banks[(index + 1) % 2]!, item.crossBorder ? 'USD' : 'CNY');
          const order = harness.order(from, to, item.review ? 350_000n : 150_000n, 'CNY', { uetr: uuid(), settlement: item.settlement, acceptanceTimeoutSeconds: 60 });
          cases.push({ order, from, to, item });
        }
        // Each submitted by one process while everything else starts, the other process's retry included.
        const submit = async ({ order }: (typeof cases)[number], index: number) => {
          const outcome = await processes[index % 2]!.payments.submit(order);
          return { order, operation: 'resubmit' as Operation, answer: { ok: outcome.ok, replayed: outcome.replayed } };
        };
        const submitted = await Promise.all(cases.map((entry, index) => (entry.item.early ? submit(entry, index) : null)));
        const submitting = cases.map((entry, index) => (entry.item.early ? submitted[index]! : submit(entry, index)));
        const answers = await Promise.all([...submitting, ...cases.flatMap(({ order, item }) => item.operations.map(async ({ operation, process, delay }) => {
          await ticks(delay);
          return { order, operation, answer: await perform(processes[process]!, operation, order) };
        }))]);

        for (const { order, from, to } of cases) {
          const payment = await expectConsistent(harness.platform, order.id);
          const returns = answers.filter((entry) => entry.order === order && entry.operation === 'return' && entry.answer.ok).length;
          expect(returns, order.id).toBe(payment.status === 'RTND' ? 1 : 0);
          returned += returns;
          // At most one submission booked it; every other answered from it. (The first may answer
          // `replayed` too, when recovery of the other process finished the payment before it did.)
          expect(answers.filter((entry) => entry.order === order && entry.operation === 'resubmit' && entry.answer.replayed === false).length).toBeLessThanOrEqual(1);
          const moved = payment.status === 'ACCC' || payment.status === 'RTND';
          const back = payment.status === 'RTND' ? payment.returned! : null;
          expect(await harness.balance(from)).toBe(5_000_000n - (moved ? payment.plan!.debited : 0n) + (back?.creditedToDebtor ?? 0n));
          expect(await harness.balance(to)).toBe((moved ? payment.plan!.credited : 0n) - (back?.debitedFromCreditor ?? 0n));
        }
        await expectLedgersBalance(harness.platform);
        await expectLimitsHold(harness.platform);
      }),
      { numRuns: 30 },
    );
    expect(returned).toBeGreaterThan(0);
    expect((await harness.platform.verify()).problems).toEqual([]);
  });
});
