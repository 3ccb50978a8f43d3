/**
 * Requests are counted per API key once the key is accepted, and per client address without one:
 * a key over its limit gets 429 while other keys go on, and inventing keys does not reset a count.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDialects } from '../support/databases.ts';
import { expectProblem, startApi, type Api } from './harness.ts';

const LIMIT = 5;

let api: Api;
beforeAll(async () => {
  api = await startApi(testDialects()[0]!.open, { rateLimitPerMinute: LIMIT });
});
afterAll(async () => api?.close());

it('answers 429 rate_limited to a key past its limit, and keeps serving another key and other addresses', async () => {
  // The admin key creates the second key, so it has one request less to spend.
  const other = (await api.ok('POST', '/v1/api-keys', { name: 'other', role: 'auditor' }, 201)).key as string;
  for (let index = 1; index < LIMIT; index += 1) await api.ok('GET', '/v1/ledgers');
  expectProblem(await api.call('GET', '/v1/ledgers'), 429, 'rate_limited');
  await api.ok('GET', '/v1/ledgers', undefined, 200, { key: other });
  // Without a key, public endpoints count per address.
  for (let index = 0; index < LIMIT; index += 1) expect((await api.call('GET', '/healthz', undefined, { key: null })).statusCode).toBe(200);
  expectProblem(await api.call('GET', '/healthz', undefined, { key: null }), 429, 'rate_limited');
  const elsewhere = await api.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '203.0.113.9' });
  expect(elsewhere.statusCode).toBe(200);
});
