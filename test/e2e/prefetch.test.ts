/**
 * The console's early requests (web/src/api/prefetch.ts): started before the main script has
 * run, taken by the page's own request only when path, key and age match, and only once.
 * No browser needed; it lives here because it compiles against the DOM's types (sessionStorage)
 * like the rest of the browser-side tests.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { request, withQuery } from '../../web/src/api/client.ts';
import { noteConsoleRunning, prefetchFor, prefetchPaths, takePrefetched } from '../../web/src/api/prefetch.ts';
import { loadIdentity, signIn, signOut } from '../../web/src/api/session.ts';

const KEY = 'sk_test_prefetch_key';

describe('console early requests', () => {
  let fetched: { url: string; authorization: string | undefined }[];

  beforeEach(() => {
    fetched = [];
    vi.stubGlobal('fetch', (url: string, init: RequestInit) => {
      fetched.push({ url, authorization: (init.headers as Record<string, string>).authorization });
      return Promise.resolve(new Response(JSON.stringify({ url, count: fetched.length }), { status: 200 }));
    });
    signIn(KEY);
  });

  afterEach(() => {
    signOut();
    vi.unstubAllGlobals();
  });

  it('lists exactly the paths the pages ask for on their first, unfiltered view', () => {
    // Built the way the pages build them (usePaged and useApi through withQuery), so a changed page shows here.
    expect(prefetchPaths('/payments')).toEqual([withQuery('/v1/payments', { status: undefined, order: 'desc', limit: 25 })]);
    expect(prefetchPaths('/ledger')).toEqual(['/v1/ledgers', withQuery('/v1/accounts', { ledger: undefined, code: undefined, party_id: undefined, limit: 25 })]);
    expect(prefetchPaths('/ledger/accounts/a%2Fb')).toEqual([
      '/v1/ledgers', '/v1/accounts/a%2Fb', withQuery('/v1/transfers', { account_id: 'a/b', order: 'desc', limit: 25 }), withQuery('/v1/accounts/a%2Fb/balances/series', { points: 24 }),
    ]);
    expect(prefetchPaths('/payments/new')).toEqual(['/v1/ledgers', '/v1/accounts?code=820&limit=100', '/v1/parties?limit=100']);
    expect(prefetchPaths('/payments/u-1')).toEqual(['/v1/payments/u-1', '/v1/payments/u-1/track']);
    expect(prefetchPaths('/audit')).toEqual([withQuery('/v1/audit-events', { key_id: undefined, route: undefined, order: 'desc', limit: 50 })]);
    expect(prefetchPaths('/no-such-page')).toEqual([]);
  });

  it('hands a started answer to the matching request once, then asks the server again', async () => {
    prefetchFor('/payments', '');
    expect(fetched).toEqual([{ url: '/v1/payments?order=desc&limit=25', authorization: `Bearer ${KEY}` }]);
    expect(await request('GET', '/v1/payments', { query: { order: 'desc', limit: 25 } })).toEqual({ url: '/v1/payments?order=desc&limit=25', count: 1 });
    expect(fetched).toHaveLength(1);
    expect(await request('GET', '/v1/payments', { query: { order: 'desc', limit: 25 } })).toEqual({ url: '/v1/payments?order=desc&limit=25', count: 2 });
    expect(fetched).toHaveLength(2);
  });

  it('starts nothing when signed out or for a filtered view, and never hands an answer to another key', async () => {
    prefetchFor('/payments', 'status=ACCC');
    expect(fetched).toEqual([]);
    signOut();
    prefetchFor('/payments', '');
    expect(fetched).toEqual([]);
    signIn(KEY);
    prefetchFor('/payments', '');
    expect(takePrefetched('/v1/payments?order=desc&limit=25', 'sk_someone_else')).toBeUndefined();
    // The mismatched attempt used it up: nobody gets an answer fetched under another key.
    expect(takePrefetched('/v1/payments?order=desc&limit=25', KEY)).toBeUndefined();
  });

  it('starts nothing for a page the key\'s role may not use, once the tab knows the role', async () => {
    loadIdentity(async () => ({ id: '0011223344556677', name: 'bank desk', role: 'participant', party_ids: ['bank-1'], permissions: ['read', 'write'] }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    fetched.length = 0;
    // The overview covers every party, which a participant may not see; the risk lists need `oversee`.
    prefetchFor('/', '');
    prefetchFor('/risk/lists', '');
    expect(fetched).toEqual([]);
    prefetchFor('/payments', '');
    expect(fetched.map((entry) => entry.url)).toEqual(['/v1/payments?order=desc&limit=25']);
  });

  it('does not hand an answer to a request that is not a GET', async () => {
    prefetchFor('/payments', '');
    await request('POST', '/v1/payments?order=desc&limit=25', { body: {} });
    expect(fetched.map((entry) => entry.url)).toEqual(['/v1/payments?order=desc&limit=25', '/v1/payments?order=desc&limit=25']);
  });

  it('hands a request the early bundle started to the main bundle, each with its own copy of the module', async () => {
    // Without sessionStorage (no browser here) each copy keeps the key in its own memory.
    const copy = async () => {
      vi.resetModules();
      (await import('../../web/src/api/session.ts')).signIn(KEY);
      return import('../../web/src/api/prefetch.ts');
    };
    const earlyCopy = await copy();
    const mainCopy = await copy();
    expect(mainCopy).not.toBe(earlyCopy);
    earlyCopy.prefetchFor('/payments', '');
    expect(fetched).toHaveLength(1);
    expect(mainCopy.takePrefetched('/v1/payments?order=desc&limit=25', KEY)).toBeDefined();
    expect(earlyCopy.takePrefetched('/v1/payments?order=desc&limit=25', KEY)).toBeUndefined();
  });

  // Last: the flag it sets stays set for the page's lifetime, as in the browser.
  it('starts nothing once the main script runs, so a late early script does not repeat the page', () => {
    noteConsoleRunning();
    prefetchFor('/payments', '');
    expect(fetched).toEqual([]);
  });
});
