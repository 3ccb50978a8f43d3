import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { openSqlite } from '../../db/index.ts';
import { createProgramFixture, hash, openHarness } from './scf.test-support.ts';

const DAY_MS = 86_400_000;
/** A background verification of a small journal finishes well within this on a busy machine. */
const VERIFY_WAIT_MS = 30_000;
const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** tsx compiles the sources on each run, and the machine may be busy with other test files. */
const RUN_TIMEOUT_MS = 60_000;
const TEST_KEY_SECRET = 'scf-verify-test-key-secret';

/**
 * Who holds and who financed a piece decide who may read its voucher, so verification rebuilds
 * scf_holdings and scf_financings from the journal and names every row that differs from it.
 */
describeEachDialect('supply-chain finance holdings and financings checked against the journal', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
    await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
  });
  afterAll(async () => api?.close());

  /** What `GET /v1/journal/verify` reports, as the lines an operator reads. */
  const reported = async () => {
    const report = await api.ok('GET', '/v1/journal/verify');
    return { ok: report.ok as boolean, problems: (report.problems as { problem: string }[]).map((problem) => problem.problem) };
  };
  /** The same through a background verification job, as the console runs it. */
  const reportedByJob = async () => {
    const started = await api.call('POST', '/v1/journal/verify-jobs');
    const location = started.headers.location as string;
    const deadline = Date.now() + VERIFY_WAIT_MS;
    for (;;) {
      const job = await api.ok('GET', location);
      if (job.status !== 'running') return (job.report.problems as { problem: string }[]).map((problem) => problem.problem);
      if (Date.now() > deadline) throw new Error('the verification job did not finish');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  /**
   * A program whose voucher s1 signs off, splits, and passes one part to s2, who signs it off and
   * has it financed by the bank; a second voucher s1 finances and buys back.
   */
  async function scenario() {
    const prefix = `w${randomBytes(4).toString('hex')}`;
    const names = ['core', 'bank', 'bank2', 's1', 's2', 's3'] as const;
    const party = Object.fromEntries(names.map((name) => [name, `${prefix}-${name}`])) as Record<(typeof names)[number], string>;
    for (const name of names) await api.ok('POST', '/v1/parties', { id: party[name], name: party[name], kind: name.startsWith('bank') ? 'bank' : 'enterprise', jurisdiction: 'CN' }, 201);
    const id = `${prefix}-program`;
    const created = await api.ok('POST', '/v1/scf/programs', { id, name: id, core_enterprise_id: party.core, funding_bank_ids: [party.bank, party.bank2], supplier_ids: [party.s1, party.s2, party.s3], ledger: 1, credit_limit: '100000000' }, 201);
    const source = uuid();
    await api.ok('POST', '/v1/accounts', { id: source, ledger: 1, code: 100 }, 201);
    for (const member of [party.bank, party.s1]) {
      const account = created.accounts.find((entry: { party_id: string }) => entry.party_id === member).account_id as string;
      await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: account, amount: '1000000', ledger: 1, code: 1 }, 201);
    }
    const act = async (path: string, body: Record<string, unknown>) => (await api.ok('POST', path, { id: uuid(), ...body }, 201)).result;
    const issue = async () => {
      const maturity = new Date(api.clock.nowMs() + 90 * DAY_MS).toISOString().slice(0, 10);
      const issued = await act('/v1/scf/vouchers', { program_id: id, acting_party_id: party.core, supplier_id: party.s1, face_amount: '10000', maturity_date: maturity, contract_hash: hash(), invoice_hashes: [hash()] });
      await act(`/v1/scf/pieces/${issued.piece_id}/sign-off`, { acting_party_id: party.s1 });
      return { voucherId: issued.voucher_id as string, rootId: issued.piece_id as string };
    };
    const { voucherId, rootId } = await issue();
    const children = (await act(`/v1/scf/pieces/${rootId}/split`, { acting_party_id: party.s1, amounts: ['4000', '6000'] })).children as { piece_id: string }[];
    const passed = children[1]!.piece_id;
    await act(`/v1/scf/pieces/${passed}/transfer`, { acting_party_id: party.s1, to_party_id: party.s2 });
    await act(`/v1/scf/pieces/${passed}/sign-off`, { acting_party_id: party.s2 });
    const financeId = uuid();
    await api.ok('POST', `/v1/scf/pieces/${passed}/finance`, { id: financeId, acting_party_id: party.s2, bank_id: party.bank, annual_rate_bps: 400 }, 201);
    const bought = await issue();
    const boughtFinanceId = uuid();
    await api.ok('POST', `/v1/scf/pieces/${bought.rootId}/finance`, { id: boughtFinanceId, acting_party_id: party.s1, bank_id: party.bank, annual_rate_bps: 400 }, 201);
    api.clock.advance(3 * DAY_MS);
    await act(`/v1/scf/pieces/${bought.rootId}/repurchase`, { acting_party_id: party.s1 });
    const key = async (name: (typeof names)[number]) => (await api.ok('POST', '/v1/api-keys', { name: `${party[name]}-key`, role: 'participant', party_ids: [party[name]] }, 201)).key as string;
    return { party, voucherId, rootId, passed, financeId, bought, boughtFinanceId, key };
  }

  it('verifies untouched holdings and financings clean, over HTTP and in the background', async () => {
    await scenario();
    expect(await reported()).toEqual({ ok: true, problems: [] });
    expect(await reportedByJob()).toEqual([]);
  });

  it('names an operation missing from the index of operations by voucher, or listed under a voucher it does not concern', async () => {
    const s = await scenario();
    const { db } = api.platform;
    const seqs = (await db.all<{ seq: bigint }>('SELECT seq FROM scf_operation_vouchers WHERE voucher_id = ? ORDER BY seq', [s.voucherId])).map((row) => row.seq);
    expect(seqs.length).toBeGreaterThan(3);
    const hidden = seqs[2]!;
    await db.run('DELETE FROM scf_operation_vouchers WHERE voucher_id = ? AND seq = ?', [s.voucherId, hidden]);
    expect((await reported()).problems).toEqual([`operation ${hidden} is missing from scf_operation_vouchers, so its voucher's history and proof leave it out`]);
    await db.run('INSERT INTO scf_operation_vouchers (voucher_id, seq) VALUES (?, ?)', [s.bought.voucherId, hidden]);
    expect((await reported()).problems).toEqual([
      `scf_operation_vouchers lists operation ${hidden} under voucher ${s.bought.voucherId}, which it does not concern`,
      `operation ${hidden} is missing from scf_operation_vouchers, so its voucher's history and proof leave it out`,
    ]);
    await db.run('DELETE FROM scf_operation_vouchers WHERE voucher_id = ? AND seq = ?', [s.bought.voucherId, hidden]);
    await db.run('INSERT INTO scf_operation_vouchers (voucher_id, seq) VALUES (?, ?)', [s.voucherId, hidden]);
    expect(await reported()).toEqual({ ok: true, problems: [] });
  });

  it('names the voucher, piece, tier and column of an edited, removed or added holding', async () => {
    const s = await scenario();
    const { db } = api.platform;
    const s3Key = await s.key('s3');
    expect((await api.call('GET', `/v1/scf/vouchers/${s.voucherId}`, undefined, { key: s3Key })).statusCode).toBe(404);

    // An edited holder lets another party read the voucher; verification names it.
    await db.run('UPDATE scf_holdings SET holder_id = ? WHERE piece_id = ? AND tier = 2', [s.party.s3, s.passed]);
    expect((await api.call('GET', `/v1/scf/vouchers/${s.voucherId}`, undefined, { key: s3Key })).statusCode).toBe(200);
    const edited = `voucher ${s.voucherId}, piece ${s.passed}: the holding at tier 2 has holder_id ${s.party.s3} but the journal says ${s.party.s2}`;
    expect(await reported()).toEqual({ ok: false, problems: [edited] });
    expect(await reportedByJob()).toEqual([edited]);
    await db.run('UPDATE scf_holdings SET holder_id = ? WHERE piece_id = ? AND tier = 2', [s.party.s2, s.passed]);
    expect(await reported()).toEqual({ ok: true, problems: [] });

    // Its day and sign-off, too.
    const since = (await db.get<{ since: string }>('SELECT since FROM scf_holdings WHERE piece_id = ? AND tier = 1', [s.rootId]))!.since;
    await db.run("UPDATE scf_holdings SET since = '2020-01-01' WHERE piece_id = ? AND tier = 1", [s.rootId]);
    expect((await reported()).problems).toEqual([`voucher ${s.voucherId}, piece ${s.rootId}: the holding at tier 1 has since 2020-01-01 but the journal says ${since}`]);
    await db.run('UPDATE scf_holdings SET since = ? WHERE piece_id = ? AND tier = 1', [since, s.rootId]);
    expect(await reported()).toEqual({ ok: true, problems: [] });

    // A removed holding, and one no sign-off made.
    const row = await db.get<{ operation_id: string; since: string }>('SELECT operation_id, since FROM scf_holdings WHERE piece_id = ? AND tier = 2', [s.passed]);
    await db.run('DELETE FROM scf_holdings WHERE piece_id = ? AND tier = 2', [s.passed]);
    await db.run('INSERT INTO scf_holdings (piece_id, tier, holder_id, operation_id, since) VALUES (?, 2, ?, ?, ?)', [s.rootId, s.party.s3, uuid(), row!.since]);
    // Rows in the table that the journal lacks are listed first, then what the journal has that the table lacks.
    expect((await reported()).problems).toEqual([
      expect.stringMatching(new RegExp(`^voucher ${s.voucherId}, piece ${s.rootId}: a holding at tier 2 \\(holder ${s.party.s3}, operation [0-9a-f-]+\\) is in scf_holdings but no journaled sign-off made it$`)),
      `voucher ${s.voucherId}, piece ${s.passed}: the holding at tier 2 (holder ${s.party.s2}, operation ${row!.operation_id}) is missing from scf_holdings`,
    ]);
    await db.run('DELETE FROM scf_holdings WHERE piece_id = ? AND tier = 2', [s.rootId]);
    await db.run('INSERT INTO scf_holdings (piece_id, tier, holder_id, operation_id, since) VALUES (?, 2, ?, ?, ?)', [s.passed, s.party.s2, row!.operation_id, row!.since]);
    expect(await reported()).toEqual({ ok: true, problems: [] });
  });

  it('names the voucher, piece, operation and column of an edited, removed or added financing', async () => {
    const s = await scenario();
    const { db } = api.platform;
    const bank2Key = await s.key('bank2');

    // Another bank written in as the financier reads the voucher; verification names it.
    await db.run('UPDATE scf_financings SET bank_id = ? WHERE operation_id = ?', [s.party.bank2, s.financeId]);
    expect((await api.call('GET', `/v1/scf/vouchers/${s.voucherId}`, undefined, { key: bank2Key })).statusCode).toBe(200);
    expect(await reported()).toEqual({
      ok: false,
      problems: [`voucher ${s.voucherId}, piece ${s.passed}: the financing of operation ${s.financeId} has bank_id ${s.party.bank2} but the journal says ${s.party.bank}`],
    });
    await db.run('UPDATE scf_financings SET bank_id = ? WHERE operation_id = ?', [s.party.bank, s.financeId]);
    expect(await reported()).toEqual({ ok: true, problems: [] });

    // A financing moved to another piece.
    await db.run('UPDATE scf_financings SET piece_id = ? WHERE operation_id = ?', [s.rootId, s.financeId]);
    expect((await reported()).problems).toEqual([`voucher ${s.voucherId}, piece ${s.passed}: the financing of operation ${s.financeId} has piece_id ${s.rootId} but the journal says ${s.passed}`]);
    await db.run('UPDATE scf_financings SET piece_id = ? WHERE operation_id = ?', [s.passed, s.financeId]);

    // A removed financing (the repurchased one, which still lets its bank read the voucher's history).
    const row = await db.get<{ financed_on: string }>('SELECT financed_on FROM scf_financings WHERE operation_id = ?', [s.boughtFinanceId]);
    await db.run('DELETE FROM scf_financings WHERE operation_id = ?', [s.boughtFinanceId]);
    expect(await reported()).toEqual({
      ok: false,
      problems: [`voucher ${s.bought.voucherId}, piece ${s.bought.rootId}: the financing by bank ${s.party.bank} (operation ${s.boughtFinanceId}) is missing from scf_financings`],
    });
    await db.run('INSERT INTO scf_financings (operation_id, piece_id, voucher_id, bank_id, financed_on) VALUES (?, ?, ?, ?, ?)', [s.boughtFinanceId, s.bought.rootId, s.bought.voucherId, s.party.bank, row!.financed_on]);
    expect(await reported()).toEqual({ ok: true, problems: [] });

    // One no financing made, which would let the second bank read the voucher.
    const invented = uuid();
    await db.run('INSERT INTO scf_financings (operation_id, piece_id, voucher_id, bank_id, financed_on) VALUES (?, ?, ?, ?, ?)', [invented, s.rootId, s.voucherId, s.party.bank2, row!.financed_on]);
    const extra = `voucher ${s.voucherId}, piece ${s.rootId}: a financing by bank ${s.party.bank2} (operation ${invented}) is in scf_financings but no journaled financing made it`;
    expect(await reported()).toEqual({ ok: false, problems: [extra] });
    expect(await reportedByJob()).toEqual([extra]);
    await db.run('DELETE FROM scf_financings WHERE operation_id = ?', [invented]);
    expect(await reported()).toEqual({ ok: true, problems: [] });
  });

  it('names a piece whose financing, which decides the payee at maturity, differs from the journal', async () => {
    const s = await scenario();
    const { db } = api.platform;
    const stored = (await db.get<{ financing: string }>('SELECT financing FROM scf_pieces WHERE id = ?', [s.passed]))!.financing;
    await db.run('UPDATE scf_pieces SET financing = ? WHERE id = ?', [stored.replace(s.party.bank, s.party.bank2), s.passed]);
    expect((await reported()).problems).toEqual([expect.stringMatching(new RegExp(`^piece ${s.passed}: financing is bank ${s.party.bank2} seller ${s.party.s2} .* but the journal says bank ${s.party.bank} seller ${s.party.s2} `))]);
    await db.run('UPDATE scf_pieces SET financing = ? WHERE id = ?', [stored, s.passed]);
    // A repurchased piece has no financing; one written in is found too.
    await db.run('UPDATE scf_pieces SET financing = ? WHERE id = ?', [stored, s.bought.rootId]);
    expect((await reported()).problems).toEqual([expect.stringMatching(new RegExp(`^piece ${s.bought.rootId}: financing is bank ${s.party.bank} .* but the journal says null$`))]);
    await db.run('UPDATE scf_pieces SET financing = NULL WHERE id = ?', [s.bought.rootId]);
    expect(await reported()).toEqual({ ok: true, problems: [] });
  });
});

