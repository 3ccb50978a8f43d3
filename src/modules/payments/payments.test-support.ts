/**
 * Shared set-up of the payments tests: a platform on a fresh database with a manual clock, ledgers
 * in four currencies (JPY has no minor unit, which exercises rounding), participants, the FX desk
 * funded in every currency, and customers opened under unique names so that many tests share one
 * database without seeing each other.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Database } from '../../db/index.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform, type PlatformOptions } from '../../platform.ts';
import { deskAccountIds } from '../fx/index.ts';
import type { Outcome } from './payments.steps.ts';
import type { PaymentOrder } from './payments.ts';

export const START_MS = Date.UTC(2026, 0, 1, 9);
export const CURRENCIES = [
  { code: 'CNY', ledger: 1, scale: 2 },
  { code: 'USD', ledger: 2, scale: 2 },
  { code: 'JPY', ledger: 3, scale: 0 },
  { code: 'HKD', ledger: 4, scale: 2 },
] as const;
export type Code = (typeof CURRENCIES)[number]['code'];
export const RATES = [
  { base: 'USD', quote: 'CNY', mid: '7.1234', spreadBps: 25 },
  { base: 'USD', quote: 'JPY', mid: '151.37', spreadBps: 20 },
  { base: 'CNY', quote: 'JPY', mid: '21.2497', spreadBps: 30 },
  { base: 'USD', quote: 'HKD', mid: '7.8125', spreadBps: 10 },
];

export const uuid = (): string => randomUUID();
const ledgerOf = (code: string) => CURRENCIES.find((currency) => currency.code === code)!.ledger;

export interface Harness {
  readonly platform: Platform;
  readonly clock: ManualClock;
  /** Issuance account per ledger (no limits): where liquidity comes from. */
  readonly source: (code: string) => string;
  fund(accountId: string, code: string, amount: bigint): Promise<void>;
  /** Registers a participant clearing the given currencies, with liquidity in each. */
  bank(options?: { currencies?: readonly string[]; feeFixed?: bigint; feeBps?: number; liquidity?: bigint }): Promise<string>;
  /** Opens a funded customer account at a participant; returns its account id. */
  customer(bic: string, code: string, funds?: bigint): Promise<string>;
  order(from: string, to: string, amount: bigint, currency: string, extra?: Partial<PaymentOrder>): PaymentOrder;
  pay(from: string, to: string, amount: bigint, currency: string, extra?: Partial<PaymentOrder>): Promise<Outcome>;
  /** Posted credits minus posted debits. */
  balance(accountId: string): Promise<bigint>;
  close(): Promise<void>;
}

