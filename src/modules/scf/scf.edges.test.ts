import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startSeededApi, uuid, type Api, type Fixture } from '../../../test/http/harness.ts';
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
});
