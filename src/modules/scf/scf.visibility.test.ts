import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { verifyProofFile } from '../journal/index.ts';
import { hash } from './scf.test-support.ts';

const DAY_MS = 86_400_000;

/** Who may read a voucher, its pieces and its proof with a participant key: the parties to it. */
describeEachDialect('supply-chain finance vouchers seen by the parties to them', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
    await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
  });
  afterAll(async () => api?.close());

  /** A program of its own, a participant key per member, and a helper issuing vouchers to s1. */
  async function program() {
    const prefix = `v${randomBytes(4).toString('hex')}`;
    const names = ['core', 'bank', 's1', 's2', 's3'] as const;
    const party = Object.fromEntries(names.map((name) => [name, `${prefix}-${name}`])) as Record<(typeof names)[number], string>;
    for (const name of names) await api.ok('POST', '/v1/parties', { id: party[name], name: party[name], kind: name === 'bank' ? 'bank' : 'enterprise', jurisdiction: 'CN' }, 201);
    const id = `${prefix}-program`;
    await api.ok('POST', '/v1/scf/programs', { id, name: id, core_enterprise_id: party.core, funding_bank_ids: [party.bank], supplier_ids: [party.s1, party.s2, party.s3], ledger: 1, credit_limit: '100000000' }, 201);
    const key: Record<string, string> = {};
    for (const name of names) key[name] = (await api.ok('POST', '/v1/api-keys', { name: party[name], role: 'participant', party_ids: [party[name]] }, 201)).key as string;
    const issue = async () => {
      const maturity = new Date(api.clock.nowMs() + 90 * DAY_MS).toISOString().slice(0, 10);
      const issued = await api.ok('POST', '/v1/scf/vouchers', { id: uuid(), program_id: id, acting_party_id: party.core, supplier_id: party.s1, face_amount: '1000', maturity_date: maturity, contract_hash: hash(), invoice_hashes: [hash()] }, 201);
      return { voucherId: issued.result.voucher_id as string, pieceId: issued.result.piece_id as string };
    };
    return { id, party, key, issue };
  }

  const proofStatus = async (voucherId: string, key: string) => (await api.call('GET', `/v1/scf/vouchers/${voucherId}/proof`, undefined, { key })).statusCode;

  it('lets the party a piece is offered to read the voucher\'s proof while the offer is open, and not after it declined', async () => {
    const p = await program();
    const { voucherId, pieceId } = await p.issue();
    // The first supplier checks what it is offered before its sign-off.
    const offered = await api.call('GET', `/v1/scf/vouchers/${voucherId}/proof`, undefined, { key: p.key.s1! });
    expect(offered.statusCode).toBe(200);
    expect(verifyProofFile(JSON.parse(offered.body), await api.platform.checkpoints.keysFile())).toMatchObject({ ok: true });
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/sign-off`, { id: uuid(), acting_party_id: p.party.s1 }, 201);

    expectProblem(await api.call('GET', `/v1/scf/vouchers/${voucherId}/proof`, undefined, { key: p.key.s2! }), 404, 'voucher_not_found', '/params/voucher_id');
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/transfer`, { id: uuid(), acting_party_id: p.party.s1, to_party_id: p.party.s2 }, 201);
    expect(await proofStatus(voucherId, p.key.s2!)).toBe(200);
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/decline`, { id: uuid(), acting_party_id: p.party.s2 }, 201);
    expectProblem(await api.call('GET', `/v1/scf/vouchers/${voucherId}/proof`, undefined, { key: p.key.s2! }), 404, 'voucher_not_found', '/params/voucher_id');
    // The holder still proves its voucher; a supplier that declined an issued voucher no longer sees it.
    expect(await proofStatus(voucherId, p.key.s1!)).toBe(200);
    const declined = await p.issue();
    expect(await proofStatus(declined.voucherId, p.key.s1!)).toBe(200);
    await api.ok('POST', `/v1/scf/pieces/${declined.pieceId}/decline`, { id: uuid(), acting_party_id: p.party.s1 }, 201);
    expect(await proofStatus(declined.voucherId, p.key.s1!)).toBe(404);
    expect(await proofStatus(declined.voucherId, p.key.core!)).toBe(200);
  });
});
