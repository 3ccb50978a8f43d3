/**
 * Which API key submitted each voucher operation: recorded with its decision, committed to by its
 * journal line (so an edited key breaks the batch digest), passed to the ledger with the transfers
 * it books, and shown on the voucher's history as other submitters are shown (staff keys every key,
 * a participant key only its own; null for the rest and for operations made inside the process).
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { verifyProofFile } from '../journal/index.ts';
import type { ItemResult, TransferError, TransferRequest } from '../ledger/index.ts';
import { pendingTransferId, resolvingTransferId } from './scf.operations.ts';
import { createInKeyRuns } from './scf.recovery.ts';
import { eventLine, keyCommitment, type OperationRecord } from './scf.repository.ts';
import { hash } from './scf.test-support.ts';

const DAY_MS = 86_400_000;

describe('the journal line of a voucher operation', () => {
  const record: OperationRecord = {
    seq: 7n, id: '0190a0b0-0000-7000-8000-000000000001', kind: 'split', fingerprint: 'f'.repeat(64), outcome: 'applied',
    result: '{"voucherId":"v"}', attempt: 0, createdAt: '2026-01-01T00:00:00.000Z', submittedBy: null,
  };

  it('is the line it was before keys were recorded when no key submitted the operation, so older entries verify unchanged', () => {
    expect(eventLine(record)).toBe(`7|${record.id}|split|${'f'.repeat(64)}|applied|0|{"voucherId":"v"}`);
  });

  it('ends with a commitment to the submitting key that differs for another key and another operation', () => {
    const line = eventLine({ ...record, submittedBy: 'a1b2c3d4e5f60718' });
    expect(line).toBe(`${eventLine(record)}|key:${keyCommitment(record.id, 'a1b2c3d4e5f60718')}`);
    expect(line).not.toContain('a1b2c3d4e5f60718');
    expect(eventLine({ ...record, submittedBy: 'a1b2c3d4e5f60719' })).not.toBe(line);
    expect(keyCommitment(uuid(), 'a1b2c3d4e5f60718')).not.toBe(keyCommitment(record.id, 'a1b2c3d4e5f60718'));
  });
});

describe('the ledger requests of a batch of voucher operations', () => {
  it('go one per run of operations of one key, in the batch\'s order, each operation\'s transfers in one request', async () => {
    const calls: [key: string | null | undefined, ids: string[]][] = [];
    const ledger = {
      createTransfers(requests: readonly TransferRequest[], submittedBy?: string | null): Promise<ItemResult<TransferError>[]> {
        calls.push([submittedBy, requests.map((request) => request.id)]);
        return Promise.resolve(requests.map((request) => ({ id: request.id, result: 'ok', timestamp: 1n, replayed: false }) as ItemResult<TransferError>));
      },
    };
    const item = (submittedBy: string | null, ...ids: string[]) => ({ submittedBy, requests: ids.map((id) => ({ id }) as TransferRequest) });
    const results = await createInKeyRuns(ledger, [item('a', 'a1', 'a2'), item('a', 'a3'), item('b', 'b1'), item(null, 'n1'), item('a', 'a4', 'a5')]);
    // A later operation of another key is never booked ahead of an earlier one (it could take its funds).
    expect(calls).toEqual([['a', ['a1', 'a2', 'a3']], ['b', ['b1']], [null, ['n1']], ['a', ['a4', 'a5']]]);
    expect(results.map((answers) => answers.map((answer) => answer.id))).toEqual([['a1', 'a2'], ['a3'], ['b1'], ['n1'], ['a4', 'a5']]);
  });
});

describeEachDialect('which key submitted a voucher operation', ({ open }) => {
  let api: Api;
  let adminKeyId: string;
  beforeAll(async () => {
    api = await startApi(open);
    await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
    adminKeyId = (await api.platform.auth.authenticate(api.adminKey))!.id;
  });
  afterAll(async () => api?.close());

  const keyFor = async (name: string, role: string, partyIds?: string[]) => {
    const created = await api.ok('POST', '/v1/api-keys', { name, role, ...(partyIds ? { party_ids: partyIds } : {}) }, 201);
    return { id: created.id as string, key: created.key as string };
  };

  /**
   * The bootstrap key issues a voucher; s1's key signs it off, splits it and passes a part to s2,
   * whose key accepts it; an operator key has s1's other part financed; the process itself freezes
   * and unfreezes a piece.
   */
  async function scenario() {
    const prefix = `k${randomBytes(4).toString('hex')}`;
    const names = ['core', 'bank', 's1', 's2'] as const;
    const party = Object.fromEntries(names.map((name) => [name, `${prefix}-${name}`])) as Record<(typeof names)[number], string>;
    for (const name of names) await api.ok('POST', '/v1/parties', { id: party[name], name: party[name], kind: name === 'bank' ? 'bank' : 'enterprise', jurisdiction: 'CN' }, 201);
    const id = `${prefix}-program`;
    const created = await api.ok('POST', '/v1/scf/programs', { id, name: id, core_enterprise_id: party.core, funding_bank_ids: [party.bank], supplier_ids: [party.s1, party.s2], ledger: 1, credit_limit: '100000000' }, 201);
    const source = uuid();
    await api.ok('POST', '/v1/accounts', { id: source, ledger: 1, code: 100 }, 201);
    const bankAccount = created.accounts.find((entry: { party_id: string }) => entry.party_id === party.bank).account_id as string;
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: source, credit_account_id: bankAccount, amount: '1000000', ledger: 1, code: 1 }, 201);
    const keys = {
      s1: await keyFor(`${prefix}-s1`, 'participant', [party.s1]), s2: await keyFor(`${prefix}-s2`, 'participant', [party.s2]),
      operator: await keyFor(`${prefix}-desk`, 'operator'), auditor: await keyFor(`${prefix}-audit`, 'auditor'),
    };
    const act = async (path: string, body: Record<string, unknown>, key?: string) => (await api.ok('POST', path, body, 201, key ? { key } : {})).result;
    const maturity = new Date(api.clock.nowMs() + 90 * DAY_MS).toISOString().slice(0, 10);
    const issued = await act('/v1/scf/vouchers', { id: uuid(), program_id: id, acting_party_id: party.core, supplier_id: party.s1, face_amount: '10000', maturity_date: maturity, contract_hash: hash(), invoice_hashes: [hash()] });
    const voucherId = issued.voucher_id as string;
    const rootId = issued.piece_id as string;
    await act(`/v1/scf/pieces/${rootId}/sign-off`, { id: uuid(), acting_party_id: party.s1 }, keys.s1.key);
    const split = { id: uuid(), acting_party_id: party.s1, amounts: ['4000', '6000'] };
    const [kept, passed] = ((await act(`/v1/scf/pieces/${rootId}/split`, split, keys.s1.key)).children as { piece_id: string }[]).map((child) => child.piece_id) as [string, string];
    await act(`/v1/scf/pieces/${passed}/transfer`, { id: uuid(), acting_party_id: party.s1, to_party_id: party.s2 }, keys.s1.key);
    await act(`/v1/scf/pieces/${passed}/sign-off`, { id: uuid(), acting_party_id: party.s2 }, keys.s2.key);
    const financeId = uuid();
    await act(`/v1/scf/pieces/${kept}/finance`, { id: financeId, acting_party_id: party.s1, bank_id: party.bank, annual_rate_bps: 400 }, keys.operator.key);
    for (const kind of ['freeze', 'unfreeze'] as const) {
      const outcome = await api.platform.scf.submit({ kind, id: uuid(), pieceId: passed, reason: 'court order' });
      expect(outcome.ok).toBe(true);
    }
    return { party, keys, voucherId, rootId, kept, passed, split, financeId };
  }

  /** The voucher's history as one key sees it, every page of `limit` operations: [kind, submitted_by]. */
  async function history(voucherId: string, key: string, limit = 100): Promise<[string, string | null][]> {
    const seen: [string, string | null][] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 20; pages++) {
      const body: { data: { kind: string; submitted_by: string | null }[]; next_cursor: string | null } =
        await api.ok('GET', `/v1/scf/vouchers/${voucherId}/operations?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, undefined, 200, { key });
      seen.push(...body.data.map((operation): [string, string | null] => [operation.kind, operation.submitted_by]));
      cursor = body.next_cursor;
      if (!cursor) return seen;
    }
    throw new Error('more pages than the scenario has operations');
  }

  it('shows every submitting key to staff and to a participant only its own, on every page of the voucher\'s history', async () => {
    const s = await scenario();
    const [admin, s1, s2, operator] = [adminKeyId, s.keys.s1.id, s.keys.s2.id, s.keys.operator.id];
    const everything: [string, string | null][] = [
      ['issue', admin], ['sign_off', s1], ['split', s1], ['transfer', s1], ['sign_off', s2], ['finance', operator], ['freeze', null], ['unfreeze', null],
    ];
    expect(await history(s.voucherId, s.keys.auditor.key)).toEqual(everything);
    expect(await history(s.voucherId, s.keys.auditor.key, 3)).toEqual(everything);
    expect(await history(s.voucherId, s.keys.s1.key)).toEqual(everything.map(([kind, key]) => [kind, key === s1 ? s1 : null]));
    expect(await history(s.voucherId, s.keys.s2.key)).toEqual(everything.map(([kind, key]) => [kind, key === s2 ? s2 : null]));
    // A retry by another key is the same operation, still submitted by the first.
    expect((await api.ok('POST', `/v1/scf/pieces/${s.rootId}/split`, s.split, 200, { key: s.keys.operator.key })).replayed).toBe(true);
    expect(await history(s.voucherId, s.keys.auditor.key)).toEqual(everything);
    // A refusal records its key too (it is journaled like any decision), and stays out of the history.
    const refused = uuid();
    expect((await api.call('POST', `/v1/scf/pieces/${s.passed}/transfer`, { id: refused, acting_party_id: s.party.s2, to_party_id: s.party.s2 }, { key: s.keys.s2.key })).statusCode).toBe(422);
    expect((await api.platform.db.get<{ submitted_by: string }>('SELECT submitted_by FROM scf_operations WHERE id = ?', [refused]))?.submitted_by).toBe(s2);
    expect(await history(s.voucherId, s.keys.auditor.key)).toEqual(everything);
    // The financing bank reads the history and no key id in it; a party to none of it is answered as for an unknown voucher.
    const bank = await keyFor('bank', 'participant', [s.party.bank]);
    expect(await history(s.voucherId, bank.key)).toEqual(everything.map(([kind]) => [kind, null]));
    const stranger = `${s.party.core}-stranger`;
    await api.ok('POST', '/v1/parties', { id: stranger, name: stranger, kind: 'enterprise', jurisdiction: 'CN' }, 201);
    const strangerKey = await keyFor('stranger', 'participant', [stranger]);
    expect((await api.call('GET', `/v1/scf/vouchers/${s.voucherId}/operations`, undefined, { key: strangerKey.key })).statusCode).toBe(404);
    expect((await api.call('GET', `/v1/scf/vouchers/${uuid()}/operations`)).statusCode).toBe(404);
  });

  it('passes the submitting key to the ledger with the transfers a financing books', async () => {
    const s = await scenario();
    const pending = pendingTransferId(s.financeId, 0, 0);
    const submitter = async (transferId: string, key: string) => (await api.ok('GET', `/v1/transfers/${transferId}`, undefined, 200, { key })).submitted_by;
    expect(await submitter(pending, s.keys.auditor.key)).toBe(s.keys.operator.id);
    expect(await submitter(resolvingTransferId(pending, 'post'), s.keys.auditor.key)).toBe(s.keys.operator.id);
  });

  it('breaks the journal digest when a recorded key is edited or removed, and verifies again once it is put back', async () => {
    const s = await scenario();
    const { db } = api.platform;
    expect((await api.platform.verify()).ok).toBe(true);
    const splitKey = await db.get<{ submitted_by: string }>('SELECT submitted_by FROM scf_operations WHERE id = ?', [s.split.id]);
    expect(splitKey?.submitted_by).toBe(s.keys.s1.id);
    for (const edited of [s.keys.s2.id, null]) {
      await db.run('UPDATE scf_operations SET submitted_by = ? WHERE id = ?', [edited, s.split.id]);
      const report = await api.platform.verify();
      expect(report.ok).toBe(false);
      expect(report.problems.map((problem) => problem.problem)).toContainEqual(expect.stringMatching(/^the operations \d+\.\.\d+ do not match the digest of their journal entry/));
    }
    await db.run('UPDATE scf_operations SET submitted_by = ? WHERE id = ?', [s.keys.s1.id, s.split.id]);
    expect((await api.platform.verify()).ok).toBe(true);
  });

  it('hands a party the voucher\'s proof with commitments to the keys, not other keys\' ids', async () => {
    const s = await scenario();
    const proof = await api.ok('GET', `/v1/scf/vouchers/${s.voucherId}/proof`, undefined, 200, { key: s.keys.s2.key });
    expect(verifyProofFile(proof, await api.platform.checkpoints.keysFile())).toMatchObject({ ok: true });
    const text = JSON.stringify(proof);
    for (const other of [adminKeyId, s.keys.s1.id, s.keys.operator.id]) expect(text).not.toContain(other);
    const lines = (proof.entries as { records: { line: string }[] }[]).flatMap((entry) => entry.records.map((record) => record.line));
    // s2 recognises its own sign-off by the commitment to its key.
    const own = lines.filter((line) => line.includes('|sign_off|') && line.endsWith(`|key:${keyCommitment(line.split('|')[1]!, s.keys.s2.id)}`));
    expect(own).toHaveLength(1);
  });
});
