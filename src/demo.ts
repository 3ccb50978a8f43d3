import { createHash } from 'node:crypto';
import { AccountFlags, TransferFlags, type AccountRequest, type TransferRequest } from './modules/ledger/index.ts';
import type { PartyKind } from './modules/parties/index.ts';
import type { Platform } from './platform.ts';
import { loadScfDemo } from './modules/scf/index.ts';
import { loadPaymentsDemo } from './modules/payments/index.ts';
import { DEMO_HISTORY_SPAN_MS, loadDemoHistory } from './demo.history.ts';
import { loadDemoRisk, loadDemoWatchList } from './demo.risk.ts';

/**
 * A small, true-to-life demo: banks in five jurisdictions with settlement accounts, a core enterprise
 * and its suppliers, and customers with a few hundred historical payments. Ids derive from names, so
 * loading the demo twice books nothing twice.
 */
export function demoId(name: string): string {
  const hex = createHash('sha256').update(`sluice-demo:${name}`).digest('hex');
  // Shaped as an RFC 9562 UUIDv8 (custom): version 8, variant 10.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}

const LEDGERS = [
  { id: 1, assetCode: 'CNY', scale: 2, name: 'Chinese yuan renminbi' },
  { id: 2, assetCode: 'HKD', scale: 2, name: 'Hong Kong dollar' },
  { id: 3, assetCode: 'SGD', scale: 2, name: 'Singapore dollar' },
  { id: 4, assetCode: 'THB', scale: 2, name: 'Thai baht' },
  { id: 5, assetCode: 'AED', scale: 2, name: 'UAE dirham' },
  { id: 6, assetCode: 'USD', scale: 2, name: 'US dollar' },
] as const;

const PARTIES: { id: string; name: string; kind: PartyKind; jurisdiction: string; currency: number }[] = [
  { id: 'bank-cn-icbk', name: 'Huaxia Commercial Bank', kind: 'bank', jurisdiction: 'CN', currency: 1 },
  { id: 'bank-hk-hsbh', name: 'Harbour City Bank', kind: 'bank', jurisdiction: 'HK', currency: 2 },
  { id: 'bank-sg-mrbk', name: 'Marina Bay Bank', kind: 'bank', jurisdiction: 'SG', currency: 3 },
  { id: 'bank-th-cpbk', name: 'Chao Phraya Bank', kind: 'bank', jurisdiction: 'TH', currency: 4 },
  { id: 'bank-ae-gfbk', name: 'Gulf Federal Bank', kind: 'bank', jurisdiction: 'AE', currency: 5 },
  { id: 'bank-cn-yzdb', name: 'Yangtze Development Bank', kind: 'bank', jurisdiction: 'CN', currency: 1 },
  { id: 'ent-core-auto', name: 'Jianghe Automotive Group', kind: 'enterprise', jurisdiction: 'CN', currency: 1 },
  { id: 'ent-tier1-axle', name: 'Ningbo Axle Works', kind: 'enterprise', jurisdiction: 'CN', currency: 1 },
  { id: 'ent-tier2-steel', name: 'Tangshan Fine Steel', kind: 'enterprise', jurisdiction: 'CN', currency: 1 },
  { id: 'ent-tier3-ore', name: 'Hebei Ore Trading', kind: 'enterprise', jurisdiction: 'CN', currency: 1 },
  { id: 'cust-wang-li', name: 'Wang Li', kind: 'individual', jurisdiction: 'CN', currency: 1 },
  { id: 'cust-chan-mei', name: 'Chan Mei Ling', kind: 'individual', jurisdiction: 'HK', currency: 2 },
  { id: 'cust-tan-wei', name: 'Tan Wei Ming', kind: 'individual', jurisdiction: 'SG', currency: 3 },
  { id: 'cust-somchai', name: 'Somchai Prasert', kind: 'individual', jurisdiction: 'TH', currency: 4 },
  { id: 'cust-fatima', name: 'Fatima Al Nuaimi', kind: 'individual', jurisdiction: 'AE', currency: 5 },
];

/** Account codes of the demo's chart of accounts. */
export const DEMO_CODES = { settlement: 100, customer: 200, enterprise: 300, payment: 1, funding: 2 } as const;

const settlementId = (ledger: number) => demoId(`settlement:${ledger}`);
const accountIdOf = (partyId: string) => demoId(`account:${partyId}`);

export async function loadDemo(platform: Platform, options: { payments?: number; history?: boolean } = {}): Promise<{ transfers: number }> {
  // Everything before the history happened a month ago; the history then brings the clock to now.
  platform.setClockBehindMs(options.history === false ? 0 : DEMO_HISTORY_SPAN_MS);
  try {
    return await loadDemoData(platform, options);
  } finally {
    platform.setClockBehindMs(0);
  }
}

async function loadDemoData(platform: Platform, options: { payments?: number; history?: boolean }): Promise<{ transfers: number }> {
  for (const ledger of LEDGERS) {
    const result = await platform.ledger.createLedger(ledger);
    if (!result.ok) throw new Error(`demo ledger ${ledger.id}: ${result.error}`);
  }
  // The watch list comes before the parties, so that onboarding screening sees it.
  await loadDemoWatchList(platform);
  for (const party of PARTIES) {
    const result = await platform.parties.create({ id: party.id, name: party.name, kind: party.kind, jurisdiction: party.jurisdiction, metadata: null });
    if (!result.ok) throw new Error(`demo party ${party.id}: ${result.error}`);
  }
  // One settlement (central) account per currency may go negative; everyone else may not overdraw.
  const accounts: AccountRequest[] = LEDGERS.map((ledger) => ({ id: settlementId(ledger.id), ledger: ledger.id, code: DEMO_CODES.settlement, flags: AccountFlags.history, partyId: null, metadata: null }));
  for (const party of PARTIES.filter((p) => p.kind !== 'bank')) {
    accounts.push({
      id: accountIdOf(party.id),
      ledger: party.currency,
      code: party.kind === 'individual' ? DEMO_CODES.customer : DEMO_CODES.enterprise,
      flags: AccountFlags.debits_must_not_exceed_credits | AccountFlags.history,
      partyId: party.id,
      metadata: null,
    });
  }
  const created = await platform.ledger.createAccounts(accounts);
  const failed = created.find((result) => result.result !== 'ok');
  if (failed) throw new Error(`demo account ${failed.id}: ${failed.result}`);

  const holders = PARTIES.filter((p) => p.kind !== 'bank');
  const transfers: TransferRequest[] = holders.map((party) => ({
    id: demoId(`funding:${party.id}`),
    debitAccountId: settlementId(party.currency),
    creditAccountId: accountIdOf(party.id),
    amount: party.kind === 'individual' ? 5_000_000n : 500_000_000n,
    ledger: party.currency,
    code: DEMO_CODES.funding,
    flags: 0,
  }));
  // Deterministic pseudo-random payments between holders of the same currency.
  let seed = 20261127;
  const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648);
  const cny = holders.filter((party) => party.currency === 1);
  const count = options.payments ?? 300;
  for (let index = 0; index < count; index++) {
    const from = cny[next() % cny.length]!;
    let to = cny[next() % cny.length]!;
    if (to.id === from.id) to = cny[(cny.indexOf(from) + 1) % cny.length]!;
    transfers.push({
      id: demoId(`payment:${index}`),
      debitAccountId: accountIdOf(from.id),
      creditAccountId: accountIdOf(to.id),
      amount: BigInt(1000 + (next() % 500_000)),
      ledger: 1,
      code: DEMO_CODES.payment,
      flags: index % 50 === 0 ? TransferFlags.pending : 0,
      timeoutSeconds: index % 50 === 0 ? 86_400 : undefined,
      metadata: JSON.stringify({ purpose: index % 3 === 0 ? 'GDDS' : 'SUPP' }),
    });
  }
  const results = await platform.ledger.createTransfers(transfers);
  // Supply-chain finance: the core enterprise's program with its bank and three supplier tiers.
  await loadScfDemo(platform, {
    programId: 'prog-jianghe-2026',
    ledger: 1,
    settlementAccountId: settlementId(1),
    parties: { core: 'ent-core-auto', bank: 'bank-cn-icbk', secondBank: 'bank-cn-yzdb', suppliers: ['ent-tier1-axle', 'ent-tier2-steel', 'ent-tier3-ore'] },
    id: (name) => demoId(`scf:${name}`),
  });
  // Participants, FX rates and a few cross-border payments, funded from the settlement accounts above.
  await loadPaymentsDemo(platform, { fundingAccountOf: settlementId });
  // A few thousand everyday payments among customers of all five banks, with the planted mule ring.
  if (options.history !== false) await loadDemoHistory(platform, { fundingAccountOf: settlementId, id: (name) => demoId(name) });
  // The graph scan finds the planted ring and opens its case; the baseline ruleset goes live last,
  // so the history above was decided by an empty ruleset (approve) and is what its backtest replays.
  await loadDemoRisk(platform);
  return { transfers: results.filter((result) => result.result === 'ok').length };
}
