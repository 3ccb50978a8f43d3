import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';
import {
  checkWebhookTarget, createCheckedLookup, createWebhookAddressPolicy, createWebhookPost, isAllowedWebhookHost, isPublicAddress, isReachableAddress, PUBLIC_ONLY,
  WebhookTargetRefused, type WebhookResolver,
} from './payments.webhook-target.ts';

/**
 * Webhooks cannot be pointed inside the bank: loopback, link-local (the cloud metadata address),
 * private and other special addresses are refused when a URL is registered, after its name is
 * resolved then, and again after it is resolved at delivery, except the private networks and names
 * the operator lists; redirects are not followed and a receiver's body is never read. Names are
 * answered by a fake resolver, so that no test depends on DNS.
 */

/** A resolver answering from a table: a missing name does not exist, and HANG never answers. */
const HANG = 'hang';
function fakeResolver(table: Record<string, readonly string[] | typeof HANG>): WebhookResolver & { asked: string[] } {
  const asked: string[] = [];
  const resolve = (hostname: string): Promise<readonly LookupAddress[]> => {
    asked.push(hostname);
    // As DNS does, a fully qualified name with its final dot is the same name.
    const answer = table[hostname.toLowerCase().replace(/\.$/, '')];
    if (answer === HANG) return new Promise(() => {});
    if (answer === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(answer.map((address) => ({ address, family: isIP(address) })));
  };
  return Object.assign(resolve, { asked });
}

describe('webhook target addresses', () => {
  it('tells public unicast addresses from loopback, link-local, private and special ones', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect(isPublicAddress(address), address).toBe(true);
  });

  it('refuses at connection a name that resolves to loopback, or to a public address and loopback', async () => {
    const resolver = fakeResolver({ 'inward.example.com': ['127.0.0.1'], 'mixed.example.com': ['93.184.215.14', '::1'] });
    for (const name of ['inward.example.com', 'mixed.example.com']) {
      const failure = await new Promise<Error | null>((resolve) => createCheckedLookup(PUBLIC_ONLY, resolver)(name, {}, (error) => resolve(error)));
      expect(failure, name).toBeInstanceOf(WebhookTargetRefused);
    }
  });

  it('keeps cloud metadata addresses out with the development switch on, unless listed by themselves', async () => {
    const development = createWebhookAddressPolicy({ allowPrivate: true });
    for (const address of ['169.254.169.254', 'fd00:ec2::254', '::ffff:169.254.169.254', '168.63.129.16']) expect(isReachableAddress(address, address, development), address).toBe(false);
    expect(isReachableAddress('127.0.0.1', '127.0.0.1', development)).toBe(true);
    expect(isAllowedWebhookHost(new URL('http://169.254.169.254/latest/meta-data/'), development)).toBe(false);
    expect(isAllowedWebhookHost(new URL('http://[fd00:ec2::254]/'), development)).toBe(false);
    expect(isAllowedWebhookHost(new URL('http://localhost:9000/hooks'), development)).toBe(true);
    // A name is checked when the delivery resolves it.
    const lookup = createCheckedLookup(development, fakeResolver({ 'imds.example.com': ['169.254.169.254'], 'receiver.localhost': ['127.0.0.1'] }));
    const failure = await new Promise<Error | null>((resolve) => lookup('imds.example.com', {}, (error) => resolve(error)));
    expect(failure).toBeInstanceOf(WebhookTargetRefused);
    expect(await new Promise<unknown>((resolve) => lookup('receiver.localhost', {}, (_error, address) => resolve(address)))).toBe('127.0.0.1');
    // Azure's platform endpoint is a public address, refused like the metadata services.
    expect(isReachableAddress('168.63.129.16', '168.63.129.16', PUBLIC_ONLY)).toBe(false);
    expect(isReachableAddress('168.63.129.16', '168.63.129.16', createWebhookAddressPolicy({ allowedNetworks: ['168.63.129.16'] }))).toBe(true);
  });

  it('connects a listed name to the private addresses it resolves to, of the family asked for', async () => {
    const lookup = createCheckedLookup(createWebhookAddressPolicy({ allowedNetworks: ['hooks.bank.internal'] }), fakeResolver({ 'hooks.bank.internal': ['10.9.8.7', 'fd12::7'] }));
    const all = await new Promise<unknown>((resolve) => lookup('hooks.bank.internal', { all: true }, (_error, addresses) => resolve(addresses)));
    expect(all).toEqual([{ address: '10.9.8.7', family: 4 }, { address: 'fd12::7', family: 6 }]);
    const six = await new Promise<unknown>((resolve) => lookup('hooks.bank.internal', { family: 6 }, (_error, address, family) => resolve([address, family])));
    expect(six).toEqual(['fd12::7', 6]);
  });

  describe('at registration', () => {
    const policy = createWebhookAddressPolicy({ allowedNetworks: ['10.20.0.0/16', 'hooks.bank.internal'] });
    const resolver = fakeResolver({
      'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'], 'inward.example.com': ['10.0.0.5'], 'mixed.example.com': ['93.184.215.14', '127.0.0.1'],
      'receivers.example.com': ['10.20.1.5'], 'hooks.bank.internal': ['192.168.1.10'], 'metadata.bank.internal': ['169.254.169.254'], 'empty.example.com': [], 'slow.example.com': HANG,
    });
    const check = (url: string, timeoutMs = 1_000) => checkWebhookTarget(new URL(url), policy, { resolve: resolver, timeoutMs });

    it('accepts a name that resolves to public or allowed addresses only', async () => {
      for (const url of ['https://hooks.example.com/x', 'https://receivers.example.com/x', 'http://hooks.bank.internal:8443/x', 'http://HOOKS.bank.internal./x']) {
        expect(await check(url), url).toEqual({ ok: true, value: null });
      }
    });

    it('refuses a name with any refused address, and one that does not resolve, or not in time', async () => {
      for (const url of ['https://inward.example.com/x', 'https://mixed.example.com/x', 'https://metadata.bank.internal/x']) expect(await check(url), url).toEqual({ ok: false, error: 'webhook_url_not_allowed' });
      for (const url of ['https://nowhere.example.com/x', 'https://empty.example.com/x']) expect(await check(url), url).toEqual({ ok: false, error: 'webhook_host_not_resolved' });
      // The resolver never answers: without the timeout this would wait until the test itself timed out.
      expect(await check('https://slow.example.com/x', 50)).toEqual({ ok: false, error: 'webhook_host_not_resolved' });
    });

    it('resolves nothing for an address, or when local development allows every address', async () => {
      const asked = resolver.asked.length;
      expect(await check('http://10.20.3.4/x')).toEqual({ ok: true, value: null });
      expect(await check('http://10.21.3.4/x')).toEqual({ ok: false, error: 'webhook_url_not_allowed' });
      expect(await checkWebhookTarget(new URL('http://nowhere.example.com/x'), createWebhookAddressPolicy({ allowPrivate: true }), { resolve: resolver, timeoutMs: 50 })).toEqual({ ok: true, value: null });
      expect(resolver.asked.length).toBe(asked);
    });
  });

  describe('delivery', () => {
    let target: Server;
    let receiver: Server;
    let targetHits = 0;
    let receiverUrl = '';

    beforeAll(async () => {
      target = createServer((_request, response) => ((targetHits += 1), response.writeHead(200).end()));
      await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
      const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/internal`;
      receiver = createServer((request, response) => {
        if (request.url === '/redirect') return void response.writeHead(302, { location: targetUrl }).end();
        if (request.url === '/ok') return void request.resume().on('end', () => response.writeHead(204).end());
        // An answer that never ends: reading it would hold the delivery and fill memory.
        response.writeHead(200, { 'content-type': 'text/plain' });
        const timer = setInterval(() => response.write('x'.repeat(65_536)), 1);
        response.on('close', () => clearInterval(timer));
      });
      await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
      receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      receiver.closeAllConnections();
      await Promise.all([new Promise((resolve) => target.close(resolve)), new Promise((resolve) => receiver.close(resolve))]);
    });

    const request = { headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs: 2_000 };

    it('refuses a private address at delivery unless local development or the allow-list opens it', async () => {
      await expect(createWebhookPost({ policy: PUBLIC_ONLY })(`${receiverUrl}/redirect`, request)).rejects.toBeInstanceOf(WebhookTargetRefused);
      await expect(createWebhookPost({ policy: PUBLIC_ONLY })('http://localhost:9/x', request)).rejects.toBeInstanceOf(WebhookTargetRefused);
      await expect(createWebhookPost({ policy: createWebhookAddressPolicy({ allowedNetworks: ['10.0.0.0/8', '127.0.0.2'] }) })(`${receiverUrl}/ok`, request)).rejects.toBeInstanceOf(WebhookTargetRefused);
    });

    it('delivers to a receiver on 127.0.0.1 that the allow-list opens, by address or by name, without the local-development switch', async () => {
      const port = (receiver.address() as AddressInfo).port;
      expect(await createWebhookPost({ policy: createWebhookAddressPolicy({ allowedNetworks: ['127.0.0.0/8'] }) })(`${receiverUrl}/ok`, request)).toBe(204);
      expect(await createWebhookPost({ policy: createWebhookAddressPolicy({ allowedNetworks: ['127.0.0.1'] }) })(`${receiverUrl}/ok`, request)).toBe(204);
      const resolver = fakeResolver({ 'receiver.bank.internal': ['127.0.0.1'], 'other.bank.internal': ['127.0.0.1'] });
      const post = createWebhookPost({ policy: createWebhookAddressPolicy({ allowedNetworks: ['receiver.bank.internal'] }), resolve: resolver });
      expect(await post(`http://receiver.bank.internal:${port}/ok`, request)).toBe(204);
      // The name resolves again at every delivery, and only the listed name may lead to loopback.
      expect(await post(`http://receiver.bank.internal:${port}/ok`, request)).toBe(204);
      expect(resolver.asked.filter((name) => name === 'receiver.bank.internal')).toHaveLength(2);
      await expect(post(`http://other.bank.internal:${port}/ok`, request)).rejects.toBeInstanceOf(WebhookTargetRefused);
    });

    it('does not follow a redirect, and answers the status of an endless body without reading it', async () => {
      const post = createWebhookPost({ policy: createWebhookAddressPolicy({ allowPrivate: true }) });
      expect(await post(`${receiverUrl}/redirect`, request)).toBe(302);
      expect(targetHits).toBe(0);
      expect(await post(`${receiverUrl}/endless`, request)).toBe(200);
    });
  });
});

