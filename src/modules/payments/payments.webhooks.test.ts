import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { expectProblem, startApi, uuid, type Api } from '../../../test/http/harness.ts';
import { WEBHOOK_LIMITS } from './payments.limits.ts';
import { payAcrossBorder, setUpNetwork, startWebhookReceiver, type Network, type ReceivedDelivery } from './payments.http.test-support.ts';
import { backoffMs, REMOVED_WEBHOOK_ERROR, SIGNATURE_HEADER, signBody } from './payments.webhooks.ts';

/**
 * Status notifications: a receiver on 127.0.0.1, opened by the allow-list of private networks as a
 * bank opens its own receivers, gets every status change signed, bodies verify
 * against the subscription's secret, failures are retried with exponential backoff up to the named
 * maximum and logged attempt by attempt, and a client without webhooks polls the same events.
 */
describeEachDialect('payment notifications', ({ open }) => {
  let api: Api;
  let network: Network;
  let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
  let url: string;
  let received: ReceivedDelivery[];
  /** How many of the next requests the receiver answers with 500. */
  let failNext = 0;

  beforeAll(async () => {
    // The receiver listens on loopback, which webhooks reach only when it is listed (or in local
    // development, which is not switched on here).
    api = await startApi(open, { webhookAllowedNetworks: ['127.0.0.1'] });
    network = await setUpNetwork(api);
    receiver = await startWebhookReceiver(SIGNATURE_HEADER, () => (failNext > 0 ? (failNext -= 1, 500) : 204));
    received = receiver.received;
    url = `${receiver.base}/hooks`;
  });
  afterAll(async () => {
    await api?.close();
    await receiver?.close();
  });

  const pay = () => payAcrossBorder(api, network);

  it('delivers every status change, signed over the timestamp and the body', async () => {
    const secret = 'whsec_test_0123456789abcdef';
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url, secret }, 201);
    expect(hook).toMatchObject({ url, active: true, secret });
    const payment = await pay();
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 4, failed: 0, retried: 0 });
    // Deliveries run in parallel and arrive in any order; the body's sequence number orders them.
    const mine = received.filter((entry) => JSON.parse(entry.body).data.uetr === payment.uetr).sort((a, b) => Number(JSON.parse(a.body).data.seq) - Number(JSON.parse(b.body).data.seq));
    expect(mine.map((entry) => JSON.parse(entry.body).data.status)).toEqual(['RCVD', 'ACTC', 'ACSP', 'ACCC']);
    for (const entry of mine) {
      const [, timestamp] = /^t=(\d+),v1=[0-9a-f]{64}$/.exec(entry.signature)!;
      expect(entry.signature).toBe(signBody(secret, Number(timestamp), entry.body));
      expect(entry.signature).not.toBe(signBody('another secret', Number(timestamp), entry.body));
      expect(entry.eventId).toBe(JSON.parse(entry.body).id);
    }
    // Nothing is delivered twice once delivered.
    expect(await api.platform.payments.webhooks.dispatch()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
  });

  it('retries with exponential backoff, logs every attempt, and gives up after the named maximum', async () => {
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url }, 201);
    expect(hook.secret).toMatch(/^whsec_/);
    failNext = 2;
    await pay();
    const webhooks = api.platform.payments.webhooks;
    // Four events: the first two attempts fail (500), the other two go through.
    expect(await webhooks.dispatch()).toEqual({ delivered: 2, failed: 0, retried: 2 });
    expect(await webhooks.dispatch()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    api.clock.advance(backoffMs(1));
    expect(await webhooks.dispatch()).toEqual({ delivered: 2, failed: 0, retried: 0 });
    const log = await api.ok('GET', `/v1/payments/webhooks/${hook.id}/deliveries`);
    const retried = log.data.filter((delivery: { attempts: number }) => delivery.attempts === 2);
    expect(retried).toHaveLength(2);
    expect(retried[0]).toMatchObject({ state: 'delivered', last_status: 204 });
    expect(retried[0].log.map((entry: { status_code: number }) => entry.status_code)).toEqual([500, 204]);

    failNext = Number.MAX_SAFE_INTEGER;
    await pay();
    for (let attempt = 1; attempt <= WEBHOOK_LIMITS.maxAttempts; attempt++) {
      await webhooks.dispatch();
      api.clock.advance(backoffMs(attempt));
    }
    failNext = 0;
    const after = await api.ok('GET', `/v1/payments/webhooks/${hook.id}/deliveries?limit=100`);
    const failed = after.data.filter((delivery: { state: string }) => delivery.state === 'failed');
    expect(failed).toHaveLength(4);
    expect(failed.every((delivery: { attempts: number; log: unknown[] }) => delivery.attempts === WEBHOOK_LIMITS.maxAttempts && delivery.log.length === WEBHOOK_LIMITS.maxAttempts)).toBe(true);
    // Backoff doubles from the base delay and stops at the cap.
    expect([backoffMs(1), backoffMs(2), backoffMs(3)]).toEqual([WEBHOOK_LIMITS.backoffBaseMs, 2 * WEBHOOK_LIMITS.backoffBaseMs, 4 * WEBHOOK_LIMITS.backoffBaseMs]);
    expect(backoffMs(40)).toBe(WEBHOOK_LIMITS.backoffMaxMs);
    await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
  });

  it('sends nothing more to a removed webhook, its deliveries waiting for a retry included, and logs why', async () => {
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url: `${url}/removed` }, 201);
    const webhooks = api.platform.payments.webhooks;
    failNext = Number.MAX_SAFE_INTEGER;
    const payment = await pay();
    expect(await webhooks.dispatch()).toEqual({ delivered: 0, failed: 0, retried: 4 });
    const sentBefore = received.length;
    await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
    failNext = 0;
    api.clock.advance(backoffMs(1));
    expect(await webhooks.dispatch()).toEqual({ delivered: 0, failed: 0, retried: 0 });
    expect(received.slice(sentBefore).filter((entry) => JSON.parse(entry.body).data.uetr === payment.uetr)).toEqual([]);
    const log = await api.ok('GET', `/v1/payments/webhooks/${hook.id}/deliveries?limit=100`);
    expect(log.data).toHaveLength(4);
    expect(log.data.every((delivery: { state: string; attempts: number; last_error: string }) => delivery.state === 'failed' && delivery.attempts === 1 && delivery.last_error === REMOVED_WEBHOOK_ERROR)).toBe(true);
  });

  it('refuses URLs it will not call, and unknown subscriptions', async () => {
    for (const bad of ['ftp://127.0.0.1/x', 'http://user:pass@127.0.0.1/x', 'not a url']) {
      expectProblem(await api.call('POST', '/v1/payments/webhooks', { url: bad }), 422, 'webhook_url_not_allowed', '/url');
    }
    expectProblem(await api.call('GET', `/v1/payments/webhooks/${uuid()}/deliveries`), 404, 'webhook_not_found');
    const hook = await api.ok('POST', '/v1/payments/webhooks', { url: `${url}/cursor` }, 201);
    expectProblem(await api.call('GET', `/v1/payments/webhooks/${hook.id}/deliveries?after=bm90LWEtY3Vyc29y`), 400, 'invalid_cursor', '/query/after');
    await api.ok('DELETE', `/v1/payments/webhooks/${hook.id}`, undefined, 204);
    expectProblem(await api.call('DELETE', `/v1/payments/webhooks/${uuid()}`), 404, 'webhook_not_found');
  });

  it('lets clients without webhooks poll the same events with a cursor', async () => {
    const first = await api.ok('GET', '/v1/payments/events?limit=100');
    let cursor = first.next_cursor as string;
    for (let page = await api.ok('GET', `/v1/payments/events?after=${cursor}&limit=100`); page.data.length > 0; page = await api.ok('GET', `/v1/payments/events?after=${cursor}&limit=100`)) {
      cursor = page.next_cursor;
    }
    const payment = await pay();
    const fresh = await api.ok('GET', `/v1/payments/events?after=${cursor}&limit=100`);
    expect(fresh.data.map((event: { uetr: string; status: string }) => [event.uetr, event.status])).toEqual([
      [payment.uetr, 'RCVD'], [payment.uetr, 'ACTC'], [payment.uetr, 'ACSP'], [payment.uetr, 'ACCC'],
    ]);
    const empty = await api.ok('GET', `/v1/payments/events?after=${fresh.next_cursor}`);
    expect(empty).toEqual({ data: [], next_cursor: fresh.next_cursor });
    // The refusal names the field the cursor came in: `after`, not the `cursor` of the list routes.
    const problem = expectProblem(await api.call('GET', '/v1/payments/events?after=bm90LWEtY3Vyc29y'), 400, 'invalid_cursor', '/query/after');
    expect(problem.errors.map((error: { pointer: string }) => error.pointer)).toEqual(['/query/after']);
  });
});
