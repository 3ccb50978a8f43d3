import { startSluice, TEST_ADMIN_KEY } from '../test/support/server-process.ts';
import { defineBenchmark, figure, progress, withScratchDir } from './harness.ts';
import type { LoadReport } from './http-load.ts';
import { SHARED_CORES_NOTE, cpuSecondsOf, createLedgerAndAccounts, formatRate, loadAverage, runLoad, TURNS } from './http-support.ts';
import { BENCH_LEDGER } from './workload.ts';
import { BENCH_RULESET } from './risk-http-ruleset.ts';

/**
 * What risk control costs on the ledger's HTTP path: single transfers from 64 connections against
 * one `sluice start` on SQLite, with risk control on (a live ruleset of 20 rules over the real
 * feature windows, lists and the decision log) and off (PUT /v1/risk/settings {enabled: false}),
 * in the same server process, alternating, so that both see the same code, data and machine.
 * The baseline is the risk-off throughput; the target is a ratio of at least 0.8. On a machine
 * shared with other work, throughput swings from one stretch to the next; the server's CPU time per
 * transfer, on and off, is reported beside it as the steadier measure of what deciding costs.
 *
 * The rules are written to be realistic in their shape (amounts, velocities, fan-in and fan-out,
 * pass-through, z-score, screening and graph scores, lists) and to approve the benchmark's traffic,
 * so that what is measured is the cost of deciding, not of holding or refusing transfers.
 */
const TARGET_RATIO = 0.8;

export async function call(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${url}${path}`, {
    method, headers: { authorization: `Bearer ${TEST_ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000),
  });
  const json = await response.json();
  if (response.status >= 300) throw new Error(`${method} ${path} answered ${response.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Drafts the ruleset, backtests it over the (empty) history and makes it live. */
export async function goLive(url: string): Promise<void> {
  const draft = await call(url, 'POST', '/v1/risk/rulesets', BENCH_RULESET);
  await call(url, 'POST', `/v1/risk/rulesets/${draft.id}/backtest`, { days: 1 });
  await call(url, 'POST', `/v1/risk/rulesets/${draft.id}/promote`, { stage: 'live' });
}

export function describeLoad(what: string, report: LoadReport): string {
  return `${what}: ${formatRate(report.requests / report.seconds)} transfers/s, p50 ${report.p50Ms.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms, ` +
    `${report.failures} failed over ${report.seconds.toFixed(1)} s (load average ${loadAverage()})`;
}

export default defineBenchmark({
  name: 'risk-http',
  description: `single transfers over HTTP with risk control on (20 live rules) and off, same server, alternating (${SHARED_CORES_NOTE})`,
  run: () =>
    withScratchDir('risk-http', async (dir) => {
      const server = await startSluice({ env: { SLUICE_RATE_LIMIT: TURNS.rateLimitPerMinute } });
      const totals = { on: { requests: 0, seconds: 0, p99: [] as number[], cpuSeconds: 0, served: 0 }, off: { requests: 0, seconds: 0, p99: [] as number[], cpuSeconds: 0, served: 0 } };
      try {
        const accountIds = await createLedgerAndAccounts(server.url, TEST_ADMIN_KEY, BENCH_LEDGER, TURNS.accounts);
        await goLive(server.url);
        progress(`server ${server.url} (pid ${server.pid}): ${TURNS.accounts.toLocaleString('en-US')} accounts, ${BENCH_RULESET.rules.length} live rules`);
        let seed = 21;
        for (let round = 0; round < TURNS.rounds; round++) {
          for (const mode of ['off', 'on'] as const) {
            await call(server.url, 'PUT', '/v1/risk/settings', { enabled: mode === 'on' });
            const cpuBefore = cpuSecondsOf(server.pid);
            const started = performance.now();
            const report = await runLoad(dir, {
              targets: [server.url], accountIds, apiKey: TEST_ADMIN_KEY, connections: TURNS.connections, mode: 'single', batchSize: 1, ledger: BENCH_LEDGER,
              seed: seed++, warmupMs: TURNS.warmupMs, durationMs: TURNS.durationMs, maxRequests: TURNS.maxRequests,
            }).catch(async (error: unknown) => {
              // A refused transfer is the benchmark's workload meeting a rule: say which.
              const declined = await call(server.url, 'GET', '/v1/risk/decisions?outcome=decline&order=desc&limit=1').catch(() => null);
              throw new Error(`risk ${mode}: ${(error as Error).message}; latest decline: ${JSON.stringify(declined?.data?.[0]?.reasons ?? null)}`);
            });
            // Warm-up requests are not counted by the load generator; they ran at about the measured rate.
            const served = (report.requests / report.seconds) * ((performance.now() - started) / 1000);
            totals[mode].cpuSeconds += cpuSecondsOf(server.pid) - cpuBefore;
            totals[mode].served += served;
            progress(`${describeLoad(`round ${round + 1}, risk ${mode}`, report)}; server CPU ${((totals[mode].cpuSeconds / totals[mode].served) * 1e6).toFixed(0)} µs per transfer so far`);
            totals[mode].requests += report.requests;
            totals[mode].seconds += report.seconds;
            totals[mode].p99.push(report.p99Ms);
          }
        }
        const decisions = await call(server.url, 'GET', '/v1/risk/decisions?order=desc&limit=1');
        progress(`latest decision: ${JSON.stringify({ outcome: decisions.data[0]?.outcome, ruleset: decisions.data[0]?.ruleset, elapsed_ms: decisions.data[0]?.elapsed_ms })}`);
      } finally {
        await server.kill('SIGTERM');
      }
      const on = totals.on.requests / totals.on.seconds;
      const off = totals.off.requests / totals.off.seconds;
      const worst = (values: number[]) => Math.max(...values);
      return [
        figure({
          name: 'risk_http.single_transfers_per_second_risk_on', value: on, unit: 'transfers/s', baseline: 'the same server with risk control off', baselineValue: off,
          target: `≥ ${TARGET_RATIO}× risk off (costs ≤ 20%)`, met: on >= TARGET_RATIO * off,
        }),
        figure({
          name: 'risk_http.server_cpu_us_per_transfer_risk_on', value: (totals.on.cpuSeconds / totals.on.served) * 1e6, unit: 'µs', baseline: 'the same server with risk control off',
          baselineValue: (totals.off.cpuSeconds / totals.off.served) * 1e6,
        }),
        figure({ name: 'risk_http.single_p99_ms_risk_on', value: worst(totals.on.p99), unit: 'ms', baseline: 'the same server with risk control off', baselineValue: worst(totals.off.p99) }),
      ];
    }),
});
