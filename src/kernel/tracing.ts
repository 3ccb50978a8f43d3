import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags, type Attributes, type Link, type Span, type SpanContext } from '@opentelemetry/api';

export type { Attributes, SpanContext } from '@opentelemetry/api';

/**
 * The modules' spans: a step within a request (inSpan), and work that serves many requests at once,
 * such as a group commit of the ledger (startSharedSpan). Modules speak only to the OpenTelemetry
 * API; whether spans go anywhere is decided by the composition root (src/tracing.ts), which turns
 * this switch on once an exporter is registered. While it is off, no request pays for a context
 * look-up or a span.
 */
let enabled = false;

/** The tracer every module's spans come from; its name is what a trace viewer shows as the library. */
const TRACER_NAME = 'sluice';

/**
 * Links a span of shared work carries to the requests it serves, at most. A group commit can serve
 * thousands of requests; a trace viewer gains nothing from more links than a page can show, and an
 * exporter pays for each one.
 */
export const TRACE_LINKS_MAX = 128;

export function setTracingEnabled(on: boolean): void {
  enabled = on;
}

export function tracingEnabled(): boolean {
  return enabled;
}

/** The span the caller runs in, to be linked later from shared work; undefined while tracing is off. */
export function currentTrace(): SpanContext | undefined {
  if (!enabled) return undefined;
  return trace.getActiveSpan()?.spanContext();
}

/**
 * Starts a span of work done for several callers at once (a group commit), when at least one of
 * them is traced: it is a child of the first traced caller's span, so that it is kept exactly when
 * that request's trace is (a sampler that keeps one trace in ten keeps its commits too, and no
 * others), and it links to every traced caller's span (the first TRACE_LINKS_MAX), so that each of
 * their traces can be followed to it. Undefined while tracing is off or no caller is traced.
 */
export function startSharedSpan(name: string, callers: Iterable<SpanContext | undefined>, attributes: Attributes): Span | undefined {
  if (!enabled) return undefined;
  const links: Link[] = [];
  const seen = new Set<string>();
  let first: SpanContext | undefined;
  let traced = 0;
  for (const caller of callers) {
    if (!caller || (caller.traceFlags & TraceFlags.SAMPLED) === 0) continue;
    traced++;
    first ??= caller;
    if (links.length >= TRACE_LINKS_MAX || seen.has(caller.spanId)) continue;
    seen.add(caller.spanId);
    links.push({ context: caller });
  }
  if (!first) return undefined;
  return trace.getTracer(TRACER_NAME).startSpan(name, { kind: SpanKind.INTERNAL, links, attributes: { ...attributes, 'sluice.traced_callers': traced } }, trace.setSpanContext(ROOT_CONTEXT, first));
}

/** Ends a span, marking it failed when the work threw. */
export function endSpan(span: Span | undefined, error?: unknown): void {
  if (!span) return;
  if (error !== undefined) {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
  }
  span.end();
}

/**
 * Runs work in a child span of the caller's, so that what it starts (database work, commits it
 * waits for) shows under it; without tracing, just runs it. `describe` adds attributes from the
 * result, such as a decision's outcome.
 */
export async function inSpan<T>(name: string, attributes: Attributes, work: () => Promise<T>, describe?: (result: T) => Attributes): Promise<T> {
  if (!enabled) return work();
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, { attributes }, async (span) => {
    let result: T;
    try {
      result = await work();
    } catch (error) {
      endSpan(span, error);
      throw error;
    }
    if (describe) span.setAttributes(describe(result));
    span.end();
    return result;
  });
}
