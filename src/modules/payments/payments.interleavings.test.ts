import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { byAmount, scriptedRules } from '../risk/risk.test-support.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import type { PaymentsService } from './payments.service.ts';
import { expectConsistent, expectLimitsHold, legStates, secondService, ticks, type Pause } from './payments.races.test-support.ts';
import { expectLedgersBalance, openHarness, pendingHolds, uuid, type Harness } from './payments.test-support.ts';
import type { PaymentOrder, PaymentRecord } from './payments.ts';

/**
 * The payment lifecycle under any interleaving: a few payments (immediate or held for acceptance,
 * some under risk review, some cross-border, some submitted while the rest is going on) and a
 * random set of what can happen to them (accept, reject, cancel, the acceptance window closing,
 * an analyst releasing or rejecting the review, a return, a retried submission, recovery, recovery
 * after the clock has passed its grace period so that it meets steps still in flight), all
 * started at once, each after a number of event-loop turns fast-check chooses, through two payments
 * services on one database (the second stands for another process, or a slow request, and waits
 * at its FX reads and ledger calls as long as fast-check says). Afterwards, and again once every
 * hold has been ended:
 *
 * - every ledger balances and no account is below its limits; the journal verifies;
 * - each payment agrees with its legs (settled: all posted; closed: none posted, none held; held:
 *   all reserved), a return is booked whole exactly when the payment says RTND, nothing else names it;
 * - its events are each once, in order, valid transitions, and the webhooks' outbox holds exactly them;
 * - every action's answer agrees with where the payment ended (an accepted payment is settled, a
 *   cancelled one CANC, at most one return succeeds), and a retried submission books nothing;
 * - each customer's balance moved by exactly what its payment says.
 */
const REVIEW_AT = 300_000n;
const DECLINE_AT = 40_000_000n;
/** Longer than a few of recoverLate's moves of the clock, so that the windows mostly stay open in the race. */
const WINDOW_SECONDS = 300;

/** `recoverLate` moves the clock past recovery's grace period first, as if every step in flight were that slow. */
const OPERATIONS = ['accept', 'reject', 'cancel', 'expire', 'release', 'reviewReject', 'return', 'resubmit', 'recover', 'recoverLate'] as const;
type Operation = (typeof OPERATIONS)[number];
/**
 * How often each action is drawn, weighted towards those that race for one payment's final state:
 * a payment under review mostly meets its analysts and its debtor's side, a settled one its returns.
 */
const WEIGHTS: Readonly<Record<'review' | 'plain', Readonly<Record<Operation, number>>>> = {
  review: { accept: 2, reject: 1, cancel: 3, expire: 1, release: 4, reviewReject: 4, return: 2, resubmit: 1, recover: 1, recoverLate: 1 },
  plain: { accept: 4, reject: 2, cancel: 3, expire: 2, release: 0, reviewReject: 0, return: 5, resubmit: 2, recover: 1, recoverLate: 2 },
};

/** `rare` one time in `n`, `common` otherwise. */
const oneIn = <T>(n: number, rare: T, common: T) => fc.oneof({ arbitrary: fc.constant(rare), weight: 1 }, { arbitrary: fc.constant(common), weight: n - 1 });

const operationArbitrary = (review: boolean) => fc.record({
  operation: fc.oneof(...OPERATIONS.filter((operation) => WEIGHTS[review ? 'review' : 'plain'][operation] > 0)
    .map((operation) => ({ arbitrary: fc.constant(operation), weight: WEIGHTS[review ? 'review' : 'plain'][operation] }))),
  /** 0: the platform's payments service; 1: the second one. */
  service: fc.nat({ max: 1 }),
  delay: fc.nat({ max: 8 }),
});

