/**
 * OpenTelemetry traces as an operator meets them: `sluice start` with an OTLP endpoint in its
 * environment sends its spans there. A request that carries a W3C `traceparent` continues the
 * caller's trace, and the ledger's group commit links to the requests it served. Spans still queued
 * when the server is stopped are sent before it exits.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { killAllSluice, sluiceClient, startSluice, TEST_ADMIN_KEY } from '../support/server-process.ts';
import { openBook } from './ledger-load.ts';

const TEST_TIMEOUT_MS = 150_000;

interface OtlpValue { stringValue?: string; intValue?: number | string }
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}
interface Exported { resource: Record<string, string>; span: OtlpSpan }

const SPAN_KIND_SERVER = 2;
const STATUS_ERROR = 2;

const received: Exported[] = [];
let collector: Server;
let collectorUrl: string;
const dataDir = mkdtempSync(join(tmpdir(), 'sluice-tracing-'));

beforeAll(async () => {
  // A stand-in for an OpenTelemetry collector's OTLP/HTTP receiver.
  collector = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      if (request.url === '/v1/traces') {
        const message = JSON.parse(body) as { resourceSpans: { resource: { attributes: { key: string; value: OtlpValue }[] }; scopeSpans: { spans: OtlpSpan[] }[] }[] };
        for (const { resource, scopeSpans } of message.resourceSpans) {
          const attributes = Object.fromEntries(resource.attributes.map(({ key, value }) => [key, String(value.stringValue ?? value.intValue)]));
          for (const { spans } of scopeSpans) for (const span of spans) received.push({ resource: attributes, span });
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
});

afterAll(async () => {
  await killAllSluice();
  collector?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Posts a transfer over a raw socket, its body in two parts sent a while apart; resolves with the answer's text. */
async function trickle(url: string, body: unknown, traceparent: string): Promise<string> {
  const { hostname, port } = new URL(url);
  const json = Buffer.from(JSON.stringify(body));
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  socket.write(`POST /v1/transfers HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${TEST_ADMIN_KEY}\r\ncontent-type: application/json\r\n` +
    `content-length: ${json.length}\r\ntraceparent: ${traceparent}\r\nconnection: close\r\n\r\n`);
  socket.write(json.subarray(0, 20));
  await new Promise((resolve) => setTimeout(resolve, 300));
  socket.write(json.subarray(20));
  await once(socket, 'close');
  return answer;
}

const attribute = (span: OtlpSpan, key: string) => {
  const value = span.attributes?.find((entry) => entry.key === key)?.value;
  return value === undefined ? undefined : (value.stringValue ?? Number(value.intValue));
};

