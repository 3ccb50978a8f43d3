import { createServer } from 'node:http';
import { startSluice, TEST_ADMIN_KEY, type SluiceProcess } from '../test/support/server-process.ts';
import { defineBenchmark, figure, progress, withScratchDir } from './harness.ts';
import { SHARED_CORES_NOTE, cpuSecondsOf, createLedgerAndAccounts, formatRate, loadAverage, runLoad, TURNS } from './http-support.ts';
import { BENCH_LEDGER } from './workload.ts';

/**
 * What OpenTelemetry tracing costs a busy server: single transfers over HTTP from 64 connections to
 * two `sluice start` processes on the embedded database, one sending its spans to a collector (a
 * stand-in in this process that reads and drops them, as a collector's receiver would), the other
 * with tracing off. They take turns, three rounds each, so both meet the same machine.
 */

interface Totals { requests: number; seconds: number; cpuSeconds: number; served: number; p99: number[] }

export default defineBenchmark({
  name: 'tracing',
  description: `single transfers over HTTP with OpenTelemetry tracing on and off, two servers taking turns (${SHARED_CORES_NOTE})`,
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
      const servers: Record<'off' | 'on', SluiceProcess | undefined> = { off: undefined, on: undefined };
      const totals: Record<'off' | 'on', Totals> = {
        off: { requests: 0, seconds: 0, cpuSeconds: 0, served: 0, p99: [] },
        on: { requests: 0, seconds: 0, cpuSeconds: 0, served: 0, p99: [] },
      };
      try {
        servers.off = await startSluice({ env: { SLUICE_RATE_LIMIT: TURNS.rateLimitPerMinute } });
        servers.on = await startSluice({ env: { SLUICE_RATE_LIMIT: TURNS.rateLimitPerMinute, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SERVICE_NAME: 'sluice-bench' } });
        const accounts = {
          off: await createLedgerAndAccounts(servers.off.url, TEST_ADMIN_KEY, BENCH_LEDGER, TURNS.accounts),
          on: await createLedgerAndAccounts(servers.on.url, TEST_ADMIN_KEY, BENCH_LEDGER, TURNS.accounts),
        };
        let seed = 31;
        for (let round = 0; round < TURNS.rounds; round++) {
          for (const mode of ['off', 'on'] as const) {
            const server = servers[mode] as SluiceProcess;
            const cpuBefore = cpuSecondsOf(server.pid);
            const started = performance.now();
            const report = await runLoad(dir, {
              targets: [server.url], accountIds: accounts[mode], apiKey: TEST_ADMIN_KEY, connections: TURNS.connections, mode: 'single', batchSize: 1,
              ledger: BENCH_LEDGER, seed: seed++, warmupMs: TURNS.warmupMs, durationMs: TURNS.durationMs, maxRequests: TURNS.maxRequests,
            });
            const total = totals[mode];
            // Warm-up requests are not counted by the load generator; they ran at about the measured rate.
            total.served += (report.requests / report.seconds) * ((performance.now() - started) / 1000);
            total.cpuSeconds += cpuSecondsOf(server.pid) - cpuBefore;
            total.requests += report.requests;
            total.seconds += report.seconds;
            total.p99.push(report.p99Ms);
            progress(`round ${round + 1}, tracing ${mode}: ${formatRate(report.requests / report.seconds)} transfers/s, p99 ${report.p99Ms.toFixed(1)} ms, ` +
              `${report.failures} failed (load average ${loadAverage()})${mode === 'on' ? `; ${spans.toLocaleString('en-US')} spans received so far` : ''}`);
          }
        }
      } finally {
        await Promise.all([servers.off?.kill('SIGTERM'), servers.on?.kill('SIGTERM')]);
        collector.close();
      }
      progress(`${spans.toLocaleString('en-US')} spans received in all`);
      const rate = (total: Totals) => total.requests / total.seconds;
      const cpu = (total: Totals) => (total.cpuSeconds / total.served) * 1e6;
      const baseline = 'a like server with tracing off, taking turns';
      return [
        figure({ name: 'tracing.single_transfers_per_second_traced', value: rate(totals.on), unit: 'transfers/s', baseline, baselineValue: rate(totals.off) }),
        figure({ name: 'tracing.server_cpu_us_per_transfer_traced', value: cpu(totals.on), unit: 'µs', baseline, baselineValue: cpu(totals.off) }),
        figure({ name: 'tracing.single_p99_ms_traced', value: Math.max(...totals.on.p99), unit: 'ms', baseline, baselineValue: Math.max(...totals.off.p99) }),
      ];
    }),
});