const paymentArbitrary = fc.boolean().chain((review) => fc.record({
  review: fc.constant(review),
  settlement: oneIn(3, 'on_acceptance' as const, 'immediate' as const),
  crossBorder: fc.boolean(),
  /** Submitted as one of the racing operations, rather than before them. */
  late: oneIn(4, true, false),
  /** Which service submits it when late (on SQLite always the platform's). */
  lateService: fc.nat({ max: 1 }),
  /** The creditor holds this much besides the payment, which a second return could take. */
  creditorFunds: fc.constantFrom(0n, 2_000_000n),
  /** What happens to it, all at once with what happens to the others. */
  operations: fc.array(operationArbitrary(review), { minLength: 1, maxLength: 4 }),
}));

/**
 * What the second service waits for at each FX read or ledger call, in turn: a few turns of the
 * event loop, or a few milliseconds (long enough for the other service to commit a step or two).
 */
const pauseArbitrary = fc.oneof(fc.record({ turns: fc.nat({ max: 6 }) }), fc.record({ ms: fc.integer({ min: 1, max: 12 }) }));

const scenarioArbitrary = fc.record({
  payments: fc.array(paymentArbitrary, { minLength: 1, maxLength: 3 }),
  /** How far the clock moves before the race: the acceptance windows still open, or closed. */
  advanceMs: oneIn(3, (WINDOW_SECONDS + 1) * 1000, 0),
  pauses: fc.array(pauseArbitrary, { minLength: 1, maxLength: 8 }),
});

type Answer = { readonly ok: boolean; readonly status?: string; readonly error?: string; readonly replayed?: boolean };

interface Case {
  readonly order: PaymentOrder;
  readonly from: string;
  readonly to: string;
  readonly funds: bigint;
  readonly creditorFunds: bigint;
  readonly review: boolean;
  readonly late: boolean;
  readonly lateService: number;
  readonly answers: { operation: Operation | 'submit'; answer: Answer }[];
}

