/**
 * Shared set-up of the supply-chain-finance tests: a platform on a fresh database with a manual
 * clock, and programs whose parties, accounts and funding are created under a unique prefix so that
 * many tests share one database without seeing each other.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Database } from '../../db/index.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import type { Outcome, ScfOperation } from './scf.operations.ts';
import type { ProgramInput } from './scf.programs.ts';
import { dateOf } from './scf.ts';

export const START_MS = Date.UTC(2026, 0, 1);
export const DAY_MS = 86_400_000;
export const LEDGER = 1;
const FUNDING_CODE = 1;

export const hash = (): string => randomBytes(32).toString('hex');
export const uuid = (): string => randomUUID();

export interface Harness {
  readonly platform: Platform;
  readonly clock: ManualClock;
  /** The settlement account every member is funded from (no balance limits). */
  readonly settlement: string;
  today(): string;
  /** A date `days` after today. */
  inDays(days: number): string;
  close(): Promise<void>;
}

export async function openHarness(open: () => Promise<Database>, options: { keySecret?: string } = {}): Promise<Harness> {
  const db = await open();
  const clock = createManualClock(START_MS);
  const platform = await createPlatform({ db, clock, expiryIntervalMs: 0, ...options });
  const created = await platform.ledger.createLedger({ id: LEDGER, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
  expect(created.ok).toBe(true);
  const settlement = uuid();
  const [account] = await platform.ledger.createAccounts([{ id: settlement, ledger: LEDGER, code: 100, flags: 0 }]);
  expect(account?.result).toBe('ok');
  return {
    platform,
    clock,
    settlement,
    today: () => dateOf(clock.nowMs()),
    inDays: (days) => dateOf(clock.nowMs() + days * DAY_MS),
    close: () => platform.close(),
  };
}

export interface ProgramFixture {
  readonly id: string;
  readonly core: string;
  readonly banks: readonly string[];
  readonly suppliers: readonly string[];
  /** A registered party outside the program. */
  readonly outsider: string;
  account(partyId: string): string;
  /** Posted credits minus posted debits of a member's account. */
  balance(partyId: string): Promise<bigint>;
  fund(partyId: string, amount: bigint): Promise<void>;
  submit(operation: ScfOperation): Promise<Outcome>;
  /** Submits and fails the test unless the operation was applied; returns its result. */
  apply(operation: ScfOperation): Promise<Record<string, any>>;
  /** Issues a voucher of `face` to the first supplier and has it signed off; returns the ids. */
  issued(face: bigint, options?: { days?: number; signOff?: boolean; supplier?: string }): Promise<{ voucherId: string; rootId: string }>;
}

export async function createProgramFixture(harness: Harness, options: Partial<ProgramInput> & { suppliers?: number; fundCore?: bigint; fundBanks?: bigint } = {}): Promise<ProgramFixture> {
  const { platform } = harness;
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const core = `${prefix}-core`;
  const banks = [`${prefix}-bank-a`, `${prefix}-bank-b`];
  const suppliers = Array.from({ length: options.suppliers ?? 4 }, (_, index) => `${prefix}-s${index + 1}`);
  const outsider = `${prefix}-outsider`;
  const parties: [string, 'bank' | 'enterprise'][] = [[core, 'enterprise'], ...banks.map((bank): [string, 'bank'] => [bank, 'bank']), ...suppliers.map((s): [string, 'enterprise'] => [s, 'enterprise']), [outsider, 'enterprise']];
  for (const [id, kind] of parties) {
    const party = await platform.parties.create({ id, name: id, kind, jurisdiction: 'CN', metadata: null });
    expect(party.ok).toBe(true);
  }
  const id = `${prefix}-program`;
  const result = await platform.scf.createProgram({
    id, name: `Program ${prefix}`, coreEnterpriseId: core, fundingBankIds: banks, supplierIds: suppliers, ledger: LEDGER, creditLimit: 10_000_000n, ...options,
  });
  if (!result.ok) throw new Error(`program refused: ${result.error}`);
  const account = (partyId: string) => platform.scf.accountOf(id, partyId);
  const fixture: ProgramFixture = {
    id, core, banks, suppliers, outsider, account,
    async balance(partyId) {
      const found = await platform.ledger.getAccount(account(partyId));
      return found ? found.creditsPosted - found.debitsPosted : 0n;
    },
    async fund(partyId, amount) {
      const [funded] = await platform.ledger.createTransfers([{ id: uuid(), debitAccountId: harness.settlement, creditAccountId: account(partyId), amount, ledger: LEDGER, code: FUNDING_CODE, flags: 0 }]);
      expect(funded?.result).toBe('ok');
    },
    submit: (operation) => platform.scf.submit(operation),
    async apply(operation) {
      const outcome = await platform.scf.submit(operation);
      if (!outcome.ok) throw new Error(`${operation.kind} refused: ${outcome.error}`);
      return outcome.result as Record<string, any>;
    },
    async issued(face, issueOptions = {}) {
      const voucherId = uuid();
      const supplier = issueOptions.supplier ?? suppliers[0]!;
      const result = await fixture.apply({
        kind: 'issue', id: voucherId, programId: id, actingPartyId: core, supplierId: supplier, faceAmount: face,
        maturityDate: harness.inDays(issueOptions.days ?? 90), contractHash: hash(), invoiceHashes: [hash()],
      });
      if (issueOptions.signOff !== false) await fixture.apply({ kind: 'sign_off', id: uuid(), pieceId: result.pieceId, actingPartyId: supplier });
      return { voucherId, rootId: result.pieceId as string };
    },
  };
  if (options.fundCore) await fixture.fund(core, options.fundCore);
  if (options.fundBanks) for (const bank of banks) await fixture.fund(bank, options.fundBanks);
  return fixture;
}

/** Everything a refused operation must leave alone: the program, its vouchers and pieces, and balances. */
export async function snapshot(harness: Harness, fixture: ProgramFixture): Promise<unknown> {
  const { platform } = harness;
  const program = await platform.scf.getProgram(fixture.id);
  const vouchers = await platform.scf.listVouchers(fixture.id, { limit: 100 });
  const trees = [];
  for (const voucher of vouchers) trees.push(await platform.scf.getVoucher(voucher.id));
  const accounts = [];
  for (const party of [fixture.core, ...fixture.banks, ...fixture.suppliers]) {
    const account = await platform.ledger.getAccount(fixture.account(party));
    accounts.push([party, account?.debitsPending, account?.debitsPosted, account?.creditsPending, account?.creditsPosted, account?.flags]);
  }
  return { program: program && { ...program, members: [...program.members.entries()] }, trees, accounts };
}

/** Pending transfers still holding funds, across the ledger: none may be left after any operation. */
export async function pendingHolds(platform: Platform): Promise<number> {
  const row = await platform.db.get<{ n: bigint }>("SELECT COUNT(*) AS n FROM ledger_pending WHERE status = 'pending'");
  return Number(row?.n ?? 0n);
}
