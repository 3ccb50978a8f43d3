/**
 * Risk work that spans every party (cases, lists, rulesets, mule scores, account features) is for
 * the bank's own staff and auditors: a participant key, which acts for its customers' parties only,
 * gets 403 on all of it, while an auditor still reads it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, seed, startApi, type Api, type Fixture } from './harness.ts';

describeEachDialect('HTTP API risk oversight', ({ open }) => {
  let api: Api;
  let fixture: Fixture;
  let participantKey: string;
  let auditorKey: string;
  let caseId: string;

  beforeAll(async () => {
    api = await startApi(open);
    fixture = await seed(api);
    participantKey = (await api.ok('POST', '/v1/api-keys', { name: 'alice', role: 'participant', party_ids: ['party-alice'] }, 201)).key;
    auditorKey = (await api.ok('POST', '/v1/api-keys', { name: 'audit', role: 'auditor' }, 201)).key;
    caseId = (await api.ok('POST', '/v1/risk/cases', { title: 'Bob looks like a mule', account_ids: [fixture.bob], party_ids: ['party-bob'] }, 201)).id;
    await api.ok('POST', '/v1/risk/lists/entries', { list: 'block', kind: 'account', value: fixture.bob, reason: 'confirmed fraud' }, 201);
  });
  afterAll(async () => {
    await api.close();
  });

  const routes = (): string[] => [
    '/v1/risk/cases', `/v1/risk/cases/${caseId}`, `/v1/risk/cases/${caseId}/report`, `/v1/risk/cases/${caseId}/graph`,
    '/v1/risk/lists/entries', '/v1/risk/lists/audit', '/v1/risk/rulesets', `/v1/risk/features/accounts/${fixture.bob}`, `/v1/risk/graph/accounts/${fixture.bob}`,
  ];

  it('refuses a participant key every read of cross-party risk work', async () => {
    for (const url of routes()) {
      const response = await api.call('GET', url, undefined, { key: participantKey });
      expectProblem(response, 403, 'forbidden');
      expect(response.body, url).not.toContain('party-bob');
    }
  });

  it('still lets an auditor read the same routes', async () => {
    const cases = await api.ok('GET', '/v1/risk/cases', undefined, 200, { key: auditorKey });
    expect(cases.data.map((item: { id: string }) => item.id)).toContain(caseId);
    for (const url of routes()) {
      const response = await api.call('GET', url, undefined, { key: auditorKey });
      // The graph routes may have nothing scored yet or no detector running; what matters is that the role passes.
      expect([200, 404, 503], `${url} answered ${response.body}`).toContain(response.statusCode);
    }
  });
});
