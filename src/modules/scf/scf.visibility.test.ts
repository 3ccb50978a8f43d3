import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { migrate } from '../../db/index.ts';
import { verifyProofFile } from '../journal/index.ts';
import { scfMigrations } from './index.ts';
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
    const names = ['core', 'bank', 'bank2', 's1', 's2', 's3'] as const;
    const party = Object.fromEntries(names.map((name) => [name, `${prefix}-${name}`])) as Record<(typeof names)[number], string>;
    for (const name of names) await api.ok('POST', '/v1/parties', { id: party[name], name: party[name], kind: name.startsWith('bank') ? 'bank' : 'enterprise', jurisdiction: 'CN' }, 201);
    const id = `${prefix}-program`;
    await api.ok('POST', '/v1/scf/programs', { id, name: id, core_enterprise_id: party.core, funding_bank_ids: [party.bank, party.bank2], supplier_ids: [party.s1, party.s2, party.s3], ledger: 1, credit_limit: '100000000' }, 201);
    const key: Record<string, string> = {};
    for (const name of names) key[name] = (await api.ok('POST', '/v1/api-keys', { name: party[name], role: 'participant', party_ids: [party[name]] }, 201)).key as string;
    const issue = async (faceAmount = '1000', termDays = 90) => {
      const maturity = new Date(api.clock.nowMs() + termDays * DAY_MS).toISOString().slice(0, 10);
      const issued = await api.ok('POST', '/v1/scf/vouchers', { id: uuid(), program_id: id, acting_party_id: party.core, supplier_id: party.s1, face_amount: faceAmount, maturity_date: maturity, contract_hash: hash(), invoice_hashes: [hash()] }, 201);
      return { voucherId: issued.result.voucher_id as string, pieceId: issued.result.piece_id as string };
    };
    /** Credits a member's account from a fresh account without limits. */
    const fund = async (name: (typeof names)[number], amount: string) => {
      const source = uuid();
      const account = (await api.ok('GET', `/v1/scf/programs/${id}`)).accounts.find((entry: { party_id: string }) => entry.party_id === party[name]).account_id as string;
      await api.ok('POST', '/v1/accounts', { id: source, ledger: 1, code: 100 }, 201);
      await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: account, amount, ledger: 1, code: 1 }, 201);
    };
    return { id, party, key, issue, fund };
  }

  /** Every voucher id a key lists in a program, page by page. */
  async function listed(programId: string, key: string): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const body: { data: { id: string }[]; next_cursor: string | null } = await api.ok('GET', `/v1/scf/programs/${programId}/vouchers?limit=1${cursor ? `&cursor=${cursor}` : ''}`, undefined, 200, { key });
      seen.push(...body.data.map((voucher) => voucher.id));
      cursor = body.next_cursor;
      if (!cursor) return seen;
    }
    throw new Error('more pages than a test program has');
  }

  /** The overview a key should get: the totals of the vouchers it lists, each opened with the same key. */
  async function totalsOfListed(programId: string, key: string, today: string) {
    type Current = { amount: string; status: string; tier: number };
    const byTier = new Map<number, { amount: bigint; pieces: number }>();
    const ladder = new Map<string, { amount: bigint; vouchers: number }>();
    let [outstanding, financed, overdueAmount, overdueVouchers] = [0n, 0n, 0n, 0];
    for (const id of await listed(programId, key)) {
      const voucher: { status: string; face_amount: string; maturity_date: string; current_pieces: Current[] } = await api.ok('GET', `/v1/scf/vouchers/${id}`, undefined, 200, { key });
      if (voucher.status !== 'active') continue;
      const face = BigInt(voucher.face_amount);
      const month = voucher.maturity_date.slice(0, 7);
      const rung = ladder.get(month) ?? { amount: 0n, vouchers: 0 };
      ladder.set(month, { amount: rung.amount + face, vouchers: rung.vouchers + 1 });
      if (voucher.maturity_date <= today) [overdueAmount, overdueVouchers] = [overdueAmount + face, overdueVouchers + 1];
      for (const piece of voucher.current_pieces) {
        const amount = BigInt(piece.amount);
        outstanding += amount;
        if (piece.status === 'financed') financed += amount;
        const tier = byTier.get(piece.tier) ?? { amount: 0n, pieces: 0 };
        byTier.set(piece.tier, { amount: tier.amount + amount, pieces: tier.pieces + 1 });
      }
    }
    return {
      outstanding: String(outstanding), financed: String(financed), overdue: { amount: String(overdueAmount), vouchers: overdueVouchers },
      by_tier: [...byTier].sort(([a], [b]) => a - b).map(([tier, row]) => ({ tier, amount: String(row.amount), pieces: row.pieces })),
      maturity_ladder: [...ladder].sort(([a], [b]) => a.localeCompare(b)).map(([month, row]) => ({ month, amount: String(row.amount), vouchers: row.vouchers })),
    };
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

  it('answers a member that is no party to a voucher as for an unknown id, and lets each party read it', async () => {
    const p = await program();
    const { voucherId, pieceId } = await p.issue();
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/sign-off`, { id: uuid(), acting_party_id: p.party.s1 }, 201);
    const reads: [path: string, unknown: string, code: string, pointer: string][] = [
      [`/v1/scf/vouchers/${voucherId}`, `/v1/scf/vouchers/${uuid()}`, 'voucher_not_found', '/params/voucher_id'],
      [`/v1/scf/vouchers/${voucherId}/proof`, `/v1/scf/vouchers/${uuid()}/proof`, 'voucher_not_found', '/params/voucher_id'],
      [`/v1/scf/vouchers/${voucherId}/operations`, `/v1/scf/vouchers/${uuid()}/operations`, 'voucher_not_found', '/params/voucher_id'],
      [`/v1/scf/pieces/${pieceId}`, `/v1/scf/pieces/${uuid()}`, 'piece_not_found', '/params/piece_id'],
    ];
    const readers = async () => {
      const allowed: string[] = [];
      for (const name of ['core', 'bank', 's1', 's2', 's3']) {
        const answers = await Promise.all(reads.map(async ([path]) => (await api.call('GET', path, undefined, { key: p.key[name]! })).statusCode));
        expect(new Set(answers).size, name).toBe(1);
        if (answers[0] === 200) allowed.push(name);
      }
      return allowed;
    };
    expect(await readers()).toEqual(['core', 's1']);
    for (const [path, unknown, code, pointer] of reads) {
      const hidden = expectProblem(await api.call('GET', path, undefined, { key: p.key.s3! }), 404, code, pointer);
      expect(Object.keys(hidden).sort(), path).toEqual(Object.keys(expectProblem(await api.call('GET', unknown, undefined, { key: p.key.s3! }), 404, code, pointer)).sort());
    }
    // Acting on it is answered alike, and changes nothing.
    expectProblem(await api.call('POST', `/v1/scf/pieces/${pieceId}/sign-off`, { id: uuid(), acting_party_id: p.party.s3 }, { key: p.key.s3! }), 404, 'piece_not_found');
    expectProblem(await api.call('POST', `/v1/scf/vouchers/${voucherId}/settle`, { id: uuid(), acting_party_id: p.party.s3 }, { key: p.key.s3! }), 404, 'voucher_not_found');

    // The bank that finances a piece, and a holder down the lineage, may read it too.
    await p.fund('bank', '1000000');
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/finance`, { id: uuid(), acting_party_id: p.party.s1, bank_id: p.party.bank, annual_rate_bps: 450 }, 201);
    expect(await readers()).toEqual(['core', 'bank', 's1']);
  });

  it('lists to a participant only the vouchers it may read, page by page', async () => {
    const p = await program();
    const vouchers: string[] = [];
    const pieces: string[] = [];
    for (let index = 0; index < 5; index++) {
      const { voucherId, pieceId } = await p.issue();
      vouchers.push(voucherId);
      pieces.push(pieceId);
      await api.ok('POST', `/v1/scf/pieces/${pieceId}/sign-off`, { id: uuid(), acting_party_id: p.party.s1 }, 201);
      // Every other voucher passes on to s2; the last is only offered to it.
      if (index % 2 === 0) {
        await api.ok('POST', `/v1/scf/pieces/${pieceId}/transfer`, { id: uuid(), acting_party_id: p.party.s1, to_party_id: p.party.s2 }, 201);
        if (index < 4) await api.ok('POST', `/v1/scf/pieces/${pieceId}/sign-off`, { id: uuid(), acting_party_id: p.party.s2 }, 201);
      }
    }
    // The bank finances the piece s1 kept of the second voucher.
    await p.fund('bank', '1000000');
    await api.ok('POST', `/v1/scf/pieces/${pieces[1]}/finance`, { id: uuid(), acting_party_id: p.party.s1, bank_id: p.party.bank, annual_rate_bps: 450 }, 201);
    const sorted = [...vouchers].sort();
    expect(await listed(p.id, p.key.core!)).toEqual(sorted);
    expect(await listed(p.id, p.key.s1!)).toEqual(sorted);
    expect(await listed(p.id, p.key.s2!)).toEqual([vouchers[0], vouchers[2], vouchers[4]].sort());
    expect(await listed(p.id, p.key.s3!)).toEqual([]);
    expect(await listed(p.id, p.key.bank!)).toEqual([vouchers[1]]);
    // Every voucher listed opens.
    for (const id of await listed(p.id, p.key.s2!)) await api.ok('GET', `/v1/scf/vouchers/${id}`, undefined, 200, { key: p.key.s2! });
  });

  it('sums a participant\'s program overview over the vouchers it may read, and the whole program for other keys', async () => {
    const p = await program();
    await p.fund('bank', '1000000');
    await p.fund('bank2', '1000000');
    const act = (path: string, body: Record<string, unknown>) => api.ok('POST', path, { id: uuid(), ...body }, 201);
    // Passed on to s2, which signs off; due first, so that it is overdue below.
    const passed = await p.issue('1000', 30);
    await act(`/v1/scf/pieces/${passed.pieceId}/sign-off`, { acting_party_id: p.party.s1 });
    await act(`/v1/scf/pieces/${passed.pieceId}/transfer`, { acting_party_id: p.party.s1, to_party_id: p.party.s2 });
    await act(`/v1/scf/pieces/${passed.pieceId}/sign-off`, { acting_party_id: p.party.s2 });
    // Split by s1, one part financed by the bank.
    const split = await p.issue('2000', 60);
    await act(`/v1/scf/pieces/${split.pieceId}/sign-off`, { acting_party_id: p.party.s1 });
    const parts = (await act(`/v1/scf/pieces/${split.pieceId}/split`, { acting_party_id: p.party.s1, amounts: ['1200', '800'] })).result.children as { piece_id: string }[];
    await act(`/v1/scf/pieces/${parts[1]!.piece_id}/finance`, { acting_party_id: p.party.s1, bank_id: p.party.bank, annual_rate_bps: 400 });
    // Offered to s3 and not yet accepted; financed whole by the second bank; awaiting s1's first sign-off.
    const offered = await p.issue('4000', 120);
    await act(`/v1/scf/pieces/${offered.pieceId}/sign-off`, { acting_party_id: p.party.s1 });
    await act(`/v1/scf/pieces/${offered.pieceId}/transfer`, { acting_party_id: p.party.s1, to_party_id: p.party.s3 });
    const other = await p.issue('8000', 150);
    await act(`/v1/scf/pieces/${other.pieceId}/sign-off`, { acting_party_id: p.party.s1 });
    await act(`/v1/scf/pieces/${other.pieceId}/finance`, { acting_party_id: p.party.s1, bank_id: p.party.bank2, annual_rate_bps: 500 });
    await p.issue('16000', 90);
    api.clock.advance(45 * DAY_MS);

    const auditor = (await api.ok('POST', '/v1/api-keys', { name: `${p.id}-auditor`, role: 'auditor' }, 201)).key as string;
    const overviewOf = async (key: string) => api.ok('GET', `/v1/scf/programs/${p.id}/overview`, undefined, 200, { key });
    const totals: Record<string, string> = {};
    for (const [name, key] of [...Object.entries(p.key), ['admin', api.adminKey], ['auditor', auditor]] as [string, string][]) {
      const overview = await overviewOf(key);
      expect(overview, name).toMatchObject(await totalsOfListed(p.id, key, overview.today));
      totals[name] = overview.outstanding;
    }
    // The issuer, admin and auditor keys see the whole program; each other member only its vouchers.
    expect(totals).toEqual({ core: '31000', admin: '31000', auditor: '31000', s1: '31000', s2: '1000', s3: '4000', bank: '2000', bank2: '8000' });
    expect(await overviewOf(p.key.s2!)).toMatchObject({ financed: '0', overdue: { amount: '1000', vouchers: 1 }, maturity_ladder: [{ amount: '1000', vouchers: 1 }] });
    expect(await overviewOf(p.key.bank!)).toMatchObject({ financed: '800', financed_share_bps: 4000, overdue: { amount: '0', vouchers: 0 }, by_tier: [{ tier: 1, amount: '2000', pieces: 2 }] });
    expect((await overviewOf(api.adminKey)).financed).toBe('8800');
  });

  it('shows the program\'s remaining credit limit only to keys that see the whole program, and figures that add up to every key', async () => {
    const p = await program();
    await p.fund('bank', '1000000');
    const act = (path: string, body: Record<string, unknown>) => api.ok('POST', path, { id: uuid(), ...body }, 201);
    // s1 keeps one voucher, passes another to s2, and has a third financed by the bank; s3 has none.
    const kept = await p.issue('1000');
    await act(`/v1/scf/pieces/${kept.pieceId}/sign-off`, { acting_party_id: p.party.s1 });
    const passed = await p.issue('20000');
    await act(`/v1/scf/pieces/${passed.pieceId}/sign-off`, { acting_party_id: p.party.s1 });
    await act(`/v1/scf/pieces/${passed.pieceId}/transfer`, { acting_party_id: p.party.s1, to_party_id: p.party.s2 });
    await act(`/v1/scf/pieces/${passed.pieceId}/sign-off`, { acting_party_id: p.party.s2 });
    const financed = await p.issue('300000');
    await act(`/v1/scf/pieces/${financed.pieceId}/sign-off`, { acting_party_id: p.party.s1 });
    await act(`/v1/scf/pieces/${financed.pieceId}/finance`, { acting_party_id: p.party.s1, bank_id: p.party.bank, annual_rate_bps: 400 });

    const auditor = (await api.ok('POST', '/v1/api-keys', { name: `${p.id}-auditor`, role: 'auditor' }, 201)).key as string;
    const keys = { ...p.key, admin: api.adminKey, auditor } as Record<string, string>;
    const expected: Record<string, { outstanding: string; available: string | null }> = {
      admin: { outstanding: '321000', available: '99679000' },
      auditor: { outstanding: '321000', available: '99679000' },
      core: { outstanding: '321000', available: '99679000' },
      s1: { outstanding: '321000', available: null },
      s2: { outstanding: '20000', available: null },
      s3: { outstanding: '0', available: null },
      bank: { outstanding: '300000', available: null },
      bank2: { outstanding: '0', available: null },
    };
    for (const [name, key] of Object.entries(keys)) {
      const overview = await api.ok('GET', `/v1/scf/programs/${p.id}/overview`, undefined, 200, { key });
      const view = await api.ok('GET', `/v1/scf/programs/${p.id}`, undefined, 200, { key });
      const listedPrograms: { id: string }[] = (await api.ok('GET', '/v1/scf/programs?limit=100', undefined, 200, { key })).data;
      const inList = listedPrograms.find((entry) => entry.id === p.id);
      for (const [where, body] of [['overview', overview], ['program', view], ['list', inList]] as const) {
        expect({ outstanding: body.outstanding, available: body.available }, `${name} ${where}`).toEqual(expected[name]);
        expect(body.credit_limit, `${name} ${where}`).toBe('100000000');
        if (body.available !== null) expect(BigInt(body.outstanding) + BigInt(body.available), `${name} ${where}`).toBe(BigInt(body.credit_limit));
      }
      // A key that does not see the whole program finds neither its headroom nor its total anywhere.
      if (expected[name]!.available === null && name !== 's1') {
        for (const body of [overview, view, inList]) expect(JSON.stringify(body), name).not.toMatch(/"(99679000|321000)"/);
      }
    }
  });

  it('keeps a bank that financed a piece reading it, its voucher and its proof after the piece is repurchased, and no other bank', async () => {
    const p = await program();
    await p.fund('bank', '1000000');
    await p.fund('s1', '1000000');
    const { voucherId, pieceId } = await p.issue();
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/sign-off`, { id: uuid(), acting_party_id: p.party.s1 }, 201);
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/finance`, { id: uuid(), acting_party_id: p.party.s1, bank_id: p.party.bank, annual_rate_bps: 450 }, 201);
    api.clock.advance(10 * DAY_MS);
    await api.ok('POST', `/v1/scf/pieces/${pieceId}/repurchase`, { id: uuid(), acting_party_id: p.party.s1 }, 201);
    expect(await api.ok('GET', `/v1/scf/pieces/${pieceId}`)).toMatchObject({ status: 'held', financing: null });

    const reads: [path: string, unknown: string, code: string, pointer: string][] = [
      [`/v1/scf/vouchers/${voucherId}`, `/v1/scf/vouchers/${uuid()}`, 'voucher_not_found', '/params/voucher_id'],
      [`/v1/scf/vouchers/${voucherId}/proof`, `/v1/scf/vouchers/${uuid()}/proof`, 'voucher_not_found', '/params/voucher_id'],
      [`/v1/scf/pieces/${pieceId}`, `/v1/scf/pieces/${uuid()}`, 'piece_not_found', '/params/piece_id'],
    ];
    const expectFinancierReads = async () => {
      for (const [path, unknown, code, pointer] of reads) {
        await api.ok('GET', path, undefined, 200, { key: p.key.bank! });
        // Another funding bank of the program, which financed nothing of it, learns nothing.
        const hidden = expectProblem(await api.call('GET', path, undefined, { key: p.key.bank2! }), 404, code, pointer);
        expect(Object.keys(hidden).sort(), path).toEqual(Object.keys(expectProblem(await api.call('GET', unknown, undefined, { key: p.key.bank2! }), 404, code, pointer)).sort());
      }
      const proof = await api.call('GET', `/v1/scf/vouchers/${voucherId}/proof`, undefined, { key: p.key.bank! });
      expect(verifyProofFile(JSON.parse(proof.body), await api.platform.checkpoints.keysFile())).toMatchObject({ ok: true });
      expect(await listed(p.id, p.key.bank!)).toEqual([voucherId]);
      expect(await listed(p.id, p.key.bank2!)).toEqual([]);
      expect((await api.ok('GET', `/v1/scf/programs/${p.id}/overview`, undefined, 200, { key: p.key.bank! })).outstanding).toBe('1000');
    };
    await expectFinancierReads();

    // A database whose financings were decided before their table existed fills it from the decided operations.
    await api.platform.db.run('DROP TABLE scf_financings');
    await api.platform.db.run("DELETE FROM schema_migrations WHERE id = 'scf/002_financings'");
    expect(await migrate(api.platform.db, scfMigrations)).toEqual(['scf/002_financings']);
    await expectFinancierReads();
  });
});