it('sends a span per request in the caller\'s trace, and commit spans linked to the traced ones, before it stops', { timeout: TEST_TIMEOUT_MS }, async () => {
  const server = await startSluice({
    dataDir,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_SERVICE_NAME: 'sluice-under-test',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=ci',
      // Nothing is sent while the server runs: what the collector gets, it got from the stop.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      SLUICE_LOG_LEVEL: 'info',
    },
  });
  const client = sluiceClient(server.url);
  const book = await openBook(client, { ledger: 1, constrained: 1, plain: 1, funding: 1_000n });

  const traceId = randomBytes(16).toString('hex');
  const callerSpanId = randomBytes(8).toString('hex');
  const post = (body: unknown) =>
    fetch(`${server.url}/v1/transfers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json', traceparent: `00-${traceId}-${callerSpanId}-01` },
      body: JSON.stringify(body),
    });
  const booked = await post({ id: randomUUID(), debit_account_id: book.constrained[0], credit_account_id: book.plain[0], amount: '250', ledger: 1, code: 1 });
  expect(booked.status).toBe(201);
  const refused = await post({ id: randomUUID(), debit_account_id: book.constrained[0], credit_account_id: book.plain[0], amount: 'lots', ledger: 1, code: 1 });
  expect(refused.status).toBe(400);
  // A body that trickles in, so that it is read on the socket's callbacks after the request began.
  const trickled = await trickle(server.url, { id: randomUUID(), debit_account_id: book.plain[0], credit_account_id: book.constrained[0], amount: '7', ledger: 1, code: 1 }, `00-${traceId}-${callerSpanId}-01`);
  expect(trickled).toMatch(/^HTTP\/1.1 201 /);
  expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  // A caller whose trace is not sampled (flags 00) gets no span, and neither does its commit.
  const unsampledTrace = randomBytes(16).toString('hex');
  const unsampled = await fetch(`${server.url}/v1/transfers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, 'content-type': 'application/json', traceparent: `00-${unsampledTrace}-${randomBytes(8).toString('hex')}-00` },
    body: JSON.stringify({ id: randomUUID(), debit_account_id: book.plain[0], credit_account_id: book.constrained[0], amount: '3', ledger: 1, code: 1 }),
  });
  expect(unsampled.status).toBe(201);
  expect(received).toEqual([]);

  const logged = server.output();
  expect(logged).toContain(`Traces: OpenTelemetry over OTLP/HTTP to ${collectorUrl}/\n`);
  await server.kill('SIGTERM');
  expect(server.exitStatus()).toEqual({ code: 0, signal: null });

  const ours = received.filter(({ span }) => span.traceId === traceId && span.kind === SPAN_KIND_SERVER).map(({ span }) => span);
  expect(ours.map((span) => [span.name, span.kind, span.parentSpanId])).toEqual(Array.from({ length: 3 }, () => ['POST /v1/transfers', SPAN_KIND_SERVER, callerSpanId]));
  expect(ours.map((span) => attribute(span, 'http.response.status_code')).sort()).toEqual([201, 201, 400]);
  expect(ours.map((span) => attribute(span, 'http.route'))).toEqual(['/v1/transfers', '/v1/transfers', '/v1/transfers']);
  // A refusal is the client's mistake, not a failed span.
  expect(ours.every((span) => span.status?.code !== STATUS_ERROR)).toBe(true);
  expect(received.find(({ span }) => span.traceId === traceId)?.resource).toMatchObject({ 'service.name': 'sluice-under-test', 'deployment.environment.name': 'ci' });

  // Each booking's commit is a trace of its own, linked to the request it served.
  const bookings = ours.filter((span) => attribute(span, 'http.response.status_code') === 201);
  expect(bookings).toHaveLength(2);
  for (const request of bookings) {
    const commits = received.filter(({ span }) => span.name === 'ledger.commit' && span.links?.some((link) => link.spanId === request.spanId)).map(({ span }) => span);
    expect(commits).toHaveLength(1);
    // Served alone, the request is its commit's first traced caller: the commit is in its trace.
    expect([commits[0]?.traceId, commits[0]?.parentSpanId]).toEqual([traceId, request.spanId]);
    expect(commits[0]?.links?.find((link) => link.spanId === request.spanId)?.traceId).toBe(traceId);
    expect(attribute(commits[0] as OtlpSpan, 'sluice.ledger.items')).toBeGreaterThanOrEqual(1);
    // Risk control decided within the request, before the booking.
    const decisions = received.filter(({ span }) => span.name === 'risk.decide' && span.parentSpanId === request.spanId).map(({ span }) => span);
    expect(decisions.map((span) => [span.traceId, attribute(span, 'sluice.risk.items'), attribute(span, 'sluice.risk.approve')])).toEqual([[traceId, 1, 1]]);
  }

  // Each request's completion line in the log names its trace and span.
  const completions = logged.split('\n').filter((line) => line.includes('"request completed"') && line.includes(traceId)).map((line) => JSON.parse(line) as { trace_id: string; span_id: string });
  expect(completions.map((line) => line.span_id).sort()).toEqual(ours.map((span) => span.spanId).sort());

  expect(received.filter(({ span }) => span.traceId === unsampledTrace || span.links?.some((link) => link.traceId === unsampledTrace))).toEqual([]);
  // Every commit traced was a commit of a traced request.
  expect(received.filter(({ span }) => span.name === 'ledger.commit').every(({ span }) => (span.links?.length ?? 0) > 0 && span.parentSpanId)).toBe(true);

  // Probes are not traced.
  expect(received.some(({ span }) => attribute(span, 'url.path') === '/healthz')).toBe(false);
});

it('stops cleanly and promptly when the collector takes spans and never answers', { timeout: TEST_TIMEOUT_MS }, async () => {
  const hanging = createServer(() => {
    // Reads nothing, answers nothing: a collector that has hung.
  });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  try {
    const server = await startSluice({
      env: {
        OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(hanging.address() as { port: number }).port}`,
        OTEL_BSP_SCHEDULE_DELAY: '600000',
        // Without a bound of its own, the stop would wait this long for the export.
        OTEL_EXPORTER_OTLP_TIMEOUT: '120000',
        OTEL_BSP_EXPORT_TIMEOUT: '120000',
      },
    });
    const client = sluiceClient(server.url);
    expect((await client.post('/v1/ledgers', { id: 9, asset_code: 'EUR', name: 'Traced while the collector hangs' })).status).toBe(201);
    const stopping = performance.now();
    await server.kill('SIGTERM');
    // A clean exit, not the SIGKILL the helper sends to a process that does not stop.
    expect(server.exitStatus()).toEqual({ code: 0, signal: null });
    expect(performance.now() - stopping).toBeLessThan(60_000);
  } finally {
    hanging.closeAllConnections();
    hanging.close();
  }
});

it('refuses to start with a trace exporter it cannot send to, in one line', { timeout: TEST_TIMEOUT_MS }, async () => {
  const failure = await startSluice({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' } }).then(
    () => undefined,
    (error: Error) => error.message,
  );
  expect(failure).toContain('OTEL_EXPORTER_OTLP_PROTOCOL may only be http/json or http/protobuf here');
  expect(failure).not.toMatch(/\n\s+at /);
});
