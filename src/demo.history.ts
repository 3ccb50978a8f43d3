import { seededRandom } from './kernel/index.ts';
import { demoCustomers, isMerchant, isMule, type DemoCustomer } from './demo.people.ts';
import type { TransferRequest } from './modules/ledger/index.ts';
import type { Platform } from './platform.ts';

/**
 * A few thousand historical payments among the demo customers, spread over the last thirty days:
 * everyday payments to merchants, transfers between people, and the planted mule ring's deposits and
 * round trip. Deterministic (a fixed seed), so loading the demo twice produces the same history.
 */
export interface HistoricalPayment {
  readonly name: string;
  readonly from: DemoCustomer;
  readonly to: DemoCustomer;
  readonly amountMinor: bigint;
  /** How long before the load the payment happened. */
  readonly agoMs: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** Everyday payments per ordinary customer, on average. */
const PAYMENTS_PER_CUSTOMER = 52;
const HISTORY_DAYS = 30;
/** Share of everyday payments that go to merchants; the rest go to a customer's contacts. */
const MERCHANT_SHARE = 0.85;
const CONTACTS_PER_CUSTOMER = 2;
/** Victims who pay the ring's collector, and how many deposits each makes. */
const RING_VICTIMS = 14;
const DEPOSITS_PER_VICTIM = 2;
/** Each mule passes on all but this share of what reached it (basis points). */
const MULE_CUT_BPS = 200n;


/** Everyday amounts: mostly small, a long tail of larger ones, in minor units. */
function everydayAmount(next: () => number, merchant: boolean): bigint {
  const base = merchant ? 2_000 : 10_000;
  const scale = Math.exp(next() * 4.2);
  return BigInt(Math.round(base * scale));
}

export function demoHistory(seed = 20_261_127): HistoricalPayment[] {
  const next = seededRandom(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const customers = demoCustomers();
  const ordinary = customers.filter((customer) => !isMerchant(customer) && !isMule(customer) && customer.kind === 'individual');
  const payments: HistoricalPayment[] = [];

  for (const payer of ordinary) {
    const merchants = customers.filter((customer) => isMerchant(customer) && customer.ledger === payer.ledger);
    // People pay a few relatives and friends, not everyone they could: two fixed contacts each.
    const peers = ordinary.filter((customer) => customer.ledger === payer.ledger && customer.id !== payer.id);
    const contacts = peers.length <= CONTACTS_PER_CUSTOMER ? peers : [pick(peers), pick(peers)];
    const count = Math.round(PAYMENTS_PER_CUSTOMER * (0.6 + next() * 0.8));
    for (let index = 0; index < count; index++) {
      const toMerchant = next() < MERCHANT_SHARE || contacts.length === 0;
      const to = toMerchant ? pick(merchants) : pick(contacts);
      payments.push({ name: `${payer.id}:${index}`, from: payer, to, amountMinor: everydayAmount(next, toMerchant), agoMs: Math.floor(next() * HISTORY_DAYS * DAY_MS) });
    }
  }
  payments.push(...muleRingHistory(customers, ordinary, next));
  // Oldest first, so every payer has been paid before it pays on.
  return payments.sort((left, right) => right.agoMs - left.agoMs);
}

function muleRingHistory(customers: DemoCustomer[], ordinary: DemoCustomer[], next: () => number): HistoricalPayment[] {
  const ring = customers.filter(isMule);
  const victims = ordinary.filter((customer) => customer.ledger === 1).slice(0, RING_VICTIMS);
  const payments: HistoricalPayment[] = [];
  // Three rounds over the last week: deposits pour into the collector, then the money goes round.
  for (let round = 0; round < 3; round++) {
    const startAgo = (7 - round * 2) * DAY_MS;
    let collected = 0n;
    victims.forEach((victim, index) => {
      for (let deposit = 0; deposit < DEPOSITS_PER_VICTIM; deposit++) {
        const amountMinor = BigInt(480_000 + Math.floor(next() * 500_000));
        collected += amountMinor;
        payments.push({ name: `ring:${round}:deposit:${index}:${deposit}`, from: victim, to: ring[0]!, amountMinor, agoMs: startAgo - Math.floor(next() * 6 * HOUR_MS) });
      }
    });
    let carried = collected;
    for (let hop = 0; hop < ring.length; hop++) {
      carried -= (carried * MULE_CUT_BPS) / 10_000n;
      const from = ring[hop]!;
      const to = ring[(hop + 1) % ring.length]!;
      payments.push({ name: `ring:${round}:hop:${hop}`, from, to, amountMinor: carried, agoMs: startAgo - 7 * HOUR_MS - hop * (HOUR_MS / 2) });
    }
  }
  return payments;
}

/** The bank that holds each home currency's customers in the demo (registered by the payments demo). */
const HOME_BANK: Readonly<Record<number, { readonly bic: string; readonly currency: string }>> = {
  1: { bic: 'HXCBCNSH', currency: 'CNY' },
  2: { bic: 'HCBKHKHH', currency: 'HKD' },
  3: { bic: 'MBBKSGSG', currency: 'SGD' },
  4: { bic: 'CPBKTHBK', currency: 'THB' },
  5: { bic: 'GFBKAEAD', currency: 'AED' },
};
/** What each demo customer starts with, in minor units; mules hold enough to pass money on in any order. */
const OPENING_BALANCE = { individual: 20_000_000n, enterprise: 0n, mule: 60_000_000n } as const;
/**
 * Payments submitted at once while loading. Each group is booked at the time its first payment
 * happened, so the fewer at once, the truer the times the ledger, features and graph see.
 */
const LOAD_CONCURRENCY = 16;
/** How long before the load the demo's accounts were opened: just before the oldest history. */
export const DEMO_HISTORY_SPAN_MS = (HISTORY_DAYS + 1) * DAY_MS;

export interface DemoHistoryOptions {
  /** The settlement account of a ledger, which funds opening balances. */
  readonly fundingAccountOf: (ledger: number) => string;
  /** Derives a stable id from a name, so loading twice books nothing twice. */
  readonly id: (name: string) => string;
}

/**
 * Registers the demo customers, opens their accounts at their home banks, gives them opening
 * balances and submits their history as domestic payments. Returns how many payments were booked.
 */
export async function loadDemoHistory(platform: Platform, options: DemoHistoryOptions): Promise<{ customers: number; payments: number }> {
  const customers = demoCustomers();
  const accountOf = new Map<string, string>();
  const funding: TransferRequest[] = [];
  for (const customer of customers) {
    const party = await platform.parties.create({ id: customer.id, name: customer.name, kind: customer.kind, jurisdiction: customer.jurisdiction, metadata: JSON.stringify({ device: customer.device }) });
    if (!party.ok) throw new Error(`demo party ${customer.id}: ${party.error}`);
    const bank = HOME_BANK[customer.ledger]!;
    const opened = await platform.payments.directory.openAccount({ id: options.id(`history-account:${customer.id}`), bic: bank.bic, partyId: customer.id, currency: bank.currency });
    if (!opened.ok) throw new Error(`demo account ${customer.id}: ${opened.error}`);
    accountOf.set(customer.id, opened.value.account.accountId);
    const opening = isMule(customer) ? OPENING_BALANCE.mule : OPENING_BALANCE[customer.kind];
    if (opening > 0n) {
      funding.push({ id: options.id(`history-funding:${customer.id}`), debitAccountId: options.fundingAccountOf(customer.ledger), creditAccountId: opened.value.account.accountId, amount: opening, ledger: customer.ledger, code: 2, flags: 0 });
    }
  }
  const funded = await platform.ledger.createTransfers(funding);
  const refused = funded.find((result) => result.result !== 'ok');
  if (refused) throw new Error(`demo funding ${refused.id}: ${refused.result}`);

  const history = demoHistory();
  let booked = 0;
  for (let start = 0; start < history.length; start += LOAD_CONCURRENCY) {
    const chunk = history.slice(start, start + LOAD_CONCURRENCY);
    platform.setClockBehindMs(chunk[0]!.agoMs);
    const outcomes = await Promise.all(chunk.map((payment) => platform.payments.submit({
      id: options.id(`history-payment:${payment.name}`),
      endToEndId: `HIST-${start + chunk.indexOf(payment)}`,
      debtorAccount: accountOf.get(payment.from.id)!,
      creditorAccount: accountOf.get(payment.to.id)!,
      amount: payment.amountMinor,
      currency: HOME_BANK[payment.from.ledger]!.currency,
      chargeBearer: 'SHAR',
      purpose: isMerchant(payment.to) ? 'GDDS' : 'OTHR',
      remittance: [isMerchant(payment.to) ? `Purchase at ${payment.to.name}` : `Transfer to ${payment.to.name}`],
      settlement: 'immediate',
      source: 'api',
    })));
    booked += outcomes.filter((outcome) => outcome.ok).length;
  }
  platform.setClockBehindMs(0);
  return { customers: customers.length, payments: booked };
}
