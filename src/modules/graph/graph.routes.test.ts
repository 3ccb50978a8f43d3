import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';
import { DAY_MS, plantedWorld, T0 } from './graph.test-support.ts';

describeEachDialect('mule-ring detection over HTTP', ({ open }) => {
  let api: Api;
  let analyst: string;
  let auditor: string;
  beforeAll(async () => {
    api = await startApi(open);
    api.clock.advance(T0 + 31 * DAY_MS - api.clock.nowMs());
    analyst = (await api.ok('POST', '/v1/api-keys', { name: 'analyst', role: 'analyst' }, 201)).key;
    auditor = (await api.ok('POST', '/v1/api-keys', { name: 'auditor', role: 'auditor' }, 201)).key;
    await Promise.all(plantedWorld().map((edge, i) => api.platform.graph.observe({
      id: `e${i}`, atMs: edge.atMs, amountMinor: edge.amountMinor, currency: 'CNY', debitAccountId: edge.source, creditAccountId: edge.target,
    })));
  });
  afterAll(async () => api?.close());

  it('scans the last 30 days by default, alerts the ring, and explains an account', async () => {
    const scan = await api.ok('POST', '/v1/risk/graph/scan', undefined, 200, { key: analyst });
    const windowStart = api.clock.nowMs() - 30 * DAY_MS;
    expect(scan).toMatchObject({ edges: plantedWorld().filter((edge) => edge.atMs >= windowStart).length, cycle_search_truncated: false, alert_threshold: expect.any(Number) });
    expect(Date.parse(scan.until) - Date.parse(scan.since)).toBe(30 * DAY_MS);
    const ring = scan.alerts.find((alert: { case_id: string | null; accounts: number }) => alert.accounts >= 4);
    expect(ring?.case_id).toEqual(expect.any(String));
    const opened = await api.ok('GET', `/v1/risk/cases/${ring.case_id}`);
    expect(opened).toMatchObject({ source: 'graph', alerts: [expect.objectContaining({ kind: 'graph:mule_ring' })] });
    const account = await api.ok('GET', '/v1/risk/graph/accounts/r2', undefined, 200, { key: auditor });
    expect(account).toMatchObject({ account_id: 'r2', alerted: true, ring_key: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(account.signals.map((reading: { signal: string }) => reading.signal)).toContain('pass_through');
    const passThrough = account.signals.find((reading: { signal: string }) => reading.signal === 'pass_through');
    expect(passThrough.values).toMatchObject({ similar_forwards: 5 });
  });

  it('takes a window by instants or by days', async () => {
    const since = new Date(T0 - DAY_MS).toISOString();
    const until = new Date(T0 + 10 * DAY_MS).toISOString();
    const byInstants = await api.ok('POST', '/v1/risk/graph/scan', { since, until }, 200, { key: analyst });
    expect(byInstants.edges).toBe(plantedWorld().filter((edge) => edge.atMs >= T0 - DAY_MS && edge.atMs < T0 + 10 * DAY_MS).length);
    const byDays = await api.ok('POST', '/v1/risk/graph/scan', { window_days: 1 }, 200, { key: analyst });
    expect(Date.parse(byDays.until) - Date.parse(byDays.since)).toBe(DAY_MS);
  });

  it('answers bad input with a problem naming the field', async () => {
    const now = api.clock.nowMs();
    const iso = (ms: number) => new Date(ms).toISOString();
    const cases: [string, string, unknown, number, string, string | undefined][] = [
      ['POST', '/v1/risk/graph/scan', { window_days: 181 }, 400, 'validation_failed', '/window_days'],
      ['POST', '/v1/risk/graph/scan', { window_days: 0 }, 400, 'validation_failed', '/window_days'],
      ['POST', '/v1/risk/graph/scan', { since: iso(now - DAY_MS), window_days: 3 }, 400, 'since_or_window', '/window_days'],
      ['POST', '/v1/risk/graph/scan', { since: 'yesterday' }, 400, 'invalid_instant', '/since'],
      ['POST', '/v1/risk/graph/scan', { since: iso(now), until: iso(now - DAY_MS) }, 422, 'window_empty', '/since'],
      ['POST', '/v1/risk/graph/scan', { since: iso(now - 200 * DAY_MS) }, 422, 'window_too_long', '/since'],
      ['POST', '/v1/risk/graph/scan', { depth: 2 }, 400, 'validation_failed', '/depth'],
      ['GET', '/v1/risk/graph/accounts/never-seen', undefined, 404, 'account_not_scored', undefined],
      ['GET', '/v1/risk/graph/accounts/bad%20id', undefined, 400, 'validation_failed', '/params/id'],
    ];
    for (const [method, url, body, status, code, pointer] of cases) expectProblem(await api.call(method as 'GET' | 'POST', url, body, { key: analyst }), status, code, pointer);
    expectProblem(await api.call('POST', '/v1/risk/graph/scan', {}, { key: auditor }), 403, 'forbidden');
  });
});