/** `sluice verify` on an installation's own database: the same findings, and exit code 1. */
describe('sluice verify with tampered holdings and financings', () => {
  const directory = mkdtempSync(join(tmpdir(), 'sluice-scf-verify-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));
  const file = join(directory, 'sluice.db');

  function sluiceVerify(): { status: number | null; stdout: string } {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify'], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: RUN_TIMEOUT_MS,
      env: { ...process.env, SLUICE_DATA_DIR: directory, SLUICE_DATABASE_URL: '', SLUICE_KEY_SECRET: TEST_KEY_SECRET },
    });
    return { status: run.status, stdout: run.stdout };
  }

  it('exits 1 naming a holder and a financing edited outside the journal, and 0 once they are put back', { timeout: 3 * RUN_TIMEOUT_MS }, async () => {
    const harness = await openHarness(async () => openSqlite(file), { keySecret: TEST_KEY_SECRET });
    const program = await createProgramFixture(harness, { fundBanks: 1_000_000n });
    const { voucherId, rootId } = await program.issued(10_000n);
    const financeId = uuid();
    await program.apply({ kind: 'finance', id: financeId, pieceId: rootId, actingPartyId: program.suppliers[0]!, bankId: program.banks[0]!, annualRateBps: 400 });
    await harness.close();
    expect(sluiceVerify().status).toBe(0);

    const db = openSqlite(file);
    await db.run('UPDATE scf_holdings SET holder_id = ? WHERE piece_id = ?', [program.suppliers[1]!, rootId]);
    await db.run('DELETE FROM scf_financings WHERE operation_id = ?', [financeId]);
    const failed = sluiceVerify();
    expect(failed.status).toBe(1);
    expect(failed.stdout).toMatch(/^FAILED: /);
    expect(failed.stdout).toContain(`: voucher ${voucherId}, piece ${rootId}: the holding at tier 1 has holder_id ${program.suppliers[1]} but the journal says ${program.suppliers[0]}\n`);
    expect(failed.stdout).toContain(`: voucher ${voucherId}, piece ${rootId}: the financing by bank ${program.banks[0]} (operation ${financeId}) is missing from scf_financings\n`);

    await db.run('UPDATE scf_holdings SET holder_id = ? WHERE piece_id = ?', [program.suppliers[0]!, rootId]);
    await db.run('INSERT INTO scf_financings (operation_id, piece_id, voucher_id, bank_id, financed_on) VALUES (?, ?, ?, ?, ?)', [financeId, rootId, voucherId, program.banks[0]!, harness.today()]);
    await db.close();
    expect(sluiceVerify()).toMatchObject({ status: 0, stdout: expect.stringMatching(/^OK: /) });
  });
});