/** `risk` replaces parts of risk control, as PlatformOptions says (scripted rules, for one). */
export async function openHarness(open: () => Promise<Database>, risk?: PlatformOptions['risk']): Promise<Harness> {
  const db = await open();
  const clock = createManualClock(START_MS);
  const platform = await createPlatform({ db, clock, expiryIntervalMs: 0, ...(risk ? { risk } : {}) });
  const sources = new Map<string, string>();
  for (const currency of CURRENCIES) {
    expect((await platform.ledger.createLedger({ id: currency.ledger, assetCode: currency.code, scale: currency.scale, name: currency.code })).ok).toBe(true);
    const source = uuid();
    expect((await platform.ledger.createAccounts([{ id: source, ledger: currency.ledger, code: 1, flags: 0 }]))[0]?.result).toBe('ok');
    sources.set(currency.code, source);
  }
  expect((await platform.fx.setRates(RATES, 'test')).ok).toBe(true);
  const harness: Harness = {
    platform,
    clock,
    source: (code) => sources.get(code)!,
    async fund(accountId, code, amount) {
      const [result] = await platform.ledger.createTransfers([{ id: uuid(), debitAccountId: sources.get(code)!, creditAccountId: accountId, amount, ledger: ledgerOf(code), code: 1, flags: 0 }]);
      expect(result?.result).toBe('ok');
    },
    async bank(options = {}) {
      const hex = randomBytes(4).toString('hex').toUpperCase();
      const bank = hex.slice(0, 4).replace(/[0-9]/g, (digit) => String.fromCharCode(65 + Number(digit)));
      // Eleven characters, with a random branch code, so that BICs of many tests never collide.
      const bic = `${bank}CNSH${hex.slice(4, 7)}`;
      const partyId = `bank-${bic.toLowerCase()}`;
      expect((await platform.parties.create({ id: partyId, name: `Bank ${bic}`, kind: 'bank', jurisdiction: 'CN', metadata: null })).ok).toBe(true);
      expect((await platform.payments.directory.register({ bic, partyId })).ok).toBe(true);
      for (const code of options.currencies ?? ['CNY', 'USD', 'JPY']) {
        const terms = await platform.payments.directory.enableCurrency(bic, code, { feeFixed: options.feeFixed ?? 0n, feeBps: options.feeBps ?? 0 });
        if (!terms.ok) throw new Error(`currency ${code}: ${terms.error}`);
        await harness.fund(terms.value.settlementAccountId, code, options.liquidity ?? 10n ** 12n);
      }
      return bic;
    },
    async customer(bic, code, funds = 0n) {
      const partyId = `cust-${randomBytes(5).toString('hex')}`;
      expect((await platform.parties.create({ id: partyId, name: `Customer ${partyId}`, kind: 'individual', jurisdiction: 'CN', metadata: null })).ok).toBe(true);
      const opened = await platform.payments.directory.openAccount({ id: uuid(), bic, partyId, currency: code });
      if (!opened.ok) throw new Error(`account: ${opened.error}`);
      if (funds > 0n) await harness.fund(opened.value.account.accountId, code, funds);
      return opened.value.account.accountId;
    },
    order: (from, to, amount, currency, extra = {}) => ({
      id: uuid(), endToEndId: `E2E-${randomBytes(4).toString('hex')}`, debtorAccount: from, creditorAccount: to, amount, currency,
      chargeBearer: 'SHAR', remittance: ['Invoice 42'], purpose: 'SUPP', settlement: 'immediate', source: 'api', ...extra,
    }),
    pay: (from, to, amount, currency, extra) => platform.payments.submit(harness.order(from, to, amount, currency, extra)),
    async balance(accountId) {
      const account = await platform.ledger.getAccount(accountId);
      return account ? account.creditsPosted - account.debitsPosted : 0n;
    },
    close: () => platform.close(),
  };
  // The desk holds liquidity in every currency, so conversions never fail for want of it.
  for (const currency of CURRENCIES) {
    expect((await platform.fx.desk(currency.code)).ok).toBe(true);
    await harness.fund(deskAccountIds(currency.code).position, currency.code, 10n ** 13n);
  }
  return harness;
}

/** Pending transfers still holding funds anywhere in the ledger. */
export async function pendingHolds(platform: Platform): Promise<number> {
  const row = await platform.db.get<{ n: bigint }>("SELECT COUNT(*) AS n FROM ledger_pending WHERE status = 'pending'");
  return Number(row?.n ?? 0n);
}

/** Every ledger balances: posted debits equal posted credits, and pending ones too. */
export async function expectLedgersBalance(platform: Platform): Promise<void> {
  for (const totals of await platform.ledger.totalsByLedger()) {
    expect(totals.debitsPosted, `ledger ${totals.ledger} posted`).toBe(totals.creditsPosted);
    expect(totals.debitsPending, `ledger ${totals.ledger} pending`).toBe(totals.creditsPending);
  }
}

/** Balances of the given accounts, to compare before and after a refused or failed payment. */
export async function balancesOf(platform: Platform, accountIds: readonly string[]): Promise<unknown[]> {
  const rows = [];
  for (const id of accountIds) {
    const account = await platform.ledger.getAccount(id);
    rows.push([id, account?.debitsPending, account?.debitsPosted, account?.creditsPending, account?.creditsPosted]);
  }
  return rows;
}
