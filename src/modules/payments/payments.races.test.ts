import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { byAmount, scriptedRules } from '../risk/risk.test-support.ts';
import type { PaymentsService } from './payments.service.ts';
import { PAYMENT_LIMITS } from './payments.limits.ts';
import { canTransition } from './payments.ts';
import { expectConsistent, expectLimitsHold, noPause, secondService, type Pause, type PausePoint } from './payments.races.test-support.ts';
import { expectLedgersBalance, openHarness, pendingHolds, type Harness } from './payments.test-support.ts';

/**
 * Named races of the payment lifecycle, each of which once ended a payment wrongly, kept here as
 * deterministic cases beside the interleaving properties that also reach them
 * (payments.interleavings.test.ts, payments.processes.test.ts): a second service on the same
 * database stands for another process, or a slow request of this one, and is stopped at one step
 * while the other service acts.
 */
describeEachDialect('payment lifecycle races', ({ dialect, open }) => {
  let harness: Harness;
  let bankA: string;
  let bankB: string;
  let second: PaymentsService;
  let pause: Pause = noPause;
  beforeAll(async () => {
    // Payments of 3,000.00 or more are held for review.
    const rules = scriptedRules();
    const payments = byAmount(300_000n, 40_000_000n);
    rules.script = (variables) => (variables.event.channel === 'payments' ? payments(variables) : 'approve');
    harness = await openHarness(open, { rules });
    [bankA, bankB] = [await harness.bank({ feeFixed: 100n }), await harness.bank({ feeBps: 10 })];
    second = secondService(harness, () => pause);
  });
  afterAll(async () => {
    await second?.stop();
    await harness?.close();
  });

  /** A pause that holds the first `where` call until released, and lets every other call through. */
  function latch(where: PausePoint): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reach!: () => void;
    const reached = new Promise<void>((resolve) => (reach = resolve));
    const released = new Promise<void>((resolve) => (release = resolve));
    let used = false;
    pause = (at) => {
      if (at !== where || used) return Promise.resolve();
      used = true;
      reach();
      return released;
    };
    return { reached, release };
  }

  it('returns a payment once when a second return read it before the first was booked and decides after', async () => {
    for (const crossBorder of [false, true]) {
      const { platform } = harness;
      const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, crossBorder ? 'USD' : 'CNY')];
      const paid = await harness.pay(from, to, 200_000n, 'CNY');
      if (!paid.ok) throw new Error(paid.error);
      // The creditor has more than the payment brought, so a second return would find the funds.
      await harness.fund(to, crossBorder ? 'USD' : 'CNY', 10_000_000n);
      const [debtorBefore, creditorBefore] = [await harness.balance(from), await harness.balance(to)];

      const slow = latch('fx');
      const late = second.returnPayment(paid.payment.uetr, 'AC04');
      await slow.reached;
      const first = await platform.payments.returnPayment(paid.payment.uetr, 'CUST');
      expect(first).toMatchObject({ ok: true, value: { status: 'RTND', reasonCode: 'CUST' } });
      slow.release();
      expect(await late).toEqual({ ok: false, error: 'payment_already_returned' });
      pause = noPause;

      const stored = await expectConsistent(platform, paid.payment.id);
      expect(stored).toMatchObject({ status: 'RTND', reasonCode: 'CUST' });
      expect(stored.events.map((event) => event.status)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC', 'RTND']);
      expect(await harness.balance(to)).toBe(creditorBefore - stored.plan!.credited);
      expect(await harness.balance(from)).toBe(debtorBefore + stored.returned!.creditedToDebtor);
    }
    await expectLedgersBalance(harness.platform);
    await expectLimitsHold(harness.platform);
    expect(await pendingHolds(harness.platform)).toBe(0);
  });

  it('keeps a returned payment returned when a late second return is refused by the ledger', async () => {
    const { platform } = harness;
    const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'CNY')];
    const paid = await harness.pay(from, to, 250_000n, 'CNY');
    if (!paid.ok) throw new Error(paid.error);
    const slow = latch('fx');
    const late = second.returnPayment(paid.payment.uetr, 'AC04');
    await slow.reached;
    expect(await platform.payments.returnPayment(paid.payment.uetr, 'CUST')).toMatchObject({ ok: true, value: { status: 'RTND' } });
    slow.release();
    // The creditor has nothing left to send back a second time.
    expect((await late).ok).toBe(false);
    pause = noPause;
    const stored = await expectConsistent(platform, paid.payment.id);
    expect(stored).toMatchObject({ status: 'RTND', reasonCode: 'CUST' });
    expect(await harness.balance(to)).toBe(0n);
    expect(await platform.payments.returnPayment(paid.payment.uetr, 'CUST')).toEqual({ ok: false, error: 'payment_already_returned' });
  });

  it('records the cancellation of an immediate payment under review as a move the status machine allows', async () => {
    const { platform } = harness;
    const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'CNY')];
    const held = await harness.pay(from, to, 350_000n, 'CNY');
    expect(held).toMatchObject({ ok: true, payment: { status: 'ACTC', ledgerState: 'reserved' } });
    // Never instructed (ACSP comes with the release), so it goes from ACTC to CANC.
    expect(await platform.payments.cancel(held.payment!.uetr, 'CUST')).toMatchObject({ ok: true, value: { status: 'CANC' } });
    const stored = await expectConsistent(platform, held.payment!.id);
    expect(stored.events.map((event) => event.status)).toEqual(['RCVD', 'ACTC', 'CANC']);
    expect(canTransition('ACTC', 'CANC')).toBe(true);
    expect(await harness.balance(from)).toBe(1_000_000n);
  });

  // Recovery leaves a saga of another process alone for PAYMENT_LIMITS.recoveryGraceMs; one that is
  // slower than that (its ledger call queued behind a long batch, say) meets recovery of the other.
  it.runIf(dialect === 'postgres')('settles or refuses an immediate payment whole when another process recovers it while its legs are on their way', async () => {
    const { platform } = harness;
    for (const crossBorder of [false, true]) {
      const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, crossBorder ? 'USD' : 'CNY')];
      const order = harness.order(from, to, 100_000n, 'CNY');
      const slow = latch('ledger');
      const submitted = second.submit(order);
      await slow.reached;
      harness.clock.advance(PAYMENT_LIMITS.recoveryGraceMs + 1_000);
      await platform.payments.recover();
      slow.release();
      const outcome = await submitted;
      pause = noPause;
      const stored = await expectConsistent(platform, order.id);
      expect(outcome.payment?.status).toBe(stored.status);
      const moved = stored.status === 'ACCC';
      expect(await harness.balance(from)).toBe(moved ? 1_000_000n - stored.plan!.debited : 1_000_000n);
      expect(await harness.balance(to)).toBe(moved ? stored.plan!.credited : 0n);
    }
    await expectLedgersBalance(platform);
    expect(await pendingHolds(platform)).toBe(0);
  });

  it.runIf(dialect === 'postgres')('refuses a held payment whole when another process recovers it between its reservation and its record', async () => {
    const { platform } = harness;
    // A third process, whose recovery stops once it has released the legs.
    let recoveryPause: Pause = noPause;
    const third = secondService(harness, () => recoveryPause);
    for (const extra of [{ settlement: 'on_acceptance' as const }, { amount: 350_000n }]) {
      const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'CNY')];
      const order = harness.order(from, to, extra.amount ?? 100_000n, 'CNY', extra.settlement ? { settlement: extra.settlement } : {});
      // Reserved in the ledger, not yet recorded as reserved.
      const slow = latch('ledger-after');
      const submitted = second.submit(order);
      await slow.reached;
      harness.clock.advance(PAYMENT_LIMITS.recoveryGraceMs + 1_000);
      // Recovery finds the legs pending and releases them; before it records the refusal, the saga
      // records its reservation.
      let releaseRecovery!: () => void;
      const recoveryReleased = new Promise<void>((resolve) => (releaseRecovery = resolve));
      let voided!: () => void;
      const legsVoided = new Promise<void>((resolve) => (voided = resolve));
      recoveryPause = (at) => (at === 'ledger-after' ? (voided(), recoveryReleased) : Promise.resolve());
      const recovering = third.recover();
      await legsVoided;
      slow.release();
      await submitted;
      releaseRecovery();
      await recovering;
      pause = noPause;
      recoveryPause = noPause;
      const stored = await expectConsistent(platform, order.id);
      expect(stored).toMatchObject({ status: 'RJCT', ledgerState: 'done' });
      expect(await harness.balance(from)).toBe(1_000_000n);
      // A review it was held for closes with it.
      const hold = await platform.risk.holds.get(stored.uetr);
      if (extra.amount) expect(hold).toMatchObject({ status: 'closed', resolvedBy: 'payments:settlement_failed' });
    }
    await third.stop();
    await expectLedgersBalance(platform);
    expect(await pendingHolds(platform)).toBe(0);
  });

  it('closes the review of a payment recovery refuses, in the commit that refuses it', async () => {
    const { platform } = harness;
    const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'CNY')];
    const held = await harness.pay(from, to, 360_000n, 'CNY');
    expect(held).toMatchObject({ ok: true, payment: { status: 'ACTC', ledgerState: 'reserved' } });
    // The state a crash leaves between the reservation and its record.
    await platform.db.run("UPDATE payments SET ledger_state = 'reserving', updated_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", [held.payment!.id]);
    await platform.payments.recover();
    expect(await expectConsistent(platform, held.payment!.id)).toMatchObject({ status: 'RJCT', error: 'settlement_failed' });
    expect(await platform.risk.holds.get(held.payment!.uetr)).toMatchObject({ status: 'closed', resolvedBy: 'payments:settlement_failed' });
    expect(await platform.risk.holds.release(held.payment!.uetr, 'analyst')).toEqual({ ok: false, error: 'hold_resolved_elsewhere' });
    expect(await harness.balance(from)).toBe(1_000_000n);
  });

  it('refuses to accept a held payment once its window has closed, sweep or not, and closes it as timed out', async () => {
    const { platform } = harness;
    const [from, to] = [await harness.customer(bankA, 'CNY', 1_000_000n), await harness.customer(bankB, 'USD')];
    const held = await harness.pay(from, to, 100_000n, 'CNY', { settlement: 'on_acceptance', acceptanceTimeoutSeconds: 30 });
    expect(held).toMatchObject({ ok: true, payment: { status: 'ACSP', ledgerState: 'reserved' } });
    // Within the ledger's grace behind the window, so the legs could still be posted.
    harness.clock.advance(31_000);
    expect(await platform.payments.accept(held.payment!.uetr)).toEqual({ ok: false, error: 'payment_not_awaiting_acceptance' });
    expect(await expectConsistent(platform, held.payment!.id)).toMatchObject({ status: 'RJCT', reasonCode: 'AB05' });
    expect(await second.cancel(held.payment!.uetr, 'CUST')).toEqual({ ok: false, error: 'payment_not_cancellable' });
    expect(await harness.balance(from)).toBe(1_000_000n);
    expect(await harness.balance(to)).toBe(0n);
  });
});
