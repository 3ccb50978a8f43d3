import { describe, expect, it } from 'vitest';
import { ConfigError } from './config.ts';
import { tracingSettings } from './tracing.ts';

describe('tracing settings from the OpenTelemetry variables', () => {
  it('is off without an OTLP endpoint', () => {
    expect(tracingSettings({})).toBeUndefined();
    expect(tracingSettings({ OTEL_SERVICE_NAME: 'sluice-eu', OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBeUndefined();
  });

  it('is on with the general or the traces endpoint, the traces one first', () => {
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toEqual({ endpoint: 'http://collector:4318/' });
    // Shown at start without what it may carry of credentials.
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:secret@collector:4318/otlp?token=abc' })).toEqual({ endpoint: 'https://collector:4318/otlp' });
    expect(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/v1/traces' })).toEqual({
      endpoint: 'https://traces.example/v1/traces',
    });
  });

  it('stays off when the SDK is disabled or the traces exporter is none', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'TRUE' })).toBeUndefined();
    expect(tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'none' })).toBeUndefined();
    expect(tracingSettings({ ...endpoint, OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' })).toEqual({ endpoint: 'http://collector:4318/' });
  });

  it('refuses exporters, protocols and endpoints it cannot honour, naming the variable', () => {
    const endpoint = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(() => tracingSettings({ ...endpoint, OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(new ConfigError('OTEL_TRACES_EXPORTER may only be otlp or none here, not "zipkin"'));
    expect(() => tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' })).toThrow(/^OTEL_EXPORTER_OTLP_PROTOCOL may only be http\/json or http\/protobuf/);
    expect(tracingSettings({ ...endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' })).toBeDefined();
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/must be an http:\/\/ or https:\/\/ URL, not "collector:4318"/);
    expect(() => tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(ConfigError);
  });
});
