import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startSeededApi, stateOf, uuid, type Api, type Fixture } from '../../../test/http/harness.ts';
import { hash } from './scf.test-support.ts';

const AMOUNT_MAX = '9223372036854775807';
const DAY_MS = 86_400_000;

/**
 * Supply-chain finance at its edges, over HTTP: what a careless or hostile client sends, and the
 * answers that must stay named 4xx problems that change nothing.
 */
describeEachDialect('supply-chain finance at the edges', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  beforeAll(async () => ({ api, fixture } = await startSeededApi(open)));
  afterAll(async () => api?.close());

  /** A program of its own (parties under a fresh prefix), with each member's ledger account. */
  async function program(creditLimit = '100000000') {
    const prefix = `e${randomBytes(4).toString('hex')}`;
    const [core, bank, s1, s2, outsider] = ['core', 'bank', 's1', 's2', 'outsider'].map((name) => `${prefix}-${name}`) as [string, string, string, string, string];
    for (const [id, kind] of [[core, 'enterprise'], [bank, 'bank'], [s1, 'enterprise'], [s2, 'enterprise'], [outsider, 'enterprise']]) {
      await api.ok('POST', '/v1/parties', { id, name: id, kind, jurisdiction: 'CN' }, 201);
    }
    const id = `${prefix}-program`;
    const created = await api.ok('POST', '/v1/scf/programs', { id, name: id, core_enterprise_id: core, funding_bank_ids: [bank], supplier_ids: [s1, s2], ledger: fixture.ledger, credit_limit: creditLimit }, 201);
    const accounts = Object.fromEntries(created.accounts.map((account: { party_id: string; account_id: string }) => [account.party_id, account.account_id])) as Record<string, string>;
    /** Credits a member's account from a fresh account without limits, so any amount up to the maximum can be sent. */
    const fund = async (party: string, amount: string) => {
      const source = uuid();
      await api.ok('POST', '/v1/accounts', { id: source, ledger: fixture.ledger, code: 100 }, 201);
      await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: accounts[party], amount, ledger: fixture.ledger, code: 1 }, 201);
    };
    /** Issues a voucher to s1, signed off, maturing in 90 days; returns its root piece. */
    const signedVoucher = async (face: string) => {
      const maturity = new Date(api.clock.nowMs() + 90 * DAY_MS).toISOString().slice(0, 10);
      const issued = await api.ok('POST', '/v1/scf/vouchers', { id: uuid(), program_id: id, acting_party_id: core, supplier_id: s1, face_amount: face, maturity_date: maturity, contract_hash: hash(), invoice_hashes: [hash()] }, 201);
      await api.ok('POST', `/v1/scf/pieces/${issued.result.piece_id}/sign-off`, { id: uuid(), acting_party_id: s1 }, 201);
      return { voucherId: issued.result.voucher_id as string, pieceId: issued.result.piece_id as string };
    };
    return { id, core, bank, s1, s2, outsider, accounts, fund, signedVoucher };
  }

  it('refuses cash that would take a member account past the ledger\'s limit as a named 422, without failing the batch it shares', async () => {
    const p = await program();
    await p.fund(p.bank, '1000000');
    // The seller's account has already taken in all a ledger account can: the proceeds cannot be credited.
    await p.fund(p.s1, AMOUNT_MAX);
    const full = await p.signedVoucher('1000');
    const other = await p.signedVoucher('2000');
    const [overflowing, alongside] = await Promise.all([
      api.call('POST', `/v1/scf/pieces/${full.pieceId}/finance`, { id: uuid(), acting_party_id: p.s1, bank_id: p.bank, annual_rate_bps: 300 }),
      api.call('POST', `/v1/scf/pieces/${other.pieceId}/split`, { id: uuid(), acting_party_id: p.s1, amounts: ['500', '1500'] }),
    ]);
    expectProblem(overflowing, 422, 'account_overflow', '/params/piece_id');
    expect(alongside.statusCode, alongside.body).toBe(201);
    expect((await api.ok('GET', `/v1/scf/pieces/${full.pieceId}`)).status).toBe('held');
    const bank = await api.ok('GET', `/v1/accounts/${p.accounts[p.bank]}/balances`);
    expect(bank).toMatchObject({ debits_pending: '0', debits_posted: '0', credits_posted: '1000000' });
    expect((await api.platform.verify()).problems).toEqual([]);
  });

  it('answers a participant acting on a piece, voucher or program it cannot see exactly as it answers an unknown id, and changes nothing', async () => {
    const p = await program();
    const { voucherId, pieceId } = await p.signedVoucher('1000');
    const key = (await api.ok('POST', '/v1/api-keys', { name: 'outsider', role: 'participant', party_ids: [p.outsider] }, 201)).key as string;
    const as = { acting_party_id: p.outsider };
    const pieceWrites: [string, Record<string, unknown>][] = [
      ['sign-off', as], ['decline', as], ['repurchase', as], ['split', { ...as, amounts: ['500', '500'] }],
      ['transfer', { ...as, to_party_id: p.s2 }], ['finance', { ...as, bank_id: p.outsider, annual_rate_bps: 100 }],
    ];
    const writes: [hidden: string, unknown: string, body: Record<string, unknown>][] = [
      ...pieceWrites.map(([action, body]): [string, string, Record<string, unknown>] => [`/v1/scf/pieces/${pieceId}/${action}`, `/v1/scf/pieces/${uuid()}/${action}`, body]),
      ...['settle', 'cancel'].map((action): [string, string, Record<string, unknown>] => [`/v1/scf/vouchers/${voucherId}/${action}`, `/v1/scf/vouchers/${uuid()}/${action}`, as]),
    ];
    const issue = { ...as, supplier_id: p.s1, face_amount: '1', maturity_date: '2026-03-01', contract_hash: hash(), invoice_hashes: [hash()] };
    const before = await stateOf(api);
    const answer = async (path: string, body: Record<string, unknown>) => {
      const response = await api.call('POST', path, { id: uuid(), ...body }, { key });
      return { status: response.statusCode, body: response.json() };
    };
    for (const [hidden, unknown, body] of writes) {
      const expected = await answer(unknown, body);
      expect(expected.status, unknown).toBe(404);
      expect(await answer(hidden, body), hidden).toEqual(expected);
    }
    const unknownProgram = await answer('/v1/scf/vouchers', { ...issue, program_id: 'no-such-program' });
    expectProblem(await api.call('POST', '/v1/scf/vouchers', { id: uuid(), ...issue, program_id: 'no-such-program' }, { key }), 404, 'program_not_found', '/program_id');
    expect(await answer('/v1/scf/vouchers', { ...issue, program_id: p.id })).toEqual(unknownProgram);
    expect(await stateOf(api)).toEqual(before);
    expect((await api.ok('GET', `/v1/scf/pieces/${pieceId}`)).status).toBe('held');
  });

  it('points a program refusal caused by one member at the field that names it', async () => {
    const p = await program();
    const body = { id: `${p.id}-2`, name: 'Second', core_enterprise_id: p.core, funding_bank_ids: [p.bank], supplier_ids: [p.s1, p.s2], ledger: fixture.ledger, credit_limit: '1000' };
    const before = await stateOf(api);
    const refused: [Record<string, unknown>, number, string, string][] = [
      [{ core_enterprise_id: 'no-such-party' }, 422, 'party_not_found', '/core_enterprise_id'],
      [{ funding_bank_ids: [p.bank, 'no-such-bank'] }, 422, 'party_not_found', '/funding_bank_ids/1'],
      [{ supplier_ids: [p.s1, 'no-such-supplier'] }, 422, 'party_not_found', '/supplier_ids/1'],
      [{ funding_bank_ids: [p.bank, p.s1] }, 422, 'party_listed_twice', '/supplier_ids/0'],
      [{ funding_bank_ids: [p.bank, p.bank] }, 422, 'party_listed_twice', '/funding_bank_ids/1'],
      [{ supplier_ids: [p.s1, p.core] }, 422, 'party_listed_twice', '/supplier_ids/1'],
      [{ funding_bank_ids: [p.bank, p.s2], supplier_ids: [p.s1] }, 422, 'not_a_funding_bank', '/funding_bank_ids/1'],
    ];
    for (const [fields, status, code, pointer] of refused) {
      const problem = expectProblem(await api.call('POST', '/v1/scf/programs', { ...body, ...fields }), status, code, pointer);
      expect(problem.errors).toHaveLength(1);
    }
    expectProblem(await api.call('POST', `/v1/scf/programs/${p.id}/suppliers`, { supplier_ids: [p.outsider, 'no-such-supplier'] }), 422, 'party_not_found', '/supplier_ids/1');
    expectProblem(await api.call('POST', `/v1/scf/programs/${p.id}/suppliers`, { supplier_ids: [p.outsider, p.bank] }), 422, 'party_listed_twice', '/supplier_ids/1');
    // A party named twice in one request is refused as at creation, at its second mention, whether it is new or already supplies.
    for (const [supplierIds, pointer] of [[[p.outsider, p.s1, p.outsider], '/supplier_ids/2'], [[p.s1, p.s1], '/supplier_ids/1']] as const) {
      const problem = expectProblem(await api.call('POST', `/v1/scf/programs/${p.id}/suppliers`, { supplier_ids: supplierIds }), 422, 'party_listed_twice', pointer);
      expect(problem.errors).toHaveLength(1);
    }
    expect(await stateOf(api)).toEqual(before);
  });

  it('answers a read of an unknown piece, voucher or program with a 404 naming the path parameter, and a participant\'s read of one it cannot see alike', async () => {
    const p = await program();
    const { voucherId, pieceId } = await p.signedVoucher('1000');
    const key = (await api.ok('POST', '/v1/api-keys', { name: 'outsider', role: 'participant', party_ids: [p.outsider] }, 201)).key as string;
    const reads: [hidden: string, unknown: string, code: string, pointer: string][] = [
      [`/v1/scf/vouchers/${voucherId}`, `/v1/scf/vouchers/${uuid()}`, 'voucher_not_found', '/params/voucher_id'],
      [`/v1/scf/vouchers/${voucherId}/proof`, `/v1/scf/vouchers/${uuid()}/proof`, 'voucher_not_found', '/params/voucher_id'],
      [`/v1/scf/pieces/${pieceId}`, `/v1/scf/pieces/${uuid()}`, 'piece_not_found', '/params/piece_id'],
      [`/v1/scf/programs/${p.id}`, '/v1/scf/programs/no-such-program', 'program_not_found', '/params/program_id'],
      [`/v1/scf/programs/${p.id}/overview`, '/v1/scf/programs/no-such-program/overview', 'program_not_found', '/params/program_id'],
      [`/v1/scf/programs/${p.id}/vouchers`, '/v1/scf/programs/no-such-program/vouchers', 'program_not_found', '/params/program_id'],
    ];
    for (const [hidden, unknown, code, pointer] of reads) {
      const problem = expectProblem(await api.call('GET', unknown), 404, code, pointer);
      expect(problem.errors, unknown).toHaveLength(1);
      const unknownToKey = await api.call('GET', unknown, undefined, { key });
      const hiddenToKey = await api.call('GET', hidden, undefined, { key });
      expectProblem(unknownToKey, 404, code, pointer);
      // The same answer but for the id it names.
      const hiddenProblem = expectProblem(hiddenToKey, 404, code, pointer);
      expect(Object.keys(hiddenProblem).sort(), hidden).toEqual(Object.keys(unknownToKey.json()).sort());
      expect(hiddenProblem.errors, hidden).toHaveLength(1);
    }
    expectProblem(await api.call('GET', `/v1/scf/parties/${p.s1}/pieces`, undefined, { key }), 404, 'party_not_found', '/params/party_id');
  });

  it('names a malformed voucher id of a proof request by the path parameter the API documents', async () => {
    expectProblem(await api.call('GET', '/v1/scf/vouchers/not-a-uuid/proof'), 400, 'validation_failed', '/params/voucher_id');
    expectProblem(await api.call('GET', `/v1/scf/vouchers/${uuid()}/proof`), 404, 'voucher_not_found');
  });

  it('answers two programs created at once under one id with other members one 201 and one 409, and leaves no stray member account', async () => {
    const p = await program();
    const id = `${p.id}-raced`;
    const base = { id, name: id, core_enterprise_id: p.core, ledger: fixture.ledger, credit_limit: '1000' };
    const otherBank = `${id}-bank`;
    await api.ok('POST', '/v1/parties', { id: otherBank, name: otherBank, kind: 'bank', jurisdiction: 'CN' }, 201);
    // The same party as a bank in one request and as a supplier in the other: its account would be opened twice, with two codes.
    const [first, second] = await Promise.all([
      api.call('POST', '/v1/scf/programs', { ...base, funding_bank_ids: [p.bank], supplier_ids: [p.s1] }),
      api.call('POST', '/v1/scf/programs', { ...base, funding_bank_ids: [otherBank], supplier_ids: [p.bank, p.outsider] }),
    ]);
    expect([first.statusCode, second.statusCode].sort()).toEqual([201, 409]);
    const loser = first.statusCode === 409 ? first : second;
    expectProblem(loser, 409, 'program_exists_with_different_fields', '/id');
    const created = await api.ok('GET', `/v1/scf/programs/${id}`);
    // Whichever lost opened no account: the winner's members are the program's only accounts.
    const opened = await api.platform.ledger.listAccounts({ order: 'desc', limit: 100 });
    const ofProgram = opened.filter((account) => (account.metadata ?? '').includes(`"scf_program":"${id}"`));
    expect(ofProgram.map((account) => account.id).sort()).toEqual(created.accounts.map((account: { account_id: string }) => account.account_id).sort());
    expect((await api.platform.verify()).problems).toEqual([]);
  });
});
