import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tracingEnabled } from '../kernel/index.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span, while tracing is on and the request is being served. */
    trace: Span | null;
  }
}

/** Routes not worth a span each: probes and scrapes that run every few seconds. */
const UNTRACED = /^\/(healthz|readyz|metrics)(\/|\?|$)/;

/**
 * A server span per request, continuing the trace the caller's `traceparent` header names (W3C
 * trace context), named after the route's template so that traces group by endpoint rather than by
 * id. The request's work runs inside the span's context, so spans of shared work (the ledger's
 * group commit) can link to it. Registered only while tracing is on: otherwise no hook is added.
 */
export function registerTracing(app: FastifyInstance): void {
  if (!tracingEnabled()) return;
  const tracer = trace.getTracer('sluice');
  app.decorateRequest('trace', null);

  app.addHook('onRequest', (request, _reply, done) => {
    if (UNTRACED.test(request.url)) return done();
    const parent = propagation.extract(ROOT_CONTEXT, request.headers);
    const span = tracer.startSpan(
      `${request.method}`,
      {
        kind: SpanKind.SERVER,
        attributes: {
          'http.request.method': request.method,
          'url.path': request.url.split('?')[0] as string,
          'sluice.request_id': request.id,
          ...(request.ip ? { 'client.address': request.ip } : {}),
        },
      },
      parent,
    );
    request.trace = span;
    // The request's later log lines (its completion, its errors) name the trace, to go from one to
    // the other. Added to the request's own logger rather than a child of it: a pino child costs
    // about three times as much, on every request whether or not a line is then written.
    const { traceId, spanId } = span.spanContext();
    (request.log as { setBindings?: (bindings: Record<string, string>) => void }).setBindings?.({ trace_id: traceId, span_id: spanId });
    // The rest of the request's hooks and its handler run in the span's context, even when the body
    // trickles in later (tracing.test.ts sends one in two parts).
    context.with(trace.setSpan(parent, span), done);
  });

  app.addHook('onResponse', (request, reply, done) => {
    finish(request, reply.statusCode);
    done();
  });
  app.addHook('onRequestAbort', (request, done) => {
    finish(request, undefined);
    done();
  });
}

function finish(request: FastifyRequest, status: number | undefined): void {
  const span = request.trace;
  if (!span) return;
  request.trace = null;
  const route = request.routeOptions.url;
  if (route) {
    span.updateName(`${request.method} ${route}`);
    span.setAttribute('http.route', route);
  }
  if (status === undefined) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'the client closed the connection before the answer' });
  } else {
    span.setAttribute('http.response.status_code', status);
    // Per the HTTP conventions a server span fails on 5xx only: a 4xx is the client's mistake.
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  }
  span.end();
}
