import { createServer } from 'node:http';
import { startSluice, TEST_ADMIN_KEY, type SluiceProcess } from '../test/support/server-process.ts';
import { defineBenchmark, figure, progress, withScratchDir } from './harness.ts';
import { SHARED_CORES_NOTE, cpuSecondsOf, createLedgerAndAccounts, formatRate, loadAverage, runLoad, TURNS } from './http-support.ts';
import { BENCH_LEDGER } from './workload.ts';

/**
 * What OpenTelemetry tracing costs a busy server: single transfers over HTTP from 64 connections to
 * three `sluice start` processes on the embedded database: one with tracing off, one tracing every
 * request, and one keeping one trace in ten (`parentbased_traceidratio`, 0.1), as a busy
 * installation would. The tracing ones send their spans to a collector (a stand-in in this process
 * that reads and drops them, as a collector's receiver would). They take turns, three rounds each,
 * so all meet the same machine.
 */
const MODES = ['off', 'all', 'tenth'] as const;
type Mode = (typeof MODES)[number];

interface Totals { requests: number; seconds: number; cpuSeconds: number; served: number; p99: number[] }

export default defineBenchmark({
  name: 'tracing',
  description: `single transfers over HTTP with OpenTelemetry tracing off, on for every request, and on for one in ten, three servers taking turns (${SHARED_CORES_NOTE})`,
  run: () =>
    withScratchDir('tracing', async (dir) => {
      let spans = 0;
      const collector = createServer((request, response) => {
        let body = '';
        request.on('data', (chunk) => (body += chunk));
        request.on('end', () => {
          spans += (body.match(/"spanId"/g) ?? []).length;
          response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
      const servers = new Map<Mode, SluiceProcess>();
      const accounts = new Map<Mode, string[]>();
      const totals = new Map<Mode, Totals>(MODES.map((mode) => [mode, { requests: 0, seconds: 0, cpuSeconds: 0, served: 0, p99: [] }]));
      const tracing: Record<Mode, Record<string, string>> = {
        off: {},
        all: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'sluice-bench' },
        tenth: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'sluice-bench', OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
      };
      try {
        for (const mode of MODES) {
          const server = await startSluice({ env: { SLUICE_RATE_LIMIT: TURNS.rateLimitPerMinute, ...tracing[mode] } });
          servers.set(mode, server);
          accounts.set(mode, await createLedgerAndAccounts(server.url, TEST_ADMIN_KEY, BENCH_LEDGER, TURNS.accounts));
        }
        let seed = 31;
        for (let round = 0; round < TURNS.rounds; round++) {
          for (const mode of MODES) {
            const server = servers.get(mode) as SluiceProcess;
            const cpuBefore = cpuSecondsOf(server.pid);
            const started = performance.now();
            const report = await runLoad(dir, {
              targets: [server.url], accountIds: accounts.get(mode) as string[], apiKey: TEST_ADMIN_KEY, connections: TURNS.connections, mode: 'single', batchSize: 1,
              ledger: BENCH_LEDGER, seed: seed++, warmupMs: TURNS.warmupMs, durationMs: TURNS.durationMs, maxRequests: TURNS.maxRequests,
            });
            const total = totals.get(mode) as Totals;
            // Warm-up requests are not counted by the load generator; they ran at about the measured rate.
            total.served += (report.requests / report.seconds) * ((performance.now() - started) / 1000);
            total.cpuSeconds += cpuSecondsOf(server.pid) - cpuBefore;
            total.requests += report.requests;
            total.seconds += report.seconds;
            total.p99.push(report.p99Ms);
            progress(`round ${round + 1}, tracing ${mode}: ${formatRate(report.requests / report.seconds)} transfers/s, p99 ${report.p99Ms.toFixed(1)} ms, ` +
              `${report.failures} failed (load average ${loadAverage()})${mode === 'off' ? '' : `; ${spans.toLocaleString('en-US')} spans received so far`}`);
          }
        }
      } finally {
        await Promise.all([...servers.values()].map((server) => server.kill('SIGTERM')));
        collector.close();
      }
      progress(`${spans.toLocaleString('en-US')} spans received in all`);
      const rate = (mode: Mode) => { const total = totals.get(mode) as Totals; return total.requests / total.seconds; };
      const cpu = (mode: Mode) => { const total = totals.get(mode) as Totals; return (total.cpuSeconds / total.served) * 1e6; };
      const p99 = (mode: Mode) => Math.max(...(totals.get(mode) as Totals).p99);
      const baseline = 'a like server with tracing off, taking turns';
      return [
        figure({ name: 'tracing.single_transfers_per_second_all_traced', value: rate('all'), unit: 'transfers/s', baseline, baselineValue: rate('off') }),
        figure({ name: 'tracing.single_transfers_per_second_tenth_traced', value: rate('tenth'), unit: 'transfers/s', baseline, baselineValue: rate('off') }),
        figure({ name: 'tracing.server_cpu_us_per_transfer_all_traced', value: cpu('all'), unit: 'µs', baseline, baselineValue: cpu('off') }),
        figure({ name: 'tracing.server_cpu_us_per_transfer_tenth_traced', value: cpu('tenth'), unit: 'µs', baseline, baselineValue: cpu('off') }),
        figure({ name: 'tracing.single_p99_ms_all_traced', value: p99('all'), unit: 'ms', baseline, baselineValue: p99('off') }),
      ];
    }),
});
