import { context, propagation, trace } from '@opentelemetry/api';
import { ConfigError } from './config.ts';
import { setTracingEnabled, withDeadline } from './kernel/index.ts';

/**
 * OpenTelemetry traces, sent over OTLP/HTTP to a collector, when one is configured with the
 * variables every OpenTelemetry SDK reads (so that an operator's existing settings apply as they
 * are): OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT turns tracing on;
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none keeps it off. The exporter reads its own
 * headers, timeout and compression (OTEL_EXPORTER_OTLP_*), the batch processor its queue
 * (OTEL_BSP_*), the provider its sampler (OTEL_TRACES_SAMPLER, parent-based always-on by default) and
 * span limits, and the resource OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
 */
/**
 * How long a stop waits for the spans still queued to reach the collector. The exporter's own
 * timeout is 10 s per request and the batch processor's 30 s; a collector that hangs must not hold
 * up a server being stopped (an orchestrator kills it after its grace period, commonly 30 s, with
 * the database still open). Spans not sent by then are dropped.
 */
export const TRACING_SHUTDOWN_MAX_MS = 2_000;

export interface Tracing {
  /** Sends the spans still queued and stops; spans started afterwards go nowhere. */
  shutdown(): Promise<void>;
}

export interface TracingSettings {
  /** Where spans go, for the start-up line: the endpoint without credentials or query. */
  readonly endpoint: string;
}

/** Whether tracing is configured, refusing settings this build cannot honour. Undefined: off. */
export function tracingSettings(env: NodeJS.ProcessEnv): TracingSettings | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return undefined;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  if (exporters.includes('none')) return undefined;
  const unsupported = exporters.filter((name) => name !== 'otlp');
  if (unsupported.length > 0) throw new ConfigError(`OTEL_TRACES_EXPORTER may only be otlp or none here, not "${unsupported.join(',')}"`);
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? env.OTEL_EXPORTER_OTLP_PROTOCOL;
  // Spans travel as OTLP over HTTP with JSON bodies, which every OTLP/HTTP receiver takes beside
  // protobuf on the same endpoint; a gRPC endpoint would take neither.
  if (protocol !== undefined && protocol !== '' && protocol !== 'http/json' && protocol !== 'http/protobuf') {
    throw new ConfigError(`OTEL_EXPORTER_OTLP_PROTOCOL may only be http/json or http/protobuf here (spans are sent over HTTP), not "${protocol}"`);
  }
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new ConfigError(`the OTLP endpoint must be an http:// or https:// URL, not "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`the OTLP endpoint must be an http:// or https:// URL, not "${endpoint}"`);
  return { endpoint: `${url.origin}${url.pathname}` };
}

/**
 * Registers the tracer provider for the whole process when tracing is configured. The SDK and the
 * exporter are loaded only then: they take a good part of a second to load on a small machine, which
 * every start and every command would otherwise pay.
 */
export async function startTracing(env: NodeJS.ProcessEnv, version: string): Promise<Tracing | undefined> {
  if (!tracingSettings(env)) return undefined;
  const [{ OTLPTraceExporter }, { detectResources, envDetector, resourceFromAttributes }, { BatchSpanProcessor, NodeTracerProvider }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const resource = resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'sluice', [ATTR_SERVICE_VERSION]: version }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
  // The AsyncLocalStorage context manager and the W3C trace-context and baggage propagators.
  provider.register();
  setTracingEnabled(true);
  return {
    async shutdown() {
      setTracingEnabled(false);
      // Spans a hung collector still holds after the bound are dropped.
      await withDeadline(() => provider.shutdown(), TRACING_SHUTDOWN_MAX_MS).catch(() => undefined);
      // Unregistered, so that a server started again in this process can register its own.
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
}
