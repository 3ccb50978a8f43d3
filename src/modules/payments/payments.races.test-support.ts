/**
 * Set-up of the race tests: a second payments service on the harness's database and ledger, standing
 * for another process (on PostgreSQL) or for a slow request of the same one, whose reads of the FX
 * desk and whose ledger calls wait as long as the test says before they go on. That lets a test put
 * one service's step between two steps of the other, which plain concurrency rarely does.
 */
import { expect } from 'vitest';
import { createPaymentGate } from '../../flows/risk-payments.ts';
import type { Platform } from '../../platform.ts';
import { createPaymentsService, type PaymentsService } from './payments.service.ts';
import { canTransition, type PaymentRecord, type PaymentStatus } from './payments.ts';
import type { Harness } from './payments.test-support.ts';

/** Decides, at each dependency call of the second service, what to wait for first. */
export type Pause = (where: PausePoint) => Promise<void>;
/** Before an FX read, before a ledger call, or once a ledger call has answered. */
export type PausePoint = 'fx' | 'ledger' | 'ledger-after';

export const noPause: Pause = () => Promise.resolve();

/** Resolves after `ticks` turns of the event loop (setImmediate), so other work gets that far. */
export async function ticks(count: number): Promise<void> {
  for (let turn = 0; turn < count; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * A payments service like the platform's, on its database, ledger, FX desk and risk control (its own
 * payment gate over the platform's risk service, as another process would have), whose FX reads and
 * ledger calls first await `pause`.
 */
export function secondService(harness: Harness, pause: () => Pause): PaymentsService {
  const { platform } = harness;
  const wait = (where: PausePoint) => pause()(where);
  const fx = Object.assign(Object.create(platform.fx) as typeof platform.fx, {
    currency: async (code: string) => (await wait('fx'), platform.fx.currency(code)),
    price: async (sell: string, buy: string) => (await wait('fx'), platform.fx.price(sell, buy)),
  });
  const ledger = platform.ledger;
  return createPaymentsService({
    db: platform.db,
    keySecret: 'payments-races-test-key-secret',
    clock: harness.clock,
    parties: platform.parties,
    report: () => {},
    fx,
    gate: createPaymentGate({ risk: platform.risk, directory: platform.transferGate.directory, clock: harness.clock }),
    ledger: {
      getTransfer: (id) => ledger.getTransfer(id),
      pendingStatus: (id) => ledger.pendingStatus(id),
      listTransfers: (filter) => ledger.listTransfers(filter),
      balancesAt: (id, at) => ledger.balancesAt(id, at),
      lookupTransfers: (ids) => ledger.lookupTransfers(ids),
      createAccounts: (requests) => ledger.createAccounts(requests),
      async createTransfers(requests) {
        await wait('ledger');
        const results = await ledger.createTransfers(requests);
        await wait('ledger-after');
        return results;
      },
      async createTransfersCommitted(requests, by) {
        await wait('ledger');
        const booked = await ledger.createTransfersCommitted(requests, by);
        await wait('ledger-after');
        return booked;
      },
    },
  });
}

const FINAL: ReadonlySet<PaymentStatus> = new Set(['ACCC', 'RJCT', 'CANC', 'RTND']);

/** Pending-transfer states of a payment's own legs, as the ledger keeps them ('none' when never booked). */
export async function legStates(platform: Platform, payment: PaymentRecord): Promise<string[]> {
  const states: string[] = [];
  for (const leg of payment.plan?.legs ?? []) states.push((await platform.ledger.pendingStatus(leg.transferId))?.status ?? 'none');
  return states;
}

/**
 * The payment as stored agrees with the ledger and with its events: settled means every leg posted,
 * closed means none posted and none still held, held means every leg still reserved; a return is
 * booked whole exactly when the payment says RTND; its events are each once, in order, each a
 * transition the status machine allows, ending in its status, and the events table (the webhooks'
 * outbox) holds exactly those. Answers the stored payment.
 */
export async function expectConsistent(platform: Platform, paymentId: string): Promise<PaymentRecord> {
  const payment = (await platform.payments.getById(paymentId))!;
  const label = `${payment.uetr} ${payment.status}/${payment.ledgerState}`;
  expect(['reserved', 'done'], label).toContain(payment.ledgerState);
  const states = await legStates(platform, payment);
  if (payment.status === 'ACCC' || payment.status === 'RTND') expect(states.every((state) => state === 'posted'), `${label} ${states}`).toBe(true);
  else if (FINAL.has(payment.status)) expect(states.every((state) => state === 'none' || state === 'voided' || state === 'expired'), `${label} ${states}`).toBe(true);
  // Held: every leg reserved, or every one expired by the ledger's own timeout (the window's sweep records it).
  else expect(payment.ledgerState === 'reserved' && (states.every((state) => state === 'pending') || states.every((state) => state === 'expired')), `${label} ${states}`).toBe(true);
  const returnLegs = payment.returned?.legs ?? [];
  const booked = await platform.ledger.lookupTransfers(returnLegs.map((leg) => leg.transferId));
  expect(booked.length, `${label} return legs booked`).toBe(payment.status === 'RTND' ? returnLegs.length : 0);
  if (payment.status === 'RTND') expect(returnLegs.length).toBeGreaterThan(0);
  // No transfer names this payment beyond its own legs and its (one) return.
  const named = await platform.db.all<{ id: string }>('SELECT id FROM ledger_transfers WHERE metadata LIKE ?', [`%${payment.uetr}%`]);
  const known = new Set([...(payment.plan?.legs ?? []), ...returnLegs].map((leg) => leg.transferId));
  expect(named.map((row) => row.id).filter((id) => !known.has(id)), `${label} transfers of no leg`).toEqual([]);

  let previous: PaymentStatus | null = null;
  for (const [index, event] of payment.events.entries()) {
    expect(canTransition(previous, event.status), `${label} ${previous} → ${event.status}`).toBe(true);
    if (index > 0) {
      expect(event.seq > payment.events[index - 1]!.seq, `${label} seq`).toBe(true);
      expect(event.at >= payment.events[index - 1]!.at, `${label} at`).toBe(true);
    }
    previous = event.status;
  }
  expect(previous, label).toBe(payment.status);
  const table = await platform.db.all<{ seq: bigint; status: string }>('SELECT seq, status FROM payment_events WHERE payment_id = ? ORDER BY seq', [paymentId]);
  expect(table.map((row) => [BigInt(row.seq), row.status]), `${label} events table`).toEqual(payment.events.map((event) => [event.seq, event.status]));
  return payment;
}

/** No account holds more pending and posted debits than it may. */
export async function expectLimitsHold(platform: Platform): Promise<void> {
  // Flag 1: debits must not exceed credits; flag 2: credits must not exceed debits.
  const broken = await platform.db.all(
    `SELECT id FROM ledger_accounts
     WHERE ((flags & 1) <> 0 AND debits_pending + debits_posted > credits_posted)
        OR ((flags & 2) <> 0 AND credits_pending + credits_posted > debits_posted)`,
  );
  expect(broken).toEqual([]);
}
