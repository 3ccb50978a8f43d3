import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import type { Database } from '../../db/index.ts';
import { deskAccountIds } from '../fx/index.ts';
import { TransferFlags, type TransferRequest } from '../ledger/index.ts';
import { issueMessage } from './payments.messages.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { createPaymentsService, type PaymentsService } from './payments.service.ts';
import { balancesOf, expectLedgersBalance, openHarness, pendingHolds, type Harness } from './payments.test-support.ts';

/**
 * Atomicity: a failure injected at each step of a cross-border payment (a dependency that throws
 * there, and keeps throwing, as if the process died at that point) leaves no partial leg booked.
 * Right after the failure the legs are all posted or none; once recovery has run (as at the next
 * start) nothing is held either, and the books show the whole payment or nothing of it. An
 * immediate payment reserves and posts in one ledger call; a held one posts in a second call when
 * the creditor agent accepts it, and that call gets its own failures.
 */
type Step =
  | 'quote' | 'pricing' | 'intent' | 'message' | 'ledger-before' | 'ledger-after' | 'outcome'
  | 'accept-decision' | 'post-before' | 'post-after' | 'accept-outcome';
const IMMEDIATE_STEPS: readonly Step[] = ['quote', 'pricing', 'intent', 'message', 'ledger-before', 'ledger-after', 'outcome'];
const ACCEPTANCE_STEPS: readonly Step[] = ['accept-decision', 'post-before', 'post-after', 'accept-outcome'];
/** Steps after which the whole payment is legitimately settled: the ledger posted every leg before the failure. */
const SETTLED_ANYWAY: ReadonlySet<Step> = new Set(['ledger-after', 'outcome', 'post-after', 'accept-outcome', 'post-before']);

class InjectedFailure extends Error {}
const PAST_RECOVERY_GRACE_MS = PAYMENT_LIMITS.recoveryGraceMs + 1_000;

