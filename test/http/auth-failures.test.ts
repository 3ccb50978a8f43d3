/**
 * Guessing API keys is throttled: an address that presents too many unknown keys in one rate
 * window gets 429 without a lookup, while keys already in use and other addresses keep working.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { LIMITS } from '../../src/kernel/index.ts';
import { describeEachDialect } from '../support/databases.ts';
import { expectProblem, startApi, type Api } from './harness.ts';

describeEachDialect('HTTP API failed authentication', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => {
    await api.close();
  });

  const guess = (index: number) => `sk_${String(index).padStart(43, 'A')}`;

  it('refuses an address that keeps presenting unknown keys, and no one else', async () => {
    await api.ok('GET', '/v1/ledgers');
    for (let index = 0; index < LIMITS.authFailuresMaxPerWindow; index += 1) {
      expectProblem(await api.call('GET', '/v1/ledgers', undefined, { key: guess(index) }), 401, 'unauthenticated');
    }
    expectProblem(await api.call('GET', '/v1/ledgers', undefined, { key: guess(-1) }), 429, 'rate_limited');
    // A key this process has just accepted still works from the same address.
    await api.ok('GET', '/v1/ledgers');
    const elsewhere = await api.app.inject({ method: 'GET', url: '/v1/ledgers', remoteAddress: '203.0.113.7', headers: { authorization: `Bearer ${guess(0)}` } });
    expect(elsewhere.statusCode).toBe(401);
  });
});
