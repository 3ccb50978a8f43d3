import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { setUpNetwork } from '../payments/payments.http.test-support.ts';
import { CASES_LIMITS } from './cases.limits.ts';

type Link = { id: string; linked_at: string };
type View = { id: string; links: Record<'transfers' | 'payments' | 'accounts' | 'parties', Link[]>; audit: { action: string; actor: string; detail: Record<string, unknown> }[]; alerts: { payment_ids: string[] }[] };
const ids = (links: readonly Link[]) => links.map((link) => link.id).sort();

/** Analysts link payments (by UETR), transfers and parties to a case, when opening it and while working it. */
describeEachDialect('linking payments, transfers and parties to a case', ({ open }) => {
  let api: Api;
  let analyst: string;
  let auditor: string;
  const uetrs: string[] = [];
  beforeAll(async () => {
    api = await startApi(open);
    analyst = (await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201)).key;
    auditor = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    const network = await setUpNetwork(api);
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 1_000_000n), await network.customer(network.banks.cn, 'CNY')];
    for (let i = 0; i < 3; i++) {
      uetrs.push((await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '1000', currency: 'CNY' }, 201)).uetr);
    }
  });
  afterAll(async () => api?.close());

  const openCase = (body: Record<string, unknown>): Promise<View> => api.ok('POST', '/v1/risk/cases', body, 201, { key: analyst });
  const link = (caseId: string, body: Record<string, unknown>) => api.call('POST', `/v1/risk/cases/${caseId}/links`, body, { key: analyst });
  const caseCount = async () => (await api.ok('GET', '/v1/risk/cases?limit=100')).data.length as number;

  it('opens a case with payments, by UETR in any letter case, and shows them with its links and its alert', async () => {
    const created = await openCase({ title: 'Payments reported by the customer', payment_ids: [uetrs[0], (uetrs[1] as string).toUpperCase()], transfer_ids: ['t-open'] });
    expect(ids(created.links.payments)).toEqual([uetrs[0], uetrs[1]].sort());
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

  it('adds links to an open case without duplicates, records them in the audit trail and the report, and ignores a repeat', async () => {
    const created = await openCase({ title: 'Working a case', party_ids: ['party-a'], payment_ids: [uetrs[0]] });
    const base = `/v1/risk/cases/${created.id}`;
    const first = await link(created.id, { transfer_ids: ['t-1', 't-2'], party_ids: ['party-a', 'party-b'], payment_ids: [uetrs[0], (uetrs[2] as string).toUpperCase()] });
    expect(first.statusCode).toBe(200);
    expect(first.json().added).toEqual({ transfers: ['t-1', 't-2'], parties: ['party-b'], payments: [uetrs[2]] });
    const view: View = await api.ok('GET', base, undefined, 200, { key: auditor });
    expect(ids(view.links.transfers)).toEqual(['t-1', 't-2']);
    expect(ids(view.links.parties)).toEqual(['party-a', 'party-b']);
    expect(ids(view.links.payments)).toEqual([uetrs[0], uetrs[2]].sort());
    expect(view.audit.map((entry) => entry.action)).toEqual(['created', 'links_added']);
    expect(view.audit[1]).toMatchObject({ actor: expect.stringMatching(/^key:/), detail: { transfers: ['t-1', 't-2'], parties: ['party-b'], payments: [uetrs[2]] } });

    // Linking again what is linked changes nothing, and is no error.
    const again = await link(created.id, { transfer_ids: ['t-2'], payment_ids: [uetrs[2]] });
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
    expect(markdown).toContain(`| links\\_added | transfers: \\["t-1","t-2"\\]; parties: \\["party-b"\\]; payments: \\["${uetrs[2]}"\\] |`);
  });

  it('refuses an unknown payment, an empty request, bad ids, a closed or unknown case and a key without the case permission, and links nothing', async () => {
    const created = await openCase({ title: 'Refusals' });
    const base = `/v1/risk/cases/${created.id}`;
    const refused = expectProblem(await link(created.id, { transfer_ids: ['t-x'], payment_ids: [uetrs[0], uetrs[1], uuid()] }), 422, 'payment_not_found', '/payment_ids/2');
    expect(refused.errors).toHaveLength(1);
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

  it('refuses links that would take a case beyond its bound, naming the item, and still takes what is linked already', async () => {
    const refs = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const max = CASES_LIMITS.caseLinksMax;
    const perField = CASES_LIMITS.alertRefsMax;
    const created = await openCase({ title: 'Full case', account_ids: refs('a', perField), party_ids: refs('p', perField), transfer_ids: refs('t', perField) });
    let linked = 3 * perField;
    while (linked < max - 1) {
      const count = Math.min(perField, max - 1 - linked);
      expect((await link(created.id, { transfer_ids: refs(`more${linked}`, count) })).statusCode).toBe(200);
      linked += count;
    }
    // One place left: the second new item would be one too many. The already-linked first item does not count.
    expectProblem(await link(created.id, { transfer_ids: ['t-0', 'last-1', 'last-2'] }), 422, 'too_many_links', '/transfer_ids/2');
    expectProblem(await link(created.id, { transfer_ids: ['last-1'], payment_ids: [uetrs[0]] }), 422, 'too_many_links', '/payment_ids/0');
    const before: View = await api.ok('GET', `/v1/risk/cases/${created.id}`);
    expect(before.links.transfers.map((item) => item.id)).not.toContain('last-1');
    expect((await link(created.id, { transfer_ids: ['t-0', 'last-1'] })).json().added.transfers).toEqual(['last-1']);
    expect((await link(created.id, { transfer_ids: ['t-1'] })).statusCode).toBe(200);
    expectProblem(await link(created.id, { party_ids: ['one-more'] }), 422, 'too_many_links', '/party_ids/0');
  });

  it('enters the request in the control-plane audit trail under its route', async () => {
    const created = await openCase({ title: 'Audited' });
    expect((await link(created.id, { party_ids: ['party-audited'] })).statusCode).toBe(200);
    const events = (await api.ok('GET', `/v1/audit-events?route=${encodeURIComponent('/v1/risk/cases/')}&limit=100`)).data as { route: string; params: Record<string, string>; status: number }[];
    expect(events).toContainEqual(expect.objectContaining({ route: '/v1/risk/cases/:id/links', params: { id: created.id }, status: 200 }));
  });
});