describeEachDialect('payments are atomic under failures', ({ open }) => {
  let harness: Harness;
  let bankA: string;
  let bankB: string;
  beforeAll(async () => {
    harness = await openHarness(open);
    [bankA, bankB] = [await harness.bank({ feeFixed: 150n }), await harness.bank({ feeBps: 20 })];
  });
  afterAll(async () => harness?.close());

  /** A payments service on the same database and ledger whose dependency fails at `step`. */
  function failingService(step: Step): PaymentsService {
    const { platform } = harness;
    const fail = (where: string) => {
      throw new InjectedFailure(`injected failure at ${where}`);
    };
    let transactions = 0;
    const failIfDue = () => {
      transactions += 1;
      const first = transactions === 1;
      if (((step === 'intent' || step === 'accept-decision') && first) || ((step === 'outcome' || step === 'accept-outcome') && !first)) fail(step);
    };
    // The payments writer commits through pipelinedTransaction where the database has it (SQLite),
    // through transaction elsewhere: both fail at the step.
    const pipelined = platform.db.pipelinedTransaction;
    const db: Database = Object.assign(Object.create(platform.db) as Database, {
      transaction: <T>(work: Parameters<Database['transaction']>[0]) => {
        failIfDue();
        return platform.db.transaction(work) as Promise<T>;
      },
      pipelinedTransaction: pipelined
        ? <T>(work: Parameters<Database['transaction']>[0]) => {
            failIfDue();
            return pipelined(work) as Promise<{ result: T; durable: Promise<void> }>;
          }
        : undefined,
    });
    const isPending = (requests: readonly TransferRequest[]) => requests.some((request) => request.flags & TransferFlags.pending);
    const isPost = (requests: readonly TransferRequest[]) => requests.some((request) => request.flags & TransferFlags.post_pending);
    return createPaymentsService({
      db,
      keySecret: 'payments-atomicity-test-key-secret',
      clock: harness.clock,
      parties: platform.parties,
      report: () => {},
      fx: Object.assign(Object.create(platform.fx) as typeof platform.fx, {
        getQuote: (id: string) => (step === 'quote' ? fail(step) : platform.fx.getQuote(id)),
        price: (sell: string, buy: string) => (step === 'pricing' ? fail(step) : platform.fx.price(sell, buy)),
      }),
      issue: (payment, kind, ...rest) => (step === 'message' && kind === 'pacs.008' ? fail(step) : issueMessage(payment, kind, ...rest)),
      ledger: {
        getTransfer: (id) => platform.ledger.getTransfer(id),
        pendingStatus: (id) => platform.ledger.pendingStatus(id),
        listTransfers: (filter) => platform.ledger.listTransfers(filter),
        balancesAt: (id, at) => platform.ledger.balancesAt(id, at),
        lookupTransfers: (ids) => platform.ledger.lookupTransfers(ids),
        createAccounts: (requests) => platform.ledger.createAccounts(requests),
        async createTransfers(requests) {
          if ((step === 'ledger-before' && isPending(requests)) || (step === 'post-before' && isPost(requests))) fail(step);
          const results = await platform.ledger.createTransfers(requests);
          if ((step === 'ledger-after' && isPending(requests)) || (step === 'post-after' && isPost(requests))) fail(step);
          return results;
        },
        async createTransfersCommitted(requests) {
          if ((step === 'ledger-before' && isPending(requests)) || (step === 'post-before' && isPost(requests))) fail(step);
          const booked = await platform.ledger.createTransfersCommitted(requests);
          if ((step === 'ledger-after' && isPending(requests)) || (step === 'post-after' && isPost(requests))) fail(step);
          return booked;
        },
      },
    });
  }

  async function legStates(paymentId: string): Promise<string[]> {
    const states: string[] = [];
    const legs = (await harness.platform.payments.getById(paymentId))?.plan?.legs ?? [];
    for (const leg of legs) states.push((await harness.platform.ledger.pendingStatus(leg.transferId))?.status ?? 'none');
    return states;
  }

  for (const step of [...IMMEDIATE_STEPS, ...ACCEPTANCE_STEPS]) {
    it(`leaves no partial leg when ${step} fails`, async () => {
      const { platform } = harness;
      const [debtor, creditor] = [await harness.customer(bankA, 'CNY', 5_000_000n), await harness.customer(bankB, 'USD')];
      const watched = [debtor, creditor, deskAccountIds('CNY').position, deskAccountIds('USD').position, deskAccountIds('CNY').rounding];
      for (const [bic, code] of [[bankA, 'CNY'], [bankB, 'USD']] as const) {
        const terms = (await platform.payments.directory.terms(bic, code))!;
        watched.push(terms.settlementAccountId, terms.feeAccountId);
      }
      const before = await balancesOf(platform, watched);
      const quote = await platform.fx.quote({ sellCurrency: 'CNY', buyCurrency: 'USD', sellAmount: 1_234_567n, ttlSeconds: 600 });
      if (!quote.ok) throw new Error(quote.error);
      const held = ACCEPTANCE_STEPS.includes(step);
      // The pricing step is reached only by a payment without a quote.
      const order = harness.order(debtor, creditor, 1_234_567n, 'CNY', {
        ...(step === 'pricing' ? {} : { quoteId: quote.value.id }), ...(held ? { settlement: 'on_acceptance' as const } : {}),
      });
      const failing = failingService(step);
      let outcome: unknown;
      if (held) {
        const submitted = await platform.payments.submit(order);
        expect(submitted).toMatchObject({ ok: true, payment: { status: 'ACSP' } });
        outcome = await failing.accept(submitted.payment!.uetr).catch((error: unknown) => error);
      } else {
        outcome = await failing.submit(order).catch((error: unknown) => error);
      }
      await failing.stop();
      if (outcome instanceof Error && !(outcome instanceof InjectedFailure)) throw outcome;

      // Right after the failure: whatever is posted is all of the chain or none of it.
      const legs = (await platform.payments.getById(order.id))?.plan?.legs.length ?? 0;
      const posted = (await legStates(order.id)).filter((state) => state === 'posted').length;
      expect([0, legs]).toContain(posted);

      // After recovery (what the next start runs): nothing held, and all or nothing moved. On
      // PostgreSQL recovery leaves payments touched in the last minute to the process working on them.
      harness.clock.advance(PAST_RECOVERY_GRACE_MS);
      await platform.payments.recover();
      if (step === 'accept-decision') {
        // The decision was never written: the payment is still held, every leg reserved, and can be accepted.
        expect(await platform.payments.getById(order.id)).toMatchObject({ status: 'ACSP', ledgerState: 'reserved' });
        expect(await pendingHolds(platform)).toBe(legs);
        expect((await platform.payments.accept((await platform.payments.getById(order.id))!.uetr)).ok).toBe(true);
      }
      expect(await pendingHolds(platform)).toBe(0);
      await expectLedgersBalance(platform);
      const recovered = await platform.payments.getById(order.id);
      if (SETTLED_ANYWAY.has(step) || step === 'accept-decision') {
        expect(recovered?.status).toBe('ACCC');
        expect(await legStates(order.id)).toEqual(Array(legs).fill('posted'));
        expect(await harness.balance(creditor)).toBe(recovered!.plan!.credited);
        expect(await harness.balance(debtor)).toBe(5_000_000n - recovered!.plan!.debited);
      } else {
        expect(await balancesOf(platform, watched)).toEqual(before);
        expect(recovered === undefined || recovered.status === 'RJCT').toBe(true);
        if (recovered) expect(recovered.ledgerState).toBe('done');
      }
      // A failed attempt that left no record can be retried with the same id, and then books once.
      if (!recovered) {
        const retried = await platform.payments.submit(order);
        expect(retried).toMatchObject({ ok: true, replayed: false, payment: { status: 'ACCC' } });
        expect(await platform.payments.submit(order)).toMatchObject({ ok: true, replayed: true });
      }
      expect((await platform.verify()).problems).toEqual([]);
    });
  }
});
