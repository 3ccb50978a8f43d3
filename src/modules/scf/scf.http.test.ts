import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { hash } from './scf.test-support.ts';
import { discountInterest } from './scf.ts';

const DAY_MS = 86_400_000;

describeEachDialect('supply-chain finance over HTTP', ({ open }) => {
  let api: Api;
  let accounts: Record<string, string>;
  const program = 'auto-2026';
  const [core, bank, s1, s2, s3] = ['core-auto', 'bank-hx', 'tier1-axle', 'tier2-steel', 'tier3-ore'];

  const balance = async (party: string) => {
    const body = await api.ok('GET', `/v1/accounts/${accounts[party]}/balances`);
    return BigInt(body.credits_posted) - BigInt(body.debits_posted);
  };
  const fund = (party: string, amount: string, settlement: string) =>
    api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: settlement, credit_account_id: accounts[party], amount, ledger: 1, code: 1 }, 201);

  beforeAll(async () => {
    api = await startApi(open);
    await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
    for (const [id, kind] of [[core, 'enterprise'], [bank, 'bank'], [s1, 'enterprise'], [s2, 'enterprise'], [s3, 'enterprise']]) {
      await api.ok('POST', '/v1/parties', { id, name: id, kind, jurisdiction: 'CN' }, 201);
    }
  });
  afterAll(async () => api?.close());

  it('runs a voucher from issue to settlement, every cash movement booked in the ledger', async () => {
    const settlement = uuid();
    await api.ok('POST', '/v1/accounts', { id: settlement, ledger: 1, code: 100 }, 201);
    const created = await api.ok('POST', '/v1/scf/programs', {
      id: program, name: 'Jianghe Automotive 2026', core_enterprise_id: core, funding_bank_ids: [bank], supplier_ids: [s1, s2],
      ledger: 1, credit_limit: '5000000', min_split_amount: '10000',
    }, 201);
    expect(created).toMatchObject({ max_term_days: 183, max_split_depth: 8, day_count_basis: 360, outstanding: '0', available: '5000000' });
    await api.ok('POST', `/v1/scf/programs/${program}/suppliers`, { supplier_ids: [s3] });
    const programView = await api.ok('GET', `/v1/scf/programs/${program}`);
    accounts = Object.fromEntries(programView.accounts.map((account: { party_id: string; account_id: string }) => [account.party_id, account.account_id]));
    expect(Object.keys(accounts).sort()).toEqual([bank, core, s1, s2, s3].sort());
    await fund(core, '2000000', settlement);
    await fund(bank, '2000000', settlement);
    await fund(s1, '100000', settlement);

    // Issue (2026-01-01) with maturity in 180 days, and the first supplier's sign-off.
    const issue = { id: uuid(), program_id: program, acting_party_id: core, supplier_id: s1, face_amount: '1000000', maturity_date: '2026-06-30', contract_hash: hash(), invoice_hashes: [hash(), hash()] };
    const issued = await api.ok('POST', '/v1/scf/vouchers', issue, 201);
    expect(await api.ok('POST', '/v1/scf/vouchers', issue, 200)).toEqual({ ...issued, replayed: true });
    const voucherId = issued.result.voucher_id as string;
    const root = issued.result.piece_id as string;
    expectProblem(await api.call('POST', `/v1/scf/pieces/${root}/split`, { id: uuid(), acting_party_id: s1, amounts: ['500000', '500000'] }), 409, 'piece_awaiting_signoff', '/params/piece_id');
    await api.ok('POST', `/v1/scf/pieces/${root}/sign-off`, { id: uuid(), acting_party_id: s1 }, 201);

    // Split; one part down the chain to s2, who accepts it; then part of that on to s3.
    expectProblem(await api.call('POST', `/v1/scf/pieces/${root}/split`, { id: uuid(), acting_party_id: s1, amounts: ['600000', '300000'] }), 422, 'split_amounts_do_not_add_up', '/amounts');
    const split = await api.ok('POST', `/v1/scf/pieces/${root}/split`, { id: uuid(), acting_party_id: s1, amounts: ['600000', '400000'] }, 201);
    const [keep, pass] = split.result.children.map((child: { piece_id: string }) => child.piece_id) as [string, string];
    await api.ok('POST', `/v1/scf/pieces/${pass}/transfer`, { id: uuid(), acting_party_id: s1, to_party_id: s2 }, 201);
    await api.ok('POST', `/v1/scf/pieces/${pass}/sign-off`, { id: uuid(), acting_party_id: s2 }, 201);
    const split2 = await api.ok('POST', `/v1/scf/pieces/${pass}/split`, { id: uuid(), acting_party_id: s2, amounts: ['150000', '250000'] }, 201);
    const [toS3, s2Keeps] = split2.result.children.map((child: { piece_id: string }) => child.piece_id) as [string, string];
    await api.ok('POST', `/v1/scf/pieces/${toS3}/transfer`, { id: uuid(), acting_party_id: s2, to_party_id: s3 }, 201);
    await api.ok('POST', `/v1/scf/pieces/${toS3}/sign-off`, { id: uuid(), acting_party_id: s3 }, 201);

    // A participant key of s2 may act for s2 only.
    const participant = await api.ok('POST', '/v1/api-keys', { name: 'tier 2', role: 'participant', party_ids: [s2] }, 201);
    expectProblem(await api.call('POST', `/v1/scf/pieces/${keep}/transfer`, { id: uuid(), acting_party_id: s1, to_party_id: s2 }, { key: participant.key }), 403, 'party_not_owned', '/acting_party_id');
    expectProblem(await api.call('POST', `/v1/scf/pieces/${keep}/transfer`, { id: uuid(), acting_party_id: s2, to_party_id: s3 }, { key: participant.key }), 403, 'not_the_holder', '/acting_party_id');

    // s2 discounts its 250,000 with the bank at 4.50 % for the 180 days to maturity.
    const financed = await api.ok('POST', `/v1/scf/pieces/${s2Keeps}/finance`, { id: uuid(), acting_party_id: s2, bank_id: bank, annual_rate_bps: 450 }, 201);
    const interest = discountInterest(250_000n, 450, 180, 360).interest;
    expect(financed.result).toMatchObject({ days: 180, day_count_basis: 360, interest: String(interest), proceeds: String(250_000n - interest) });
    expect(await balance(s2)).toBe(250_000n - interest);
    expectProblem(await api.call('POST', `/v1/scf/pieces/${s2Keeps}/transfer`, { id: uuid(), acting_party_id: s2, to_party_id: s3 }), 409, 'piece_financed');

    // s1 discounts its 600,000 too and buys it back 60 days later.
    const s1Financed = await api.ok('POST', `/v1/scf/pieces/${keep}/finance`, { id: uuid(), acting_party_id: s1, bank_id: bank, annual_rate_bps: 500 }, 201);
    api.clock.advance(60 * DAY_MS);
    const repurchased = await api.ok('POST', `/v1/scf/pieces/${keep}/repurchase`, { id: uuid(), acting_party_id: s1 }, 201);
    const price = 600_000n - discountInterest(600_000n, 500, 120, 360).interest;
    expect(repurchased.result).toMatchObject({ days_remaining: 120, price: String(price) });
    expect(await balance(s1)).toBe(100_000n + BigInt(s1Financed.result.proceeds) - price);

    // The tree, from issue to every current holder, and the console's overview.
    const tree = await api.ok('GET', `/v1/scf/vouchers/${voucherId}`);
    expect(tree).toMatchObject({ status: 'active', overdue: false, piece_count: 5, tree: { id: root, status: 'split', holders: [{ party_id: s1, tier: 1 }] } });
    expect(tree.current_pieces.map((piece: { piece_id: string; chain: string[]; payee_id: string }) => [piece.piece_id, piece.chain, piece.payee_id])).toEqual([
      [keep, [core, s1], s1],
      [toS3, [core, s1, s2, s3], s3],
      [s2Keeps, [core, s1, s2], bank],
    ]);
    const overview = await api.ok('GET', `/v1/scf/programs/${program}/overview`);
    expect(overview).toMatchObject({
      outstanding: '1000000', available: '4000000', financed: '250000', financed_share_bps: 2500, overdue: { amount: '0', vouchers: 0 },
      by_tier: [{ tier: 1, amount: '600000', pieces: 1 }, { tier: 2, amount: '250000', pieces: 1 }, { tier: 3, amount: '150000', pieces: 1 }],
      maturity_ladder: [{ month: '2026-06', amount: '1000000', vouchers: 1 }],
    });
    expect((await api.ok('GET', `/v1/scf/parties/${s3}/pieces`)).data.map((piece: { id: string }) => piece.id)).toEqual([toS3]);

    // Not yet due; then at maturity the core pays each current holder, the bank for the financed piece.
    const settle = { id: uuid(), acting_party_id: core };
    expectProblem(await api.call('POST', `/v1/scf/vouchers/${voucherId}/settle`, settle), 409, 'voucher_not_mature', '/params/voucher_id');
    api.clock.advance(120 * DAY_MS);
    expect((await api.ok('GET', `/v1/scf/programs/${program}/overview`)).overdue).toEqual({ amount: '1000000', vouchers: 1 });
    expectProblem(await api.call('POST', `/v1/scf/pieces/${toS3}/transfer`, { id: uuid(), acting_party_id: s3, to_party_id: s1 }), 409, 'piece_overdue');
    const before = { bank: await balance(bank), s1: await balance(s1), s3: await balance(s3) };
    const settled = await api.ok('POST', `/v1/scf/vouchers/${voucherId}/settle`, { id: uuid(), acting_party_id: core }, 201);
    expect(settled.result.payouts.map((payout: { payee_id: string; amount: string }) => [payout.payee_id, payout.amount])).toEqual([[s1, '600000'], [s3, '150000'], [bank, '250000']]);
    expect(await balance(core)).toBe(2_000_000n - 1_000_000n);
    expect(await balance(bank)).toBe(before.bank + 250_000n);
    expect(await balance(s1)).toBe(before.s1 + 600_000n);
    expect(await balance(s3)).toBe(before.s3 + 150_000n);

    expect(await api.ok('GET', `/v1/scf/vouchers/${voucherId}`)).toMatchObject({ status: 'settled', overdue: false, current_pieces: [{ status: 'settled' }, { status: 'settled' }, { status: 'settled' }] });
    expect(await api.ok('GET', `/v1/scf/programs/${program}/overview`)).toMatchObject({ outstanding: '0', available: '5000000', by_tier: [] });
    expect((await api.ok('GET', `/v1/scf/parties/${s1}/pieces`)).data).toEqual([]);
    expect((await api.platform.verify()).problems).toEqual([]);
  });

  it('validates every field and names it in the problem', async () => {
    const piece = uuid();
    expectProblem(await api.call('POST', `/v1/scf/pieces/${piece}/split`, { id: uuid(), acting_party_id: s1, amounts: ['0', '5'] }), 400, 'validation_failed', '/amounts/0');
    expectProblem(await api.call('POST', `/v1/scf/pieces/${piece}/split`, { id: uuid(), acting_party_id: s1, amounts: ['5'] }), 400, 'validation_failed', '/amounts');
    expectProblem(await api.call('POST', `/v1/scf/pieces/${piece}/finance`, { id: 'not-a-uuid', acting_party_id: s1, bank_id: bank, annual_rate_bps: 100 }), 400, 'validation_failed', '/id');
    expectProblem(await api.call('POST', '/v1/scf/vouchers', { id: uuid(), program_id: program, acting_party_id: core, supplier_id: s1, face_amount: '1', maturity_date: '2026-03-01', contract_hash: 'abc', invoice_hashes: [hash()] }), 400, 'validation_failed', '/contract_hash');
    expectProblem(await api.call('POST', '/v1/scf/vouchers', { id: uuid(), program_id: program, acting_party_id: core, supplier_id: s1, face_amount: '1', maturity_date: '2026-02-30', contract_hash: hash(), invoice_hashes: [hash()], extra: 1 }), 400, 'validation_failed', '/extra');
    expectProblem(await api.call('POST', `/v1/scf/pieces/${piece}/split`, { id: uuid(), acting_party_id: s1, amounts: ['5', '5'] }), 404, 'piece_not_found', '/params/piece_id');
    expectProblem(await api.call('POST', `/v1/scf/pieces/${piece}/freeze`, { id: uuid(), reason: 'dispute' }, { key: (await api.ok('POST', '/v1/api-keys', { name: 'p', role: 'participant', party_ids: [s1] }, 201)).key }), 403, 'forbidden');
    expectProblem(await api.call('POST', '/v1/scf/programs', { id: 'p2', name: 'x', core_enterprise_id: core, funding_bank_ids: [bank], supplier_ids: [], ledger: 1, credit_limit: '1', max_term_days: 400 }), 422, 'term_exceeds_maximum', '/max_term_days');
    expectProblem(await api.call('GET', '/v1/scf/vouchers/not-a-uuid'), 400, 'validation_failed', '/params/voucher_id');
  });
});
