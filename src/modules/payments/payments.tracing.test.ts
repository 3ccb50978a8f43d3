import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { setTracingEnabled } from '../../kernel/index.ts';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { uuid, type Api } from '../../../test/http/harness.ts';
import { startNetworkApi, type Network } from './payments.http.test-support.ts';

/**
 * What a trace shows of a payment: the request's server span, a `payments.submit` span inside it
 * with the payment's UETR and outcome, and the ledger commits that booked its legs linked to that
 * span. Spans are kept in memory here; test/process/tracing.test.ts covers their export.
 */
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  provider.register();
  setTracingEnabled(true);
});

afterAll(async () => {
  setTracingEnabled(false);
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});

describeEachDialect('payments in a trace', ({ open }) => {
  let api: Api;
  let network: Network;
  beforeAll(async () => ({ api, network } = await startNetworkApi(open)));
  afterAll(async () => api?.close());

  it('shows a submission inside its request, with its UETR and status, and the commits of its legs linked to it', async () => {
    const [from, to] = [await network.customer(network.banks.cn, 'CNY', 500_000n), await network.customer(network.banks.us, 'CNY')];
    exporter.reset();
    const payment = await api.ok('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '10000', currency: 'CNY' }, 201);
    const refused = await api.call('POST', '/v1/payments', { id: uuid(), debtor_account: from.id, creditor_account: to.id, amount: '99999999', currency: 'CNY' });
    expect(refused.statusCode).toBeGreaterThanOrEqual(400);

    const spans = exporter.getFinishedSpans();
    const submissions = spans.filter((span) => span.name === 'payments.submit');
    expect(submissions).toHaveLength(2);
    const [settled, failed] = submissions as [ReadableSpan, ReadableSpan];
    expect(settled.attributes).toMatchObject({ 'sluice.payment.uetr': payment.uetr, 'sluice.payment.status': 'ACCC', 'sluice.payment.replayed': false, 'sluice.payment.currency': 'CNY' });
    expect(failed.attributes['sluice.payment.refusal']).toEqual(expect.any(String));

    const requests = spans.filter((span) => span.name === 'POST /v1/payments');
    expect(requests).toHaveLength(2);
    expect(settled.parentSpanContext?.spanId).toBe(requests[0]?.spanContext().spanId);
    expect(settled.spanContext().traceId).toBe(requests[0]?.spanContext().traceId);

    const commits = spans.filter((span) => span.name === 'ledger.commit' && span.links.some((link) => link.context.spanId === settled.spanContext().spanId));
    expect(commits.length).toBeGreaterThanOrEqual(1);
  });
});
