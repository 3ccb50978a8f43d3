/**
 * Which API key submitted a transfer or opened an account: the ledger batch's journal entry records
 * the key of every request whose records it stored, and GET /v1/transfers/{id} and
 * GET /v1/accounts/{id} show it as payments show theirs (staff keys every key, a participant key only
 * its own).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/databases.ts';
import { seed, startApi, uuid, type Api, type Fixture } from './harness.ts';

describeEachDialect('who submitted a transfer', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  let adminKeyId: string;
  let operator: { id: string; key: string };
  let alice: { id: string; key: string };
  let auditorKey: string;

  beforeAll(async () => {
    api = await startApi(open);
    fixture = await seed(api);
    adminKeyId = (await api.platform.auth.authenticate(api.adminKey))!.id;
    operator = await api.ok('POST', '/v1/api-keys', { name: 'operator', role: 'operator' }, 201);
    alice = await api.ok('POST', '/v1/api-keys', { name: 'alice', role: 'participant', party_ids: ['party-alice'] }, 201);
    auditorKey = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
  });
  afterAll(async () => api?.close());

  const transfer = (from: string, to: string, amount = '10') => ({ id: uuid(), debit_account_id: from, credit_account_id: to, amount, ledger: 1, code: 1 });
  const submitter = async (id: string, key: string) => (await api.ok('GET', `/v1/transfers/${id}`, undefined, 200, { key })).submitted_by;

  it('shows each transfer\'s submitting key to staff, and to a participant only its own', async () => {
    const byAdmin = transfer(fixture.bank, fixture.bob);
    await api.ok('POST', '/v1/transfers', byAdmin, 201);
    const byOperator = [transfer(fixture.bank, fixture.alice), transfer(fixture.bank, fixture.bob)];
    const batch = await api.ok('POST', '/v1/transfers', { transfers: byOperator }, 200, { key: operator.key });
    expect(batch.results.map((result: { result: string }) => result.result)).toEqual(['ok', 'ok']);
    const byAlice = transfer(fixture.alice, fixture.bob, '1');
    await api.ok('POST', '/v1/transfers', byAlice, 201, { key: alice.key });
    const inProcess = uuid();
    const [booked] = await api.platform.ledger.createTransfers([{ id: inProcess, debitAccountId: fixture.bank, creditAccountId: fixture.alice, amount: 5n, ledger: 1, code: 1, flags: 0 }]);
    expect(booked?.result).toBe('ok');

    expect(await submitter(byAdmin.id, auditorKey)).toBe(adminKeyId);
    for (const item of byOperator) expect(await submitter(item.id, auditorKey)).toBe(operator.id);
    expect(await submitter(byAlice.id, auditorKey)).toBe(alice.id);
    expect(await submitter(inProcess, auditorKey)).toBeNull();
    // A participant sees its own key, and no other key's id.
    expect(await submitter(byAlice.id, alice.key)).toBe(alice.id);
    expect(await submitter(byOperator[0]!.id, alice.key)).toBeNull();
    // A replay does not change who submitted it.
    await api.ok('POST', '/v1/transfers', byAdmin, 200, { key: operator.key });
    expect(await submitter(byAdmin.id, auditorKey)).toBe(adminKeyId);
  });

  it('shows the key that opened an account the same way', async () => {
    const opened = { id: uuid(), ledger: 1, code: 300, party_id: 'party-alice' };
    const answer = await api.ok('POST', '/v1/accounts', { accounts: [opened] }, 200, { key: operator.key });
    expect(answer.results[0].result).toBe('ok');
    const openedBy = async (id: string, key: string) => (await api.ok('GET', `/v1/accounts/${id}`, undefined, 200, { key })).submitted_by;
    expect(await openedBy(opened.id, auditorKey)).toBe(operator.id);
    expect(await openedBy(fixture.bank, auditorKey)).toBe(adminKeyId);
    // Alice's own account, opened by another key: she does not learn which.
    expect(await openedBy(opened.id, alice.key)).toBeNull();
    const inProcess = uuid();
    await api.platform.ledger.createAccounts([{ id: inProcess, ledger: 1, code: 300, flags: 0 }]);
    expect(await openedBy(inProcess, auditorKey)).toBeNull();
  });

  it('keeps the record in the journal, where an edit of it breaks the chain', async () => {
    const byOperator = transfer(fixture.bank, fixture.bob);
    await api.ok('POST', '/v1/transfers', byOperator, 201, { key: operator.key });
    const stored = await api.platform.ledger.getTransfer(byOperator.id);
    const entry = await api.platform.journal.entryAt('ledger.batch', stored!.timestamp);
    const payload = JSON.parse(entry!.payload) as { keys: [string, string, string][] };
    expect(payload.keys).toEqual([[operator.id, String(stored!.timestamp), String(stored!.timestamp)]]);
    expect((await api.platform.verify()).ok).toBe(true);
    // Someone with the database names another key: the entry's hash no longer matches it.
    const edited = entry!.payload.replace(operator.id, adminKeyId);
    await api.platform.db.run('UPDATE journal_entries SET payload = ? WHERE seq = ?', [edited, entry!.seq]);
    const report = await api.platform.verify();
    expect(report.problems.map((problem) => problem.problem)).toContainEqual('hash does not match the entry content: it was edited');
    // A payload edited out of shape names nobody, and still answers.
    await api.platform.db.run('UPDATE journal_entries SET payload = ? WHERE seq = ?', ['not json', entry!.seq]);
    expect(await submitter(byOperator.id, auditorKey)).toBeNull();
    await api.platform.db.run('UPDATE journal_entries SET payload = ? WHERE seq = ?', [entry!.payload, entry!.seq]);
    expect((await api.platform.verify()).ok).toBe(true);
  });
});
