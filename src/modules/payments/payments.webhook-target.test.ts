import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, type Api } from '../../../test/http/harness.ts';
import { createWebhookPost, isPublicAddress, publicOnlyLookup, WebhookTargetRefused } from './payments.webhook-target.ts';

/**
 * Webhooks cannot be pointed inside the bank: loopback, link-local (the cloud metadata address),
 * private and other special addresses are refused when a URL is registered and again after its name
 * is resolved at delivery; redirects are not followed and a receiver's body is never read.
 */
describe('webhook target addresses', () => {
  it('tells public unicast addresses from loopback, link-local, private and special ones', () => {
    for (const address of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '::1', '::', 'fe80::1', 'fc00::1', 'fd12::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '64:ff9b::a9fe:a9fe']) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) expect(isPublicAddress(address), address).toBe(true);
  });

  it('refuses a name that resolves to loopback', async () => {
    const failure = await new Promise<Error | null>((resolve) => publicOnlyLookup('localhost', {}, (error) => resolve(error)));
    expect(failure).toBeInstanceOf(WebhookTargetRefused);
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

    it('refuses a private address at delivery unless local development allows it', async () => {
      await expect(createWebhookPost({ allowPrivate: false })(`${receiverUrl}/redirect`, request)).rejects.toBeInstanceOf(WebhookTargetRefused);
      await expect(createWebhookPost({ allowPrivate: false })('http://localhost:9/x', request)).rejects.toBeInstanceOf(WebhookTargetRefused);
    });

    it('does not follow a redirect, and answers the status of an endless body without reading it', async () => {
      const post = createWebhookPost({ allowPrivate: true });
      expect(await post(`${receiverUrl}/redirect`, request)).toBe(302);
      expect(targetHits).toBe(0);
      expect(await post(`${receiverUrl}/endless`, request)).toBe(200);
    });
  });
});

describeEachDialect('webhook registration', ({ open }) => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(open);
  });
  afterAll(async () => {
    await api?.close();
  });

  it('refuses URLs that point at loopback, link-local, private or special addresses, however they are spelled', async () => {
    for (const url of [
      'http://127.0.0.1:8080/hooks', 'http://169.254.169.254/latest/meta-data/', 'http://10.0.0.5/x', 'http://192.168.1.10/x', 'http://172.20.0.1/x',
      'http://[::1]/x', 'http://[::ffff:127.0.0.1]/x', 'http://[fe80::1]/x', 'http://0x7f000001/x', 'http://2130706433/x', 'http://0.0.0.0/x',
      'http://localhost:8080/x', 'http://api.localhost/x', 'https://LOCALHOST./x',
    ]) {
      expectProblem(await api.call('POST', '/v1/payments/webhooks', { url }), 422, 'webhook_url_not_allowed', '/url');
    }
  });

  it('accepts a public name, and never shows the secret again after creating it', async () => {
    const created = await api.ok('POST', '/v1/payments/webhooks', { url: 'https://hooks.example.com/sluice' }, 201);
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await api.ok('GET', '/v1/payments/webhooks');
    expect(JSON.stringify(listed)).not.toContain(created.secret);
    expect(JSON.stringify(await api.ok('GET', `/v1/payments/webhooks/${created.id}/deliveries`))).not.toContain(created.secret);
    await api.ok('DELETE', `/v1/payments/webhooks/${created.id}`, undefined, 204);
  });
});
