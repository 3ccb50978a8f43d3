import type { Clock } from '../../kernel/index.ts';
import type { LedgerService } from '../ledger/index.ts';
import type { ScfOperation } from './scf.operations.ts';
import type { ScfService } from './scf.service.ts';
import { dateOf } from './scf.ts';

/**
 * Demo data for supply-chain finance: a program of a car maker, its banks and three tiers of
 * suppliers, with a voucher split and passed down the chain, part of it discounted with the bank,
 * a second voucher held by the first tier and a third still waiting for its sign-off. Ids come from
 * the caller's deterministic id function; a program that already has vouchers is left alone, so
 * loading the demo twice changes nothing.
 */
export interface ScfDemoParties {
  readonly core: string;
  readonly bank: string;
  /** A second funding bank of the program; the demo finances with the first. */
  readonly secondBank?: string;
  /** First, second and third tier. */
  readonly suppliers: readonly [string, string, string];
}

export interface ScfDemoOptions {
  readonly programId: string;
  readonly ledger: number;
  /** An account of the same ledger without balance limits, that funds the members. */
  readonly settlementAccountId: string;
  readonly parties: ScfDemoParties;
  readonly id: (name: string) => string;
}

const DAY_MS = 86_400_000;
const FUNDING_CODE = 2;

export async function loadScfDemo(deps: { scf: ScfService; ledger: Pick<LedgerService, 'createTransfers'>; clock: Clock }, options: ScfDemoOptions): Promise<{ vouchers: number }> {
  const { scf } = deps;
  const { core, bank, secondBank, suppliers } = options.parties;
  const [tier1, tier2, tier3] = suppliers;
  const program = await scf.createProgram({
    id: options.programId, name: 'Jianghe Automotive supplier finance 2026', coreEnterpriseId: core, fundingBankIds: secondBank ? [bank, secondBank] : [bank], supplierIds: [...suppliers],
    ledger: options.ledger, creditLimit: 5_000_000_000n, minSplitAmount: 1_000_00n,
  });
  if (!program.ok) throw new Error(`demo program: ${program.error}`);
  if ((await scf.listVouchers(options.programId, { limit: 1 })).length > 0) return { vouchers: 0 };

  const funding = [[core, 2_000_000_000n], [bank, 2_000_000_000n], [tier1, 50_000_000n], [tier2, 50_000_000n], [tier3, 50_000_000n]] as const;
  const funded = await deps.ledger.createTransfers(funding.map(([party, amount]) => ({
    id: options.id(`scf-funding:${options.programId}:${party}`), debitAccountId: options.settlementAccountId, creditAccountId: scf.accountOf(options.programId, party),
    amount, ledger: options.ledger, code: FUNDING_CODE, flags: 0,
  })));
  const refused = funded.find((result) => result.result !== 'ok');
  if (refused) throw new Error(`demo funding ${refused.id}: ${refused.result}`);

  const maturity = (days: number) => dateOf(deps.clock.nowMs() + days * DAY_MS);
  const hash = (name: string) => options.id(`scf-document:${name}`).replace(/-/g, '').repeat(2);
  const apply = async (name: string, operation: Omit<ScfOperation, 'id'> & Record<string, unknown>) => {
    const outcome = await scf.submit({ ...operation, id: options.id(`scf:${options.programId}:${name}`) } as ScfOperation);
    if (!outcome.ok) throw new Error(`demo ${name}: ${outcome.error}`);
    return outcome.result as Record<string, any>;
  };
  const issue = (name: string, supplierId: string, faceAmount: bigint, days: number) => apply(name, {
    kind: 'issue', programId: options.programId, actingPartyId: core, supplierId, faceAmount, maturityDate: maturity(days),
    contractHash: hash(`${name}:contract`), invoiceHashes: [hash(`${name}:invoice-1`), hash(`${name}:invoice-2`)],
  });

  const first = await issue('voucher-1', tier1, 120_000_000n, 150);
  await apply('voucher-1:sign-off', { kind: 'sign_off', pieceId: first.pieceId, actingPartyId: tier1 });
  const split = await apply('voucher-1:split', { kind: 'split', pieceId: first.pieceId, actingPartyId: tier1, amounts: [70_000_000n, 50_000_000n] });
  const toTier2 = split.children[1].pieceId as string;
  await apply('voucher-1:to-tier-2', { kind: 'transfer', pieceId: toTier2, actingPartyId: tier1, toPartyId: tier2 });
  await apply('voucher-1:tier-2-sign-off', { kind: 'sign_off', pieceId: toTier2, actingPartyId: tier2 });
  const again = await apply('voucher-1:tier-2-split', { kind: 'split', pieceId: toTier2, actingPartyId: tier2, amounts: [20_000_000n, 30_000_000n] });
  const toTier3 = again.children[0].pieceId as string;
  await apply('voucher-1:to-tier-3', { kind: 'transfer', pieceId: toTier3, actingPartyId: tier2, toPartyId: tier3 });
  await apply('voucher-1:tier-3-sign-off', { kind: 'sign_off', pieceId: toTier3, actingPartyId: tier3 });
  await apply('voucher-1:tier-3-finance', { kind: 'finance', pieceId: toTier3, actingPartyId: tier3, bankId: bank, annualRateBps: 385 });

  const second = await issue('voucher-2', tier1, 80_000_000n, 60);
  await apply('voucher-2:sign-off', { kind: 'sign_off', pieceId: second.pieceId, actingPartyId: tier1 });
  await issue('voucher-3', tier1, 30_000_000n, 120);
  return { vouchers: 3 };
}
