/**
 * Guessing API keys is throttled: an address that presents too many unknown keys in one rate
 * window gets 429 without a lookup, while keys already in use and other addresses keep working.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
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

  it('keeps a key in steady use working from a throttled address after its cache entry has gone stale', async () => {
    const address = '198.51.100.9';
    const from = (key: string) => api.app.inject({ method: 'GET', url: '/v1/ledgers', remoteAddress: address, headers: { authorization: `Bearer ${key}` } });
    const steady = (await api.ok('POST', '/v1/api-keys', { name: 'steady', role: 'analyst' }, 201)).key as string;
    const other = await api.ok('POST', '/v1/api-keys', { name: 'revoked elsewhere', role: 'analyst' }, 201);
    const now = Date.now();
    const clock = vi.spyOn(Date, 'now').mockReturnValue(now);
    try {
      expect((await from(steady)).statusCode).toBe(200);
      expect((await from(other.key)).statusCode).toBe(200);
      for (let index = 0; index < LIMITS.authFailuresMaxPerWindow; index += 1) expect((await from(guess(index))).statusCode).toBe(401);
      expectProblem(await from(guess(-1)), 429, 'rate_limited');
      // Once a second for ten seconds, well past the cache's five: the key is looked up again, not refused.
      for (let second = 1; second <= 10; second += 1) {
        clock.mockReturnValue(now + second * 1000);
        expect((await from(steady)).statusCode, `after ${second} s`).toBe(200);
      }
      expectProblem(await from(guess(-2)), 429, 'rate_limited');
      // Revoked by another process (this one's cache is not told): refused once looked up, then throttled like any unknown key.
      expect(await api.platform.auth.revoke(other.id)).toBe('revoked');
      expectProblem(await from(other.key), 401, 'unauthenticated');
      expectProblem(await from(other.key), 429, 'rate_limited');
    } finally {
      clock.mockRestore();
    }
  });
});
