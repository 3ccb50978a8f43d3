import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { setUpNetwork } from '../payments/payments.http.test-support.ts';
import { CASES_LIMITS } from './cases.limits.ts';

type Link = { id: string; linked_at: string };
type View = { id: string; links: Record<'transfers' | 'payments' | 'accounts' | 'parties', Link[]>; audit: { action: string; actor: string; detail: Record<string, unknown> }[]; alerts: { payment_ids: string[] }[] };
const ids = (links: readonly Link[]) => links.map((link) => link.id).sort();

/**
 * Analysts link payments (by UETR), transfers and parties to a case, when opening it and while working
 * it; each must exist (a payment, a ledger transfer, a registered party), else nothing is linked.
 */
describeEachDialect('linking payments, transfers and parties to a case', ({ open }) => {
  let api: Api;
  let analyst: string;
  let auditor: string;
  const uetrs: string[] = [];
  /** Ledger transfers that exist, and registered parties. */
  const transfers: string[] = [];
  const parties = ['party-a', 'party-b', 'party-audited', 'party-one-more'];
  beforeAll(async () => {
    api = await startApi(open);
    analyst = (await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201)).key;
    auditor = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    const network = await setUpNetwork(api);
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.cn, 'CNY')];
    for (let i = 0; i < 3; i++) {
      uetrs.push((await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '1000', currency: 'CNY' }, 201)).uetr);
    }
    for (let i = 0; i < 8; i++) {
      const id = uuid();
      await api.ok('POST', '/v1/transfers', { id, debit_account_id: network.source.CNY, credit_account_id: to.id, amount: '1', ledger: 1, code: 1 }, 201);
      transfers.push(id);
    }
    for (const id of parties) await api.ok('POST', '/v1/parties', { id, name: `Party ${id}`, kind: 'individual', jurisdiction: 'CN' }, 201);
  });
  const transfer = (index: number) => transfers[index] as string;
  afterAll(async () => api?.close());

  const openCase = (body: Record<string, unknown>): Promise<View> => api.ok('POST', '/v1/risk/cases', body, 201, { key: analyst });
  const link = (caseId: string, body: Record<string, unknown>) => api.call('POST', `/v1/risk/cases/${caseId}/links`, body, { key: analyst });
  const caseCount = async () => (await api.ok('GET', '/v1/risk/cases?limit=100')).data.length as number;

  it('opens a case with payments and transfers, by id in any letter case, and shows them with its links and its alert', async () => {
    const created = await openCase({ title: 'Payments reported by the customer', payment_ids: [uetrs[0], (uetrs[1] as string).toUpperCase()], transfer_ids: [transfer(0).toUpperCase()], party_ids: ['party-a'] });
    expect(ids(created.links.payments)).toEqual([uetrs[0], uetrs[1]].sort());
    expect(ids(created.links.transfers)).toEqual([transfer(0)]);
    expect(ids(created.links.parties)).toEqual(['party-a']);
    expect(created.alerts[0]?.payment_ids).toEqual([uetrs[0], uetrs[1]]);
    expect(ids((await api.ok('GET', `/v1/risk/cases/${created.id}`, undefined, 200, { key: auditor })).links.payments)).toEqual([uetrs[0], uetrs[1]].sort());
  });

  it('refuses to open a case naming an unknown payment, naming the field and index, and opens nothing', async () => {
    const before = await caseCount();
    expectProblem(await api.call('POST', '/v1/risk/cases', { title: 'x', payment_ids: [uetrs[0], uuid()] }, { key: analyst }), 422, 'payment_not_found', '/payment_ids/1');
    expectProblem(await api.call('POST', '/v1/risk/cases', { title: 'x', payment_ids: ['not-a-uetr'] }, { key: analyst }), 400, 'validation_failed', '/payment_ids/0');
    const tooMany = Array.from({ length: CASES_LIMITS.linkPaymentsMax + 1 }, () => uuid());
    expectProblem(await api.call('POST', '/v1/risk/cases', { title: 'x', payment_ids: tooMany }, { key: analyst }), 400, 'validation_failed', '/payment_ids');
    expect(await caseCount()).toBe(before);
  });

  it('refuses to open a case naming an unknown transfer or party, naming the field, index and id, and opens nothing', async () => {
    const before = await caseCount();
    const missing = uuid();
    const unknownTransfer = expectProblem(await api.call('POST', '/v1/risk/cases', { title: 'x', transfer_ids: [transfer(0), missing], payment_ids: [uetrs[0]] }, { key: analyst }), 422, 'transfer_not_found', '/transfer_ids/1');
    expect(unknownTransfer.detail).toBe(`no transfer ${missing}`);
    expect(unknownTransfer.errors).toEqual([{ pointer: '/transfer_ids/1', code: 'transfer_not_found', detail: `no transfer ${missing}` }]);
    // An id no ledger transfer can have (not a UUID) names no transfer either, on both databases.
    expectProblem(await api.call('POST', '/v1/risk/cases', { title: 'x', transfer_ids: ['t-made-up'] }, { key: analyst }), 422, 'transfer_not_found', '/transfer_ids/0');
    const unknownParty = expectProblem(await api.call('POST', '/v1/risk/cases', { title: 'x', transfer_ids: [transfer(0)], party_ids: ['party-a', 'party-nobody'] }, { key: analyst }), 422, 'party_not_found', '/party_ids/1');
    expect(unknownParty.detail).toBe('no party party-nobody');
    expect(await caseCount()).toBe(before);
  });

  it('adds links to an open case without duplicates, records them in the audit trail and the report, and ignores a repeat', async () => {
    const created = await openCase({ title: 'Working a case', party_ids: ['party-a'], payment_ids: [uetrs[0]] });
    const base = `/v1/risk/cases/${created.id}`;
    const [t1, t2] = [transfer(1), transfer(2)];
    const first = await link(created.id, { transfer_ids: [t1, t2], party_ids: ['party-a', 'party-b'], payment_ids: [uetrs[0], (uetrs[2] as string).toUpperCase()] });
    expect(first.statusCode).toBe(200);
    expect(first.json().added).toEqual({ transfers: [t1, t2], parties: ['party-b'], payments: [uetrs[2]] });
    const view: View = await api.ok('GET', base, undefined, 200, { key: auditor });
    expect(ids(view.links.transfers)).toEqual([t1, t2].sort());
    expect(ids(view.links.parties)).toEqual(['party-a', 'party-b']);
    expect(ids(view.links.payments)).toEqual([uetrs[0], uetrs[2]].sort());
    expect(view.audit.map((entry) => entry.action)).toEqual(['created', 'links_added']);
    expect(view.audit[1]).toMatchObject({ actor: expect.stringMatching(/^key:/), detail: { transfers: [t1, t2], parties: ['party-b'], payments: [uetrs[2]] } });

    // Linking again what is linked changes nothing, and is no error.
    const again = await link(created.id, { transfer_ids: [t2.toUpperCase()], payment_ids: [uetrs[2]] });
    expect(again.statusCode).toBe(200);
    expect(again.json().added).toEqual({ transfers: [], parties: [], payments: [] });
    const unchanged: View = await api.ok('GET', base);
    expect(unchanged.links).toEqual(view.links);
    expect(unchanged.audit).toHaveLength(2);

    const report = await api.ok('GET', `${base}/report`, undefined, 200, { key: auditor });
    expect(report.audit.map((entry: { action: string }) => entry.action)).toEqual(['created', 'links_added']);
    expect(report.summary.linked).toMatchObject({ transfers: 2, parties: 2, payments: 2 });
    const markdown = (await api.call('GET', `${base}/report?format=md`, undefined, { key: auditor })).body;
    expect(markdown).toContain(`| payment | ${uetrs[2]} |`);
    expect(markdown).toContain(`| links\\_added | transfers: \\["${t1}","${t2}"\\]; parties: \\["party-b"\\]; payments: \\["${uetrs[2]}"\\] |`);
  });

  it('refuses an unknown payment, an empty request, bad ids, a closed or unknown case and a key without the case permission, and links nothing', async () => {
    const created = await openCase({ title: 'Refusals' });
    const base = `/v1/risk/cases/${created.id}`;
    const missing = uuid();
    const refused = expectProblem(await link(created.id, { transfer_ids: [transfer(3)], payment_ids: [uetrs[0], uetrs[1], missing.toUpperCase()] }), 422, 'payment_not_found', '/payment_ids/2');
    expect(refused.errors).toHaveLength(1);
    expect(refused.detail).toBe(`no payment ${missing.toUpperCase()}`);
    expectProblem(await link(created.id, {}), 422, 'nothing_to_link', '/transfer_ids');
    expectProblem(await link(created.id, { transfer_ids: [], party_ids: [] }), 422, 'nothing_to_link', '/transfer_ids');
    expectProblem(await link(created.id, { payment_ids: ['nope'] }), 400, 'validation_failed', '/payment_ids/0');
    expectProblem(await link(created.id, { transfer_ids: ['a b'] }), 400, 'validation_failed', '/transfer_ids/0');
    expectProblem(await link(created.id, { party_ids: ['p', 'p'] }), 400, 'validation_failed', '/party_ids');
    expectProblem(await link(created.id, { account_ids: ['acct'] }), 400, 'validation_failed', '/account_ids');
    expectProblem(await link(uuid(), { transfer_ids: ['t-x'] }), 404, 'case_not_found', '/params/id');
    expectProblem(await api.call('POST', `${base}/links`, { transfer_ids: ['t-x'] }, { key: auditor }), 403, 'forbidden');
    expectProblem(await api.call('POST', `${base}/links`, { transfer_ids: ['t-x'] }, { key: null }), 401, 'unauthenticated');
    await api.ok('POST', `${base}/transition`, { to: 'closed_false_positive', reason: 'known customer' }, 200, { key: analyst });
    expectProblem(await link(created.id, { transfer_ids: ['t-x'] }), 409, 'case_closed', '/params/id');
    const after: View = await api.ok('GET', base);
    expect(after.links).toEqual({ transfers: [], payments: [], accounts: [], parties: [] });
    expect(after.audit.map((entry) => entry.action)).toEqual(['created', 'status_changed']);
  });

  it('refuses to link an unknown transfer or party, naming the field, index and id, and links nothing of the request', async () => {
    const created = await openCase({ title: 'Unknown links' });
    const base = `/v1/risk/cases/${created.id}`;
    const missing = uuid();
    const unknownTransfer = expectProblem(await link(created.id, { transfer_ids: [transfer(4), missing], party_ids: ['party-a'], payment_ids: [uetrs[0]] }), 422, 'transfer_not_found', '/transfer_ids/1');
    expect(unknownTransfer.detail).toBe(`no transfer ${missing}`);
    expect(unknownTransfer.errors).toEqual([{ pointer: '/transfer_ids/1', code: 'transfer_not_found', detail: `no transfer ${missing}` }]);
    expectProblem(await link(created.id, { transfer_ids: ['t-made-up'] }), 422, 'transfer_not_found', '/transfer_ids/0');
    const unknownParty = expectProblem(await link(created.id, { transfer_ids: [transfer(4)], party_ids: ['party-a', 'party-nobody', 'party-b'], payment_ids: [uetrs[0]] }), 422, 'party_not_found', '/party_ids/1');
    expect(unknownParty.detail).toBe('no party party-nobody');
    const after: View = await api.ok('GET', base);
    expect(after.links).toEqual({ transfers: [], payments: [], accounts: [], parties: [] });
    expect(after.audit.map((entry) => entry.action)).toEqual(['created']);
  });

  it('links what a detector\'s alert names, stored or not, and skips those ids when an analyst links them again', async () => {
    // A decision's alert names the transfer it declined, which the ledger never books, and may name another system's party.
    const declined = uuid();
    const raised = await api.platform.cases.raise({ source: 'decision', kind: 'rule:test', title: 'Declined', score: 0.8, reasons: [], dedupeKey: `decision:${uuid()}`, transferIds: [declined], partyIds: ['party-elsewhere'] });
    const view: View = await api.ok('GET', `/v1/risk/cases/${raised.caseId}`);
    expect(ids(view.links.transfers)).toEqual([declined]);
    expect(ids(view.links.parties)).toEqual(['party-elsewhere']);
    const again = await link(raised.caseId, { transfer_ids: [declined.toUpperCase(), transfer(4)], party_ids: ['party-elsewhere'] });
    expect(again.statusCode).toBe(200);
    expect(again.json().added).toEqual({ transfers: [transfer(4)], parties: [], payments: [] });
  });

  it('refuses links that would take a case beyond its bound, naming the item, and still takes what is linked already', async () => {
    const refs = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const max = CASES_LIMITS.caseLinksMax;
    const perField = CASES_LIMITS.alertRefsMax;
    // A detector's alert fills the case to one place short of its bound; its ids are not looked up (see above).
    const rest = max - 1 - 3 * perField;
    expect(rest).toBeGreaterThan(0);
    expect(rest).toBeLessThanOrEqual(perField);
    const { caseId } = await api.platform.cases.raise({
      source: 'graph', kind: 'graph:mule_ring', title: 'Full case', score: 0.9, reasons: [], dedupeKey: `full:${uuid()}`,
      accountIds: refs('a', perField), partyIds: refs('p', perField), transferIds: refs('t', perField), paymentIds: refs('pay', rest),
    });
    const [last1, last2] = [transfer(5), transfer(6)];
    // One place left: the second new item would be one too many. The already-linked first item does not count.
    expectProblem(await link(caseId, { transfer_ids: ['t-0', last1, last2] }), 422, 'too_many_links', '/transfer_ids/2');
    expectProblem(await link(caseId, { transfer_ids: [last1], payment_ids: [uetrs[0]] }), 422, 'too_many_links', '/payment_ids/0');
    const before: View = await api.ok('GET', `/v1/risk/cases/${caseId}`);
    expect(before.links.transfers.map((item) => item.id)).not.toContain(last1);
    expect((await link(caseId, { transfer_ids: ['t-0', last1] })).json().added.transfers).toEqual([last1]);
    expect((await link(caseId, { transfer_ids: ['t-1'] })).statusCode).toBe(200);
    expectProblem(await link(caseId, { party_ids: ['party-one-more'] }), 422, 'too_many_links', '/party_ids/0');
  });

  it('enters the request in the control-plane audit trail under its route', async () => {
    const created = await openCase({ title: 'Audited' });
    expect((await link(created.id, { party_ids: ['party-audited'] })).statusCode).toBe(200);
    const events = (await api.ok('GET', `/v1/audit-events?route=${encodeURIComponent('/v1/risk/cases/')}&limit=100`)).data as { route: string; params: Record<string, string>; status: number }[];
    expect(events).toContainEqual(expect.objectContaining({ route: '/v1/risk/cases/:id/links', params: { id: created.id }, status: 200 }));
  });
});
