import client from 'prom-client';
import type { LedgerMetrics } from '../modules/ledger/index.ts';

/** Prometheus metrics of one process: HTTP requests, ledger batches and results, and Node's own. */
export interface Metrics {
  readonly registry: client.Registry;
  readonly ledger: LedgerMetrics;
  observeRequest(method: string, route: string, status: number, seconds: number): void;
}

export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'sluice_' });
  const requests = new client.Counter({ name: 'sluice_http_requests_total', help: 'HTTP requests answered', labelNames: ['method', 'route', 'status'], registers: [registry] });
  const duration = new client.Histogram({
    name: 'sluice_http_request_duration_seconds',
    help: 'Time to answer an HTTP request',
    labelNames: ['method', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5],
    registers: [registry],
  });
  const batchItems = new client.Histogram({
    name: 'sluice_ledger_batch_items',
    help: 'Items per committed ledger batch (group commit size)',
    buckets: [1, 2, 4, 8, 16, 64, 256, 1024, 4096, 8190],
    registers: [registry],
  });
  const commitSeconds = new client.Histogram({
    name: 'sluice_ledger_commit_seconds',
    help: 'Time to apply and commit one ledger batch',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [registry],
  });
  const results = new client.Counter({ name: 'sluice_ledger_results_total', help: 'Ledger items decided, by kind and outcome', labelNames: ['kind', 'outcome'], registers: [registry] });
  return {
    registry,
    ledger: {
      observeBatch(items, seconds) {
        batchItems.observe(items);
        commitSeconds.observe(seconds);
      },
      countResults(kind, ok, failed) {
        if (ok) results.inc({ kind, outcome: 'ok' }, ok);
        if (failed) results.inc({ kind, outcome: 'failed' }, failed);
      },
    },
    observeRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      duration.observe({ method, route }, seconds);
    },
  };
}