describeEachDialect('webhook registration', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    // The bank's receivers sit in 10.20.0.0/16 and fd12:3456::/48, and one behind a listed name.
    api = await startApi(open, {
      webhookAllowedNetworks: ['10.20.0.0/16', 'fd12:3456::/48', 'hooks.bank.internal'],
      webhookResolver: fakeResolver({
        'hooks.example.com': ['93.184.215.14'], 'inward.example.com': ['10.0.0.5'], 'mixed.example.com': ['93.184.215.14', '192.168.1.10'],
        'receivers.example.com': ['10.20.1.5', 'fd12:3456::5'], 'hooks.bank.internal': ['192.168.1.10'], 'metadata.example.com': ['169.254.169.254'],
      }),
    });
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses URLs that point at loopback, link-local, private or special addresses, however they are spelled', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hooks', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.5/x', 'http://192.168.1.10/x', 'http://172.20.0.1/x',
      'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://[fe80::1]/x', 'http://0x7f000001/x', 'http://2130706433/x', 'http://0.0.0.0/x',
      'http://localhost:8080/x', 'http://api.localhost/x', 'https://LOCALHOST./x', 'http://10.21.0.1/x', 'http://[fd12:3457::1]/x',
    ]) {
      expectProblem(await api.call('POST', '/v1/payments/webhooks', { url }), 422, 'webhook_url_not_allowed', '/url');
    }
  });

  it('refuses a name that resolves to a refused address, or that does not resolve', async () => {
    for (const url of ['https://inward.example.com/x', 'https://mixed.example.com/x', 'https://metadata.example.com/x']) {
      expectProblem(await api.call('POST', '/v1/payments/webhooks', { url }), 422, 'webhook_url_not_allowed', '/url');
    }
    expectProblem(await api.call('POST', '/v1/payments/webhooks', { url: 'https://nowhere.example.com/x' }), 422, 'webhook_host_not_resolved', '/url');
    expect((await api.ok('GET', '/v1/payments/webhooks')).data).toEqual([]);
  });

  it('accepts a public name, and never shows the secret again after creating it', async () => {
    const created = await api.ok('POST', '/v1/payments/webhooks', { url: 'https://hooks.example.com/sluice' }, 201);
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await api.ok('GET', '/v1/payments/webhooks');
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(JSON.stringify(await api.ok('GET', `/v1/payments/webhooks/${created.id}/deliveries`))).not.toContain(created.secret);
    await api.ok('DELETE', `/v1/payments/webhooks/${created.id}`, undefined, 204);
  });

  it('accepts the private addresses and names the allow-list opens', async () => {
    for (const url of ['http://10.20.3.4:8080/hooks', 'http://[fd12:3456::9]/hooks', 'https://receivers.example.com/hooks', 'https://hooks.bank.internal/hooks']) {
      const created = await api.ok('POST', '/v1/payments/webhooks', { url }, 201);
      expect(created.url).toBe(url);
      await api.ok('DELETE', `/v1/payments/webhooks/${created.id}`, undefined, 204);
    }
  });
});
