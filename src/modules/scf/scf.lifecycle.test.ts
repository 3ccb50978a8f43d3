import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { loadScfDemo } from './scf.demo.ts';
import { createProgramFixture, DAY_MS, hash, LEDGER, openHarness, pendingHolds, uuid, type Harness } from './scf.test-support.ts';
import { discountInterest } from './scf.ts';

describeEachDialect('supply-chain finance lifecycle through the service', ({ open }) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await openHarness(open);
  });
  afterAll(async () => harness?.close());

  it('issues, splits, transfers, finances, repurchases and settles with every cash movement in the ledger', async () => {
    const program = await createProgramFixture(harness, { fundCore: 1_000_000n, fundBanks: 1_000_000n });
    const [s1, s2, s3] = program.suppliers as [string, string, string];
    const [bank] = program.banks as [string];
    const { voucherId, rootId } = await program.issued(100_000n, { days: 180 });

    const split = await program.apply({ kind: 'split', id: uuid(), pieceId: rootId, actingPartyId: s1, amounts: [60_000n, 40_000n] });
    const [keep, pass] = split.children as { pieceId: string }[];
    await program.apply({ kind: 'transfer', id: uuid(), pieceId: pass!.pieceId, actingPartyId: s1, toPartyId: s2 });
    await program.apply({ kind: 'sign_off', id: uuid(), pieceId: pass!.pieceId, actingPartyId: s2 });
    const again = await program.apply({ kind: 'split', id: uuid(), pieceId: pass!.pieceId, actingPartyId: s2, amounts: [25_000n, 15_000n] });
    const [toS3, kept2] = again.children as { pieceId: string }[];
    await program.apply({ kind: 'transfer', id: uuid(), pieceId: toS3!.pieceId, actingPartyId: s2, toPartyId: s3 });
    await program.apply({ kind: 'sign_off', id: uuid(), pieceId: toS3!.pieceId, actingPartyId: s3 });

    // s3 discounts its 25,000 at 5.00 % a year, ACT/360, for the 180 days left.
    const financed = await program.apply({ kind: 'finance', id: uuid(), pieceId: toS3!.pieceId, actingPartyId: s3, bankId: bank, annualRateBps: 500 });
    const { interest } = discountInterest(25_000n, 500, 180, 360);
    expect(financed).toMatchObject({ days: 180, interest: String(interest), proceeds: String(25_000n - interest) });
    expect(await program.balance(s3)).toBe(25_000n - interest);
    expect(await program.balance(bank)).toBe(1_000_000n - (25_000n - interest));

    // s2 finances its remaining 15,000 and buys it back 30 days later for the interest of the 150 days left.
    const second = await program.apply({ kind: 'finance', id: uuid(), pieceId: kept2!.pieceId, actingPartyId: s2, bankId: bank, annualRateBps: 800 });
    harness.clock.advance(30 * DAY_MS);
    await program.fund(s2, 20_000n);
    const repurchase = await program.apply({ kind: 'repurchase', id: uuid(), pieceId: kept2!.pieceId, actingPartyId: s2 });
    const remaining = discountInterest(15_000n, 800, 150, 360).interest;
    expect(repurchase).toMatchObject({ daysRemaining: 150, price: String(15_000n - remaining), bankEarned: String(BigInt(second.interest) - remaining) });

    // At maturity the core pays each current holder, and the bank for the financed piece.
    harness.clock.advance(150 * DAY_MS);
    const before = { s1: await program.balance(s1), s2: await program.balance(s2), s3: await program.balance(s3), bank: await program.balance(bank) };
    const settled = await program.apply({ kind: 'settle', id: uuid(), voucherId, actingPartyId: program.core });
    const payouts = settled.payouts as { pieceId: string; payeeId: string; amount: string }[];
    expect(payouts.reduce((sum, payout) => sum + BigInt(payout.amount), 0n)).toBe(100_000n);
    expect(payouts.map((payout) => [payout.pieceId, payout.payeeId, payout.amount])).toEqual([
      [keep!.pieceId, s1, '60000'],
      [toS3!.pieceId, bank, '25000'],
      [kept2!.pieceId, s2, '15000'],
    ]);
    expect(await program.balance(s1)).toBe(before.s1 + 60_000n);
    expect(await program.balance(s2)).toBe(before.s2 + 15_000n);
    expect(await program.balance(s3)).toBe(before.s3);
    expect(await program.balance(bank)).toBe(before.bank + 25_000n);
    expect(await program.balance(program.core)).toBe(1_000_000n - 100_000n);

    const view = await harness.platform.scf.getVoucher(voucherId);
    expect(view?.voucher.status).toBe('settled');
    expect((await harness.platform.scf.getProgram(program.id))?.outstanding).toBe(0n);
    expect(await pendingHolds(harness.platform)).toBe(0);
    const report = await harness.platform.verify();
    expect(report.problems).toEqual([]);
  });

  it('answers a repeated operation with its first result and refuses the same id with other fields', async () => {
    const program = await createProgramFixture(harness);
    const { rootId } = await program.issued(10_000n);
    const operation = { kind: 'split' as const, id: uuid(), pieceId: rootId, actingPartyId: program.suppliers[0]!, amounts: [4_000n, 6_000n] };
    const [first, concurrent] = await Promise.all([program.submit(operation), program.submit(operation)]);
    const again = await program.submit(operation);
    expect(first).toMatchObject({ ok: true, replayed: false });
    expect(concurrent).toMatchObject({ ok: true, replayed: true, result: first.ok ? first.result : null });
    expect(again).toMatchObject({ ok: true, replayed: true, result: first.ok ? first.result : null });
    const different = await program.submit({ ...operation, amounts: [5_000n, 5_000n] });
    expect(different).toMatchObject({ ok: false, error: 'operation_exists_with_different_fields' });
  });

  it('keeps invoices unique across vouchers and frees them when a voucher is cancelled', async () => {
    const program = await createProgramFixture(harness);
    const invoice = hash();
    const issue = (id: string) => program.submit({
      kind: 'issue', id, programId: program.id, actingPartyId: program.core, supplierId: program.suppliers[0]!, faceAmount: 1_000n,
      maturityDate: harness.inDays(30), contractHash: hash(), invoiceHashes: [invoice],
    });
    const first = uuid();
    expect(await issue(first)).toMatchObject({ ok: true });
    expect(await issue(uuid())).toMatchObject({ ok: false, error: 'invoice_already_used' });
    expect(await program.submit({ kind: 'cancel', id: uuid(), voucherId: first, actingPartyId: program.core })).toMatchObject({ ok: true });
    expect(await issue(uuid())).toMatchObject({ ok: true });
  });

  it('loads the demo program once, however often it is loaded', async () => {
    const parties = { core: 'demo-core', bank: 'demo-bank', suppliers: ['demo-t1', 'demo-t2', 'demo-t3'] as const };
    for (const id of [parties.core, parties.bank, ...parties.suppliers]) {
      await harness.platform.parties.create({ id, name: id, kind: id === parties.bank ? 'bank' : 'enterprise', jurisdiction: 'CN', metadata: null });
    }
    const options = { programId: 'demo-program', ledger: LEDGER, settlementAccountId: harness.settlement, parties };
    const deps = { scf: harness.platform.scf, ledger: harness.platform.ledger, clock: harness.clock };
    expect(await loadScfDemo(deps, { ...options, id: uuidOf })).toEqual({ vouchers: 3 });
    expect(await loadScfDemo(deps, { ...options, id: uuidOf })).toEqual({ vouchers: 0 });
    const overview = await harness.platform.scf.overview('demo-program');
    expect(overview?.byTier.map((row) => [row.tier, row.amount])).toEqual([[1, 180_000_000n], [2, 30_000_000n], [3, 20_000_000n]]);
    expect(overview?.financed).toBe(20_000_000n);
    expect((await harness.platform.verify()).problems).toEqual([]);
  });
});

/** A stable UUID per name, as the demo derives its ids. */
function uuidOf(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
