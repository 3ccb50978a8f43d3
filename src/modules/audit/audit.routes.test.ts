/**
 * The audit trail over HTTP: done control-plane actions are recorded with the key, role, route and
 * target and no secret; refusals, reads and money routes are not; the listing filters and pages;
 * verification finds an edited or removed event; a failed write leaves the action done and counted.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, seed, startApi, uuid, type Api, type Fixture } from '../../../test/http/harness.ts';
import { auditEventHash, type AuditEvent } from './audit.ts';

const ruleset = (name: string) => ({
  name,
  rules: [{ id: 'large', name: 'Large amount', expression: 'event.amount > 100000', score: 60, reason: 'amount over 1,000.00' }],
  thresholds: { review_at: 50, decline_at: 100 },
});

type Event = { id: string; seq: string; key_id: string; key_name: string; role: string; method: string; route: string; params: Record<string, string>; target_id: string | null; status: number; request_id: string };

describeEachDialect('audit trail over HTTP', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  let adminKeyId: string;
  let analyst: { id: string; key: string };
  let auditorKey: string;

  const events = async (query = ''): Promise<Event[]> => (await api.ok('GET', `/v1/audit-events${query}`, undefined, 200, { key: auditorKey })).data;
  const allRows = () => api.platform.db.all('SELECT * FROM audit_events ORDER BY seq');

  beforeAll(async () => {
    // Loopback webhooks are allowed so that one can be registered; nothing is delivered to it.
    api = await startApi(open, { webhookAllowedNetworks: ['127.0.0.1'] });
    fixture = await seed(api);
    adminKeyId = (await api.platform.auth.authenticate(api.adminKey))!.id;
    const created = await api.ok('POST', '/v1/api-keys', { name: 'analyst on duty', role: 'analyst' }, 201);
    analyst = { id: created.id, key: created.key };
    auditorKey = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
  });
  afterAll(async () => api?.close());

  it('records an admin creating an API key with its key, role, route and target, and keeps no secret', async () => {
    const created = (await events('?order=asc')).find((event) => event.route === '/v1/api-keys');
    expect(created).toMatchObject({
      key_id: adminKeyId, role: 'admin', method: 'POST', route: '/v1/api-keys', params: {}, target_id: analyst.id, status: 201, request_id: expect.any(String),
    });
    // Nothing of any new key's text, in any column of any row.
    const stored = JSON.stringify(await allRows(), (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    expect(stored).not.toContain(analyst.key);
    expect(stored).not.toContain(auditorKey);
    expect(stored).not.toContain(analyst.key.slice(3, 20));
  });

  it('records a webhook registration and its removal with the webhook id, and keeps neither secret', async () => {
    const given = 'a-webhook-secret-of-the-operators-own-choosing';
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url: 'http://127.0.0.1:9/hook', secret: given }, 201);
    const generated = await api.ok('POST', '/v1/payments/webhooks', { url: 'http://127.0.0.1:9/other' }, 201);
    expect(generated.secret).toMatch(/^whsec_/);
    await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
    const [removed, second, first] = await events('?limit=3');
    expect(first).toMatchObject({ key_id: adminKeyId, method: 'POST', route: '/v1/payments/webhooks', target_id: hook.id, status: 201 });
    expect(second).toMatchObject({ route: '/v1/payments/webhooks', target_id: generated.id });
    expect(removed).toMatchObject({ method: 'DELETE', route: '/v1/payments/webhooks/:id', params: { id: hook.id }, target_id: null, status: 204 });
    const stored = JSON.stringify(await allRows(), (_key, value: unknown) => (typeof value === 'bigint' ? String(value) : value));
    expect(stored).not.toContain(given);
    expect(stored).not.toContain(generated.secret);
  });

  it('records an analyst editing, backtesting and promoting a ruleset, with the route pattern and its params', async () => {
    const draft = await api.ok('POST', '/v1/risk/rulesets', ruleset('watched'), 201, { key: analyst.key });
    await api.ok('POST', `/v1/risk/rulesets/${draft.id}/backtest`, { days: 7 }, 200, { key: analyst.key });
    await api.ok('POST', `/v1/risk/rulesets/${draft.id}/promote`, { stage: 'live' }, 200, { key: analyst.key });
    const [promoted, backtested, drafted] = await events('?limit=3');
    expect(promoted).toMatchObject({
      key_id: analyst.id, key_name: 'analyst on duty', role: 'analyst', method: 'POST', route: '/v1/risk/rulesets/:id/promote', params: { id: draft.id }, target_id: draft.id, status: 200,
    });
    expect(backtested).toMatchObject({ route: '/v1/risk/rulesets/:id/backtest', key_id: analyst.id });
    expect(drafted).toMatchObject({ route: '/v1/risk/rulesets', params: {}, target_id: draft.id, status: 201 });
  });

  it('records no refusal, no read and no money route', async () => {
    const before = await allRows();
    const draft = await api.ok('POST', '/v1/risk/rulesets', ruleset('refused'), 201, { key: analyst.key });
    const afterDraft = await allRows();
    expect(afterDraft).toHaveLength(before.length + 1);
    // 409: not backtested; 403: an auditor may not; 400: bad body.
    expectProblem(await api.call('POST', `/v1/risk/rulesets/${draft.id}/promote`, { stage: 'live' }, { key: analyst.key }), 409, 'ruleset_not_backtested');
    expectProblem(await api.call('POST', '/v1/risk/rulesets', ruleset('no'), { key: auditorKey }), 403, 'forbidden');
    expectProblem(await api.call('POST', '/v1/api-keys', { name: 'x', role: 'emperor' }), 400);
    // Money routes (permission write) and reads.
    await api.ok('POST', '/v1/transfers', { id: uuid(), debit_account_id: fixture.bank, credit_account_id: fixture.alice, amount: '5', ledger: 1, code: 1 }, 201);
    await api.ok('POST', '/v1/accounts', { accounts: [{ id: uuid(), ledger: 1, code: 100 }] });
    await api.ok('GET', `/v1/risk/rulesets/${draft.id}`);
    // A check that changes nothing, which the console's rule editor asks as the analyst types.
    await api.ok('POST', '/v1/risk/rules/validate', { expression: 'event.amount > 1' }, 200, { key: analyst.key });
    expect(await allRows()).toEqual(afterDraft);
  });

  it('lists newest first by default, filters by key, route prefix and instant, and pages with a cursor', async () => {
    const newest = await events();
    const oldest = await events('?order=asc');
    expect(newest.map((event) => event.seq)).toEqual([...oldest].reverse().map((event) => event.seq));
    const byAnalyst = await events(`?key_id=${analyst.id}&limit=100`);
    expect(byAnalyst.length).toBeGreaterThan(0);
    expect(byAnalyst.every((event) => event.key_id === analyst.id)).toBe(true);
    const rulesets = await events(`?route=${encodeURIComponent('/v1/risk/rulesets/')}&limit=100`);
    expect(new Set(rulesets.map((event) => event.route))).toEqual(new Set(['/v1/risk/rulesets/:id/backtest', '/v1/risk/rulesets/:id/promote']));
    expect(await events('?since=2030-01-01T00:00:00Z')).toEqual([]);
    expect((await events('?since=2025-12-31T00:00:00Z&limit=100')).length).toBe(oldest.length);

    const first = await api.ok('GET', '/v1/audit-events?order=asc&limit=2', undefined, 200, { key: auditorKey });
    const second = await api.ok('GET', `/v1/audit-events?order=asc&limit=2&cursor=${first.next_cursor}`, undefined, 200, { key: auditorKey });
    expect([...first.data, ...second.data].map((event: Event) => event.seq)).toEqual(oldest.slice(0, 4).map((event) => event.seq));
    const back = await api.ok('GET', `/v1/audit-events?limit=1&cursor=${second.next_cursor}`, undefined, 200, { key: auditorKey });
    expect(back.data.map((event: Event) => event.seq)).toEqual([oldest[2]!.seq]);
  });

  it('answers bad queries with a 4xx naming the field, and only to keys that may verify', async () => {
    const bad = (query: string) => api.call('GET', `/v1/audit-events${query}`, undefined, { key: auditorKey });
    expectProblem(await bad('?key_id=nope'), 400, undefined, '/query/key_id');
    expectProblem(await bad('?route=v1'), 400, undefined, '/query/route');
    expectProblem(await bad(`?route=/${'x'.repeat(300)}`), 400, undefined, '/query/route');
    expectProblem(await bad('?since=yesterday'), 400, 'invalid_instant', '/query/since');
    expectProblem(await bad('?order=sideways'), 400, undefined, '/query/order');
    expectProblem(await bad('?limit=101'), 400, undefined, '/query/limit');
    expectProblem(await bad('?cursor=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor', '/query/cursor');
    expectProblem(await bad('?colour=red'), 400, undefined, '/query/colour');
    expectProblem(await api.call('GET', '/v1/audit-events', undefined, { key: analyst.key }), 403, 'forbidden');
  });

  it('keeps the action done and counts the failure when the event cannot be written', async () => {
    const metric = async () => /sluice_audit_events_total\{result="failed"\} (\d+)/.exec((await api.call('GET', '/metrics', undefined, { key: null })).body)?.[1];
    expect(await metric()).toBe('0');
    await api.platform.db.run('ALTER TABLE audit_head RENAME TO audit_head_away');
    try {
      const created = await api.ok('POST', '/v1/api-keys', { name: 'made while the trail was down', role: 'auditor' }, 201);
      expect(created.key).toMatch(/^sk_/);
    } finally {
      await api.platform.db.run('ALTER TABLE audit_head_away RENAME TO audit_head');
    }
    expect(await metric()).toBe('1');
    expect((await api.platform.verify()).ok).toBe(true);
  });

  it('finds a trail rewritten with its hashes and head, and events added past it, by the journal\'s anchors', async () => {
    expect((await api.platform.verify()).ok).toBe(true);
    const chain: AuditEvent[] = await api.platform.audit.list({ order: 'asc', limit: 1000 });
    const anchors = await api.platform.db.all<{ payload: string }>("SELECT payload FROM journal_entries WHERE kind = 'audit.anchor' ORDER BY seq");
    expect(anchors.map((row) => (JSON.parse(row.payload) as { seq: string }).seq)).toEqual(chain.map((event) => String(event.seq)));
    const write = async (events: readonly AuditEvent[]) => {
      for (const event of events) await api.platform.db.run('UPDATE audit_events SET route = ?, prev_hash = ?, hash = ? WHERE seq = ?', [event.route, event.prevHash, event.hash, event.seq]);
      const last = events.at(-1) as AuditEvent;
      await api.platform.db.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [last.seq, last.hash]);
    };
    // Someone with the database rewrites event #2 and every hash after it, and the head: the chain holds.
    const rewritten: AuditEvent[] = [];
    for (const event of chain) {
      const prevHash = rewritten.at(-1)?.hash ?? event.prevHash;
      const { hash: _hash, prevHash: _prev, ...fields } = event.seq === 2n ? { ...event, route: '/v1/nothing' } : event;
      rewritten.push({ ...fields, prevHash, hash: auditEventHash(prevHash, fields) });
    }
    await write(rewritten);
    const report = await api.platform.verify();
    expect(report.ok).toBe(false);
    expect(report.problems.map((problem) => problem.problem)).toEqual(
      chain.slice(1).map((event) => `anchors audit event #${event.seq} with another hash than the trail now has: the trail was rewritten`),
    );
    await write(chain);
    expect((await api.platform.verify()).ok).toBe(true);

    // An event added past the end, hashed into the chain and named by the head, but never anchored.
    const last = chain.at(-1) as AuditEvent;
    const { hash: _hash, prevHash: _prev, ...copied } = last;
    const fields = { ...copied, seq: last.seq + 1n, id: uuid(), requestId: 'added-by-hand' };
    const added = { ...fields, prevHash: last.hash, hash: auditEventHash(last.hash, fields) };
    await api.platform.db.run(
      'INSERT INTO audit_events (seq, id, at_ms, key_id, key_name, role, method, route, params, target_id, status, request_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      [added.seq, added.id, added.atMs, added.keyId, added.keyName, added.role, added.method, added.route, added.params, added.targetId, added.status, added.requestId, added.prevHash, added.hash],
    );
    await api.platform.db.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [added.seq, added.hash]);
    expect((await api.platform.verify()).problems.map((problem) => problem.problem)).toEqual([
      `audit events #${added.seq} to #${added.seq} are anchored by no journal entry: they were added to the trail outside Sluice`,
    ]);
    await api.platform.db.run('DELETE FROM audit_events WHERE seq = ?', [added.seq]);
    await api.platform.db.run('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1', [last.seq, last.hash]);
    expect((await api.platform.verify()).ok).toBe(true);
  });

  // Last: it edits the table.
  it('makes verify report an edited and a removed event, over HTTP too', async () => {
    expect((await api.platform.verify()).ok).toBe(true);
    const rows = await allRows();
    const second = rows[1] as { seq: bigint; id: string; route: string };
    await api.platform.db.run("UPDATE audit_events SET route = '/v1/nothing' WHERE seq = ?", [second.seq]);
    const edited = await api.platform.verify();
    expect(edited.ok).toBe(false);
    expect(edited.problems.map((problem) => problem.problem)).toEqual([expect.stringMatching(new RegExp(`^the audit trail is broken at audit event #2 \\(id ${second.id}, .*: its hash does not match its content: it was edited$`))]);
    const overHttp = await api.ok('GET', '/v1/journal/verify', undefined, 200, { key: auditorKey });
    expect(overHttp.ok).toBe(false);
    expect(overHttp.problems[0].problem).toContain(`audit event #2 (id ${second.id}`);
    await api.platform.db.run('UPDATE audit_events SET route = ? WHERE seq = ?', [second.route, second.seq]);
    expect((await api.platform.verify()).ok).toBe(true);

    await api.platform.db.run('DELETE FROM audit_events WHERE seq = 3');
    const removed = await api.platform.verify();
    expect(removed.problems.map((problem) => problem.problem)).toEqual([
      'anchors audit event #3, which the audit trail does not have: events were removed',
      expect.stringMatching(/^the audit trail is broken at audit event #4 .*: expected event #3 here: an event was removed or inserted; its previous hash does not match the event before it$/),
    ]);
    const last = rows.at(-1) as { seq: bigint };
    await api.platform.db.run('DELETE FROM audit_events WHERE seq = ?', [last.seq]);
    const cut = await api.platform.verify();
    expect(cut.problems.map((problem) => problem.problem)).toContain(`the audit trail's head records event #${last.seq} but the chain ends at #${last.seq - 1n}: events were removed from its end or added past it`);
  });
});
