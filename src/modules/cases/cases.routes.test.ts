import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { CASES_LIMITS } from './cases.limits.ts';

const MISSING = '00000000-0000-7000-8000-000000000000';

describeEachDialect('cases over HTTP', ({ open }) => {
  let api: Api;
  let analyst: string;
  let auditor: string;
  /** A ledger transfer that exists: transfers and parties linked to a case must. */
  let transferId: string;
  beforeAll(async () => {
    api = await startApi(open);
    analyst = (await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201)).key;
    auditor = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    await api.ok('POST', '/v1/ledgers', { id: 1, asset_code: 'CNY', name: 'Renminbi' }, 201);
    const [bank, customer] = [uuid(), uuid()];
    await api.ok('POST', '/v1/accounts', { accounts: [{ id: bank, ledger: 1, code: 100 }, { id: customer, ledger: 1, code: 200 }] });
    transferId = uuid();
    await api.ok('POST', '/v1/transfers', { id: transferId, debit_account_id: bank, credit_account_id: customer, amount: '100', ledger: 1, code: 1 }, 201);
    for (const id of ['party-1', 'party-http-1']) await api.ok('POST', '/v1/parties', { id, name: `Party ${id}`, kind: 'individual', jurisdiction: 'CN' }, 201);
  });
  afterAll(async () => api?.close());

  const openCase = (body: Record<string, unknown>) => api.ok('POST', '/v1/risk/cases', body, 201, { key: analyst });

  it('opens a case by hand and shows it with its alert, links and audit trail', async () => {
    const created = await openCase({ title: 'Customer reported a scam', priority: 0.7, reason: 'call from branch', account_ids: ['acct-1'], party_ids: ['party-1'], transfer_ids: [transferId] });
    expect((await openCase({ title: 'longest reason', reason: 'r'.repeat(CASES_LIMITS.alertReasonMaxLength) })).alerts[0].reasons[0]).toHaveLength(CASES_LIMITS.alertReasonMaxLength);
    expect(created).toMatchObject({ title: 'Customer reported a scam', status: 'open', priority: 0.7, source: 'manual', assignee: null, alert_count: 1 });
    expect(created.links).toEqual({ transfers: [{ id: transferId, linked_at: expect.any(String) }], payments: [], accounts: [{ id: 'acct-1', linked_at: expect.any(String) }], parties: [{ id: 'party-1', linked_at: expect.any(String) }] });
    expect(created.audit).toEqual([expect.objectContaining({ seq: 1, action: 'created', actor: expect.stringMatching(/^key:/) })]);
    const fetched = await api.ok('GET', `/v1/risk/cases/${created.id}`, undefined, 200, { key: auditor });
    expect(fetched.alerts[0]).toMatchObject({ source: 'manual', kind: 'manual', reasons: ['call from branch'], account_ids: ['acct-1'] });
  });

  it('refuses blank titles, reasons, notes and assignees with 422 naming the field, and changes nothing', async () => {
    // Titles and assignees are single lines: a tab or a line break is refused by the schema already.
    const blanks = ['', ' ', '\t\n ', '\u3000\u00a0'];
    const lineBlanks = [' ', '\u3000\u00a0'];
    const before = (await api.ok('GET', '/v1/risk/cases?limit=100')).data.length;
    for (const blank of lineBlanks) expectProblem(await api.call('POST', '/v1/risk/cases', { title: blank }, { key: analyst }), 422, 'blank_text', '/title');
    for (const blank of blanks) expectProblem(await api.call('POST', '/v1/risk/cases', { title: 'a title', reason: blank }, { key: analyst }), blank === '' ? 400 : 422, blank === '' ? undefined : 'blank_text', '/reason');
    expect((await api.ok('GET', '/v1/risk/cases?limit=100')).data).toHaveLength(before);
    const created = await openCase({ title: 'kept whole' });
    const base = `/v1/risk/cases/${created.id}`;
    for (const blank of blanks.slice(1)) {
      expectProblem(await api.call('POST', `${base}/notes`, { text: blank }, { key: analyst }), 422, 'blank_text', '/text');
      expectProblem(await api.call('POST', `${base}/transition`, { to: 'investigating', reason: blank }, { key: analyst }), 422, 'blank_text', '/reason');
    }
    for (const blank of lineBlanks) expectProblem(await api.call('POST', `${base}/assign`, { assignee: blank }, { key: analyst }), 422, 'blank_text', '/assignee');
    const after = await api.ok('GET', base);
    expect(after).toMatchObject({ status: 'open', assignee: null, notes: [] });
    expect(after.audit).toHaveLength(1);
    expect(await api.ok('POST', `${base}/assign`, { assignee: null }, 200, { key: analyst })).toMatchObject({ assignee: null });
  });

  it('pages through the queue by priority, then age, with filters', async () => {
    for (const priority of [0.2, 0.95, 0.5, 0.95]) {
      await openCase({ title: `p${priority}`, priority });
      api.clock.advance(1000);
    }
    const seen: { priority: number; created_at: string }[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: { priority: number; created_at: string }[]; next_cursor: string | null } = await api.ok('GET', `/v1/risk/cases?status=open&source=manual&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.data);
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen.length).toBeGreaterThanOrEqual(5);
    for (let i = 1; i < seen.length; i++) {
      const [before, after] = [seen[i - 1], seen[i]] as [typeof seen[0], typeof seen[0]];
      expect(before.priority > after.priority || (before.priority === after.priority && before.created_at <= after.created_at)).toBe(true);
    }
    expect((await api.ok('GET', '/v1/risk/cases?status=escalated')).data).toEqual([]);
  });

  it('works a case: assign, note, move along, and refuse a move the table does not allow, naming the field', async () => {
    const created = await openCase({ title: 'to work', account_ids: ['mule-http-1'], party_ids: ['party-http-1'] });
    const base = `/v1/risk/cases/${created.id}`;
    expect(await api.ok('POST', `${base}/assign`, { assignee: 'li.wei' }, 200, { key: analyst })).toMatchObject({ assignee: 'li.wei' });
    expect((await api.ok('GET', '/v1/risk/cases?assignee=li.wei')).data.map((item: { id: string }) => item.id)).toEqual([created.id]);
    expect(await api.ok('POST', `${base}/notes`, { text: 'Line one\nline two' }, 201, { key: analyst })).toMatchObject({ text: 'Line one\nline two' });
    const refused = expectProblem(await api.call('POST', `${base}/transition`, { to: 'closed_confirmed', reason: 'too fast' }, { key: analyst }), 409, 'transition_not_allowed', '/to');
    expect(refused.detail).toContain('investigating, escalated, closed_false_positive');
    expectProblem(await api.call('POST', `${base}/transition`, { to: 'escalated', reason: 'x', block: { accounts: true } }, { key: analyst }), 422, 'block_needs_confirmed_close', '/block');
    await api.ok('POST', `${base}/transition`, { to: 'investigating', reason: 'looking into it' }, 200, { key: analyst });
    const closed = await api.ok('POST', `${base}/transition`, { to: 'closed_confirmed', reason: 'confirmed mule', block: { accounts: true, parties: true } }, 200, { key: analyst });
    expect(closed).toMatchObject({ status: 'closed_confirmed', blocked: { accounts: ['mule-http-1'], parties: ['party-http-1'], refused: [] } });
    const listed = await api.ok('GET', '/v1/risk/lists/entries?list=block&kind=account&value=mule-http-1');
    expect(listed.data[0]).toMatchObject({ value: 'mule-http-1', actor: `case:${created.id}` });
    expectProblem(await api.call('POST', `${base}/assign`, { assignee: 'late' }, { key: analyst }), 409, 'case_closed', '/assignee');
    const audit = (await api.ok('GET', base)).audit.map((entry: { action: string }) => entry.action);
    expect(audit).toEqual(['created', 'assigned', 'note_added', 'status_changed', 'status_changed', 'block_list_fed']);
  });

  it('refuses a note on a closed case, either way it closed, with 409 case_closed naming the case, and writes nothing', async () => {
    for (const [to, via] of [['closed_false_positive', []], ['closed_confirmed', ['investigating']]] as const) {
      const created = await openCase({ title: `noted then ${to}` });
      const base = `/v1/risk/cases/${created.id}`;
      await api.ok('POST', `${base}/notes`, { text: 'before the close' }, 201, { key: analyst });
      for (const step of [...via, to]) await api.ok('POST', `${base}/transition`, { to: step, reason: 'done' }, 200, { key: analyst });
      const before = await api.ok('GET', base);
      const refused = expectProblem(await api.call('POST', `${base}/notes`, { text: 'after the close' }, { key: analyst }), 409, 'case_closed', '/params/id');
      expect(refused.detail).toBe('a closed case takes no new notes');
      const after = await api.ok('GET', base);
      expect(after.notes.map((note: { text: string }) => note.text)).toEqual(['before the close']);
      expect(after.audit).toEqual(before.audit);
      expect(after.updated_at).toBe(before.updated_at);
    }
  });

  it('feeds the block list when closing as confirmed with a close reason longer than a list reason', async () => {
    const created = await openCase({ title: 'long reason', account_ids: ['mule-long-reason'] });
    const base = `/v1/risk/cases/${created.id}`;
    await api.ok('POST', `${base}/transition`, { to: 'investigating', reason: 'looking' }, 200, { key: analyst });
    const reason = `Confirmed by the customer in writing; ${'funds passed on within minutes to accounts abroad. '.repeat(12)}`;
    const closed = await api.ok('POST', `${base}/transition`, { to: 'closed_confirmed', reason, block: { accounts: true } }, 200, { key: analyst });
    expect(closed.blocked).toEqual({ accounts: ['mule-long-reason'], parties: [], refused: [] });
    const listed = await api.ok('GET', '/v1/risk/lists/entries?list=block&kind=account&value=mule-long-reason');
    expect(listed.data[0].reason).toMatch(new RegExp(`^confirmed in case ${created.id}: Confirmed by the customer in writing; .*…$`));
  });

  it('records each of several assignments sent at once with the assignee the one before left', async () => {
    const created = await openCase({ title: 'assigned at once' });
    const base = `/v1/risk/cases/${created.id}`;
    for (let round = 0; round < 3; round++) {
      const answers = await Promise.all(['a', 'b', 'c', 'd', 'e', 'f'].map((who) => api.call('POST', `${base}/assign`, { assignee: `${who}${round}` }, { key: analyst })));
      expect(answers.map((answer) => answer.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    }
    const view = await api.ok('GET', base);
    const assigned = view.audit.filter((entry: { action: string }) => entry.action === 'assigned').map((entry: { detail: { from: string | null; to: string } }) => entry.detail);
    expect(assigned).toHaveLength(18);
    let current: string | null = null;
    for (const { from, to } of assigned) {
      expect(from).toBe(current);
      current = to;
    }
    expect(view.assignee).toBe(current);
  });

  it('exports the case report as JSON, Markdown and HTML', async () => {
    const created = await openCase({ title: 'Report me', account_ids: ['acct-report'] });
    const url = `/v1/risk/cases/${created.id}/report`;
    const json = await api.call('GET', url, undefined, { key: auditor });
    expect(json.headers['content-type']).toMatch(/^application\/json/);
    expect(json.json()).toMatchObject({ report: 'sluice-case-report', case: { id: created.id }, links: { accounts: [{ id: 'acct-report', graph_score: 0 }] } });
    const markdown = await api.call('GET', `${url}?format=md`, undefined, { key: auditor });
    expect(markdown.headers['content-type']).toMatch(/^text\/markdown/);
    expect(markdown.body).toContain('# Case report: Report me');
    const html = await api.call('GET', `${url}?format=html`);
    expect(html.headers['content-type']).toMatch(/^text\/html/);
    expect(html.body).toContain('<h1>Case report: Report me</h1>');
    expectProblem(await api.call('GET', `${url}?format=pdf`), 400, 'validation_failed', '/query/format');
  });

  it('escapes text that would start a block of its own in the Markdown report: a lone CR, a leading heading or list marker', async () => {
    const created = await openCase({ title: 'Odd ##', reason: '# Shouted reason' });
    const base = `/v1/risk/cases/${created.id}`;
    await api.ok('POST', `${base}/notes`, { text: 'seen\r# Injected heading\r1. forged item\r---' }, 201, { key: analyst });
    await api.ok('POST', `${base}/notes`, { text: '- looks like a list, &lt;b&gt; is not an entity' }, 201, { key: analyst });
    const markdown = (await api.call('GET', `${base}/report?format=md`, undefined, { key: auditor })).body;
    const lines = markdown.split(/\r\n|\r|\n/);
    // The only headings are the report's own, and no line starts with what a note said.
    expect(lines.filter((line) => line.startsWith('#'))).toEqual([
      '# Case report: Odd \\#\\#', '## Summary', '## Alerts (1)', '### 1\\. Odd \\#\\#', '## Linked accounts, parties, transfers and payments', '## Notes (2)', '## Audit trail',
    ]);
    expect(lines.some((line) => /^(\s*)(# Injected|1\. forged|---)/.test(line))).toBe(false);
    expect(lines).toContain('- \\# Shouted reason');
    expect(markdown).toContain('seen \\# Injected heading 1. forged item ---');
    expect(markdown).toContain('**: \\- looks like a list, \\&lt;b\\&gt; is not an entity');
  });

  it('draws the graph around the case\'s accounts', async () => {
    const at = api.clock.nowMs() - 3600_000;
    for (const [i, [from, to]] of [['g-a', 'g-b'], ['g-b', 'g-c'], ['g-c', 'g-d'], ['g-x', 'g-y']].entries()) {
      await api.platform.graph.observe({ id: `graph-event-${i}`, atMs: at + i, amountMinor: 1_000n, currency: 'CNY', debitAccountId: from as string, creditAccountId: to as string });
    }
    const created = await openCase({ title: 'graph', account_ids: ['g-b'] });
    const drawn = await api.ok('GET', `/v1/risk/cases/${created.id}/graph?depth=1`);
    expect(drawn.account_ids).toEqual(['g-b']);
    expect(drawn.nodes.map((node: { id: string }) => node.id).sort()).toEqual(['g-a', 'g-b', 'g-c']);
    expect(drawn.edges).toEqual(expect.arrayContaining([expect.objectContaining({ source: 'g-a', target: 'g-b', amount: '1000', count: 1, currency: 'CNY' })]));
    const wider = await api.ok('GET', `/v1/risk/cases/${created.id}/graph?depth=2`);
    expect(wider.nodes.map((node: { id: string }) => node.id)).toContain('g-d');
    expectProblem(await api.call('GET', `/v1/risk/cases/${created.id}/graph?depth=9`), 400, 'validation_failed', '/query/depth');
  });

  it('answers bad input with a problem naming the field, and writes nothing', async () => {
    const before = (await api.ok('GET', '/v1/risk/cases?limit=100')).data.length;
    const created = await openCase({ title: 'target' });
    const base = `/v1/risk/cases/${created.id}`;
    const cases: [string, string, unknown, number, string, string | undefined][] = [
      ['POST', '/v1/risk/cases', { title: 'x', colour: 'red' }, 400, 'validation_failed', '/colour'],
      ['POST', '/v1/risk/cases', { title: 'x', priority: 1.5 }, 400, 'validation_failed', '/priority'],
      ['POST', '/v1/risk/cases', { title: 'x', reason: 'r'.repeat(CASES_LIMITS.alertReasonMaxLength + 1) }, 400, 'validation_failed', '/reason'],
      ['POST', '/v1/risk/cases', { title: '' }, 400, 'validation_failed', '/title'],
      ['POST', '/v1/risk/cases', { title: 'bad\u0000title' }, 400, 'validation_failed', '/title'],
      ['POST', '/v1/risk/cases', { title: 'x', account_ids: ['a b'] }, 400, 'validation_failed', '/account_ids/0'],
      ['POST', `${base}/notes`, { text: 'nul \u0000 inside' }, 400, 'validation_failed', '/text'],
      ['POST', `${base}/notes`, {}, 400, 'validation_failed', '/text'],
      ['POST', `${base}/transition`, { to: 'archived', reason: 'x' }, 400, 'validation_failed', '/to'],
      ['POST', `${base}/transition`, { to: 'investigating' }, 400, 'validation_failed', '/reason'],
      ['POST', `${base}/transition`, { to: 'closed_confirmed', reason: 'x', block: { accounts: 'yes' } }, 400, 'validation_failed', '/block/accounts'],
      ['POST', `${base}/assign`, { assignee: 42 }, 400, 'validation_failed', '/assignee'],
      ['POST', '/v1/risk/cases/not-a-uuid/assign', { assignee: 'x' }, 400, 'validation_failed', '/params/id'],
      ['POST', `/v1/risk/cases/${MISSING}/notes`, { text: 'x' }, 404, 'case_not_found', undefined],
      ['GET', `/v1/risk/cases/${MISSING}`, undefined, 404, 'case_not_found', undefined],
      ['GET', `/v1/risk/cases/${MISSING}/report`, undefined, 404, 'case_not_found', undefined],
      ['GET', '/v1/risk/cases?status=lost', undefined, 400, 'validation_failed', '/query/status'],
      ['GET', `/v1/risk/cases?cursor=${Buffer.from('v1:nonsense').toString('base64url')}`, undefined, 400, 'invalid_cursor', '/query/cursor'],
    ];
    for (const [method, url, body, status, code, pointer] of cases) expectProblem(await api.call(method as 'GET' | 'POST', url, body, { key: analyst }), status, code, pointer);
    expectProblem(await api.call('POST', `${base}/notes`, { text: 'auditors read' }, { key: auditor }), 403, 'forbidden');
    expectProblem(await api.call('GET', '/v1/risk/cases', undefined, { key: null }), 401, 'unauthenticated');
    const after = await api.ok('GET', base);
    expect(after.notes).toEqual([]);
    expect(after.audit).toHaveLength(1);
    expect((await api.ok('GET', '/v1/risk/cases?limit=100')).data.length).toBe(before + 1);
  });
});
