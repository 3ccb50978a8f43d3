import { startSluice, TEST_ADMIN_KEY } from '../test/support/server-process.ts';
import { defineBenchmark, figure, progress, withScratchDir } from './harness.ts';
import { SHARED_CORES_NOTE, createLedgerAndAccounts, runLoad, TURNS } from './http-support.ts';
import { describeLoad, goLive } from './risk-http.ts';
import { BENCH_LEDGER } from './workload.ts';
import { BENCH_RULESET } from './risk-http-ruleset.ts';

/**
 * Whether risk control keeps its pace as its tables grow: the workload of `risk-http` with risk
 * control on, LOADS stretches back to back on one server, so that the last runs on the feature
 * events, decisions and graph edges of all the others (about 250,000 of each here). The baseline is
 * the first stretch, on an almost empty database. What grows with the data shows as the last
 * stretch's throughput and p99 against the first's; each stretch is printed as it ends.
 */
const LOADS = 6;

export default defineBenchmark({
  name: 'risk-growth',
  description: `single transfers over HTTP with risk control on, ${LOADS} stretches back to back on one growing database (${SHARED_CORES_NOTE})`,
  run: () =>
    withScratchDir('risk-growth', async (dir) => {
      const server = await startSluice({ env: { SLUICE_RATE_LIMIT: TURNS.rateLimitPerMinute } });
      const stretches: { perSecond: number; p99Ms: number }[] = [];
      try {
        const accountIds = await createLedgerAndAccounts(server.url, TEST_ADMIN_KEY, BENCH_LEDGER, TURNS.accounts);
        await goLive(server.url);
        progress(`server ${server.url} (pid ${server.pid}): ${TURNS.accounts.toLocaleString('en-US')} accounts, ${BENCH_RULESET.rules.length} live rules`);
        for (let load = 0; load < LOADS; load++) {
          const report = await runLoad(dir, {
            targets: [server.url], accountIds, apiKey: TEST_ADMIN_KEY, connections: TURNS.connections, mode: 'single', batchSize: 1, ledger: BENCH_LEDGER,
            seed: 41 + load, warmupMs: load === 0 ? TURNS.warmupMs : 0, durationMs: TURNS.durationMs, maxRequests: TURNS.maxRequests,
          });
          stretches.push({ perSecond: report.requests / report.seconds, p99Ms: report.p99Ms });
          progress(describeLoad(`stretch ${load + 1}/${LOADS}, risk on`, report));
        }
      } finally {
        await server.kill('SIGTERM');
      }
      const first = stretches[0]!;
      const last = stretches[stretches.length - 1]!;
      return [
        figure({ name: 'risk_growth.last_stretch_transfers_per_second', value: last.perSecond, unit: 'transfers/s', baseline: 'the first stretch, on an almost empty database', baselineValue: first.perSecond }),
        figure({ name: 'risk_growth.last_stretch_p99_ms', value: last.p99Ms, unit: 'ms', baseline: 'the first stretch, on an almost empty database', baselineValue: first.p99Ms }),
      ];
    }),
});