describeEachDialect('payment lifecycle under interleavings', ({ dialect, open }) => {
  let harness: Harness;
  let banks: [string, string];
  let second: PaymentsService;
  let pause: Pause = () => Promise.resolve();
  beforeAll(async () => {
    const rules = scriptedRules();
    const payments = byAmount(REVIEW_AT, DECLINE_AT);
    rules.script = (variables) => (variables.event.channel === 'payments' ? payments(variables) : 'approve');
    harness = await openHarness(open, { rules });
    banks = [await harness.bank({ feeFixed: 100n }), await harness.bank({ feeBps: 12 })];
    second = secondService(harness, () => pause);
  });
  afterAll(async () => {
    await second?.stop();
    await harness?.close();
  });

  const uetrOf = (order: PaymentOrder) => order.uetr!;

  async function perform(operation: Operation, target: Case, service: PaymentsService): Promise<Answer> {
    const { platform } = harness;
    const uetr = uetrOf(target.order);
    const result = (answer: { ok: true; value: PaymentRecord } | { ok: false; error: string }): Answer =>
      answer.ok ? { ok: true, status: answer.value.status } : { ok: false, error: answer.error };
    switch (operation) {
      case 'accept':
        return result(await service.accept(uetr, 'creditor-agent-key'));
      case 'reject':
        return result(await service.reject(uetr, 'AC04', undefined, 'creditor-agent-key'));
      case 'cancel':
        return result(await service.cancel(uetr, 'CUST', 'debtor-key'));
      case 'expire':
        return { ok: true, status: String(await service.expireDue()) };
      case 'release': {
        const released = await platform.risk.holds.release(uetr, 'analyst-release');
        return released.ok ? { ok: true, status: released.value.status } : { ok: false, error: released.error };
      }
      case 'reviewReject': {
        const rejected = await platform.risk.holds.reject(uetr, 'analyst-reject');
        return rejected.ok ? { ok: true, status: rejected.value.status } : { ok: false, error: rejected.error };
      }
      case 'return':
        return result(await service.returnPayment(uetr, 'AC04', 'returning-key'));
      case 'resubmit': {
        const outcome = await service.submit(target.order);
        return outcome.ok ? { ok: true, status: outcome.payment.status, replayed: outcome.replayed } : { ok: false, error: outcome.error, replayed: outcome.replayed };
      }
      case 'recover':
        return { ok: true, status: String(await service.recover()) };
      case 'recoverLate':
        harness.clock.advance(PAYMENT_LIMITS.recoveryGraceMs + 1_000);
        return { ok: true, status: String(await service.recover()) };
    }
  }

  /** Where each customer's balance must stand given how its payment ended. */
  async function expectBalances(item: Case, payment: PaymentRecord | undefined): Promise<void> {
    let [debtor, creditor] = [item.funds, item.creditorFunds];
    if (payment && (payment.status === 'ACCC' || payment.status === 'RTND')) {
      debtor -= payment.plan!.debited;
      creditor += payment.plan!.credited;
    }
    if (payment?.status === 'RTND') {
      debtor += payment.returned!.creditedToDebtor;
      creditor -= payment.returned!.debitedFromCreditor;
    }
    expect(await harness.balance(item.from), `debtor of ${item.order.id}`).toBe(debtor);
    expect(await harness.balance(item.to), `creditor of ${item.order.id}`).toBe(creditor);
  }

  /** Every action's answer agrees with where its payment ended. */
  function expectAnswersAgree(item: Case, payment: PaymentRecord | undefined, windowClosed: boolean): void {
    const label = `${item.order.id} ${payment?.status} ${JSON.stringify(item.answers)}`;
    let returns = 0;
    for (const { operation, answer } of item.answers) {
      if (operation === 'accept' && answer.ok) expect(['ACCC', 'RTND'], label).toContain(payment?.status);
      // Its window closed before anything raced: no one may accept it any more, sweep or not.
      if (operation === 'accept' && windowClosed && !item.late && item.order.settlement === 'on_acceptance') expect(answer.ok, label).toBe(false);
      if (operation === 'cancel' && answer.ok) expect(payment?.status, label).toBe('CANC');
      if (operation === 'reject' && answer.ok) expect(payment?.reasonCode, label).toBe('AC04');
      if (operation === 'reviewReject' && answer.ok) expect(payment, label).toMatchObject({ status: 'RJCT', reasonCode: 'FRAD' });
      if (operation === 'release' && answer.ok && item.order.settlement === 'immediate') expect(['ACCC', 'RTND'], label).toContain(payment?.status);
      if (operation === 'return' && answer.ok) returns += 1;
    }
    expect(returns, label).toBe(payment?.status === 'RTND' ? 1 : 0);
    // Only the first submission of an id may book; every other one answers from it.
    const fresh = item.answers.filter(({ operation, answer }) => (operation === 'submit' || operation === 'resubmit') && answer.replayed === false);
    expect(fresh.length, label).toBeLessThanOrEqual(1);
  }

  async function expectAll(cases: readonly Case[], heldBefore: number, windowClosed: boolean): Promise<void> {
    const { platform } = harness;
    await expectLedgersBalance(platform);
    await expectLimitsHold(platform);
    let reserved = 0;
    for (const item of cases) {
      const stored = await platform.payments.getById(item.order.id);
      if (stored) {
        const payment = await expectConsistent(platform, item.order.id);
        // Legs the ledger has expired by their timeout hold nothing any more.
        if (payment.ledgerState === 'reserved') reserved += (await legStates(platform, payment)).filter((state) => state === 'pending').length;
        const hold = item.review ? await platform.risk.holds.get(payment.uetr) : undefined;
        // Nothing half resolved: a hold still waiting guards a payment still reserved.
        if (hold) expect(['releasing', 'rejecting'], `hold of ${payment.uetr}`).not.toContain(hold.status);
        if (hold?.status === 'held') expect(payment.ledgerState, `hold of ${payment.uetr}`).toBe('reserved');
      }
      await expectBalances(item, stored);
      expectAnswersAgree(item, stored, windowClosed);
    }
    // Nothing else is held anywhere: the holds there are are exactly the legs of payments still reserved.
    expect(await pendingHolds(platform)).toBe(heldBefore + reserved);
  }

  it('ends every payment in one state its legs, events and answers agree on, whatever the order', async () => {
    const { platform } = harness;
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        // Zero unless an earlier run failed (fast-check then shrinks it on the same database).
        const heldBefore = await pendingHolds(platform);
        let turn = 0;
        pause = async () => {
          const drawn = scenario.pauses[turn++ % scenario.pauses.length]!;
          await ('ms' in drawn ? new Promise((resolve) => setTimeout(resolve, drawn.ms)) : ticks(drawn.turns));
        };
        const cases: Case[] = [];
        for (const drawn of scenario.payments) {
          const bank = banks[cases.length % 2]!;
          const other = banks[(cases.length + 1) % 2]!;
          const funds = 5_000_000n;
          const from = await harness.customer(bank, 'CNY', funds);
          const to = await harness.customer(other, drawn.crossBorder ? 'USD' : 'CNY', drawn.creditorFunds);
          const amount = drawn.review ? REVIEW_AT + 50_000n : 120_000n;
          const order = harness.order(from, to, amount, 'CNY', {
            uetr: uuid(), settlement: drawn.settlement, acceptanceTimeoutSeconds: WINDOW_SECONDS,
          });
          cases.push({ order, from, to, funds, creditorFunds: drawn.creditorFunds, review: drawn.review, late: drawn.late, lateService: drawn.lateService, answers: [] });
        }
        const early = cases.filter((item) => !item.late);
        const submitted = await Promise.all(early.map((item) => platform.payments.submit(item.order)));
        submitted.forEach((outcome, index) => early[index]!.answers.push({ operation: 'submit', answer: { ok: outcome.ok, replayed: outcome.replayed } }));
        harness.clock.advance(scenario.advanceMs);

        // On SQLite one process works on the file: whatever submits there goes through the
        // platform's service, whose recovery leaves its own sagas alone. On PostgreSQL the second
        // service is another process and may do anything.
        const serviceFor = (index: number, operation: Operation): PaymentsService =>
          index === 1 && !(dialect === 'sqlite' && (operation === 'resubmit' || operation === 'recover' || operation === 'recoverLate')) ? second : platform.payments;
        const racing = [
          ...cases.filter((item) => item.late).map(async (item) => {
            const outcome = await (item.lateService === 1 && dialect === 'postgres' ? second : platform.payments).submit(item.order);
            item.answers.push({ operation: 'submit', answer: { ok: outcome.ok, replayed: outcome.replayed } });
          }),
          ...scenario.payments.flatMap((drawn, index) => drawn.operations.map(async ({ operation, service, delay }) => {
            const item = cases[index]!;
            await ticks(delay);
            const answer = await perform(operation, item, serviceFor(service, operation));
            item.answers.push({ operation, answer });
            const key = `${operation}:${answer.ok ? 'ok' : answer.error}`;
            seen.set(key, (seen.get(key) ?? 0) + 1);
          })),
        ];
        await Promise.all(racing);
        await expectAll(cases, heldBefore, scenario.advanceMs >= WINDOW_SECONDS * 1000);

        // Then every hold is ended, by its window or its review, and every payment is final.
        harness.clock.advance((WINDOW_SECONDS + 1) * 1000);
        pause = () => Promise.resolve();
        await platform.payments.expireDue();
        for (const item of cases) {
          const payment = await platform.payments.getById(item.order.id);
          if (payment?.ledgerState === 'reserved') await platform.risk.holds.reject(payment.uetr, 'analyst-drain');
        }
        for (const item of cases) {
          const payment = await platform.payments.getById(item.order.id);
          expect(['ACCC', 'RJCT', 'CANC', 'RTND'], `${item.order.id} at the end`).toContain(payment?.status);
        }
        await expectAll(cases, heldBefore, scenario.advanceMs >= WINDOW_SECONDS * 1000);
      }),
      { numRuns: dialect === 'sqlite' ? 55 : 35 },
    );
    // The runs must have reached the races they are about, or they proved nothing.
    for (const outcome of ['accept:ok', 'cancel:ok', 'return:ok', 'release:ok', 'reviewReject:ok']) {
      expect(seen.get(outcome) ?? 0, `${outcome} in ${JSON.stringify([...seen])}`).toBeGreaterThan(0);
    }
    expect((await platform.verify()).problems).toEqual([]);
  });
});
