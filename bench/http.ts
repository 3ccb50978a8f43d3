import type { TransferRequest } from '../src/modules/ledger/index.ts';
import { startSluice, TEST_ADMIN_KEY } from '../test/support/server-process.ts';
import { defineBenchmark, figure, progress, seededRandom, settle, withScratchDir } from './harness.ts';
import type { LoadPlan, LoadReport } from './http-load.ts';
import { SHARED_CORES_NOTE, createLedgerAndAccounts, describeCpu, describeGroupCommits, groupCommitStats, formatRate, runLoad, startFloorServer, setRiskEvaluation, withCpuShares } from './http-support.ts';
import { BATCH_SIZE, BENCH_LEDGER, createAccounts, expectAllOk, openBenchPlatform, transferBatch } from './workload.ts';

/**
 * The real server over HTTP on the embedded database: `sluice start` as a child process, driven by
 * the load generator in another process over keep-alive connections on 127.0.0.1. Client and server
 * share the machine's cores, so every figure here includes the client's own CPU.
 *
 * (a) One transfer per request from 64 connections: what a payment front end sees. Its baseline is
 *     the HTTP floor (bench/http-floor-server.ts) driven the same way, so the ratio is what the
 *     ledger (validation, authentication, group commit with fsync, journal, rendering) costs.
 * (b) Full batches of 8,190 transfers per request: what a bulk importer sees. Its baseline is the
 *     engine called in this process with the same batches and calls in flight, so the ratio is what
 *     HTTP and JSON cost on top of the engine.
 */
const ACCOUNTS = 10_000;
const SINGLE_CONNECTIONS = 64;
const SINGLE_WARMUP_MS = 3_000;
const SINGLE_DURATION_MS = 10_000;
/** Far above what 10 s can reach here; it only bounds the run should the machine be much faster. */
const SINGLE_MAX_REQUESTS = 1_000_000;
const BATCH_CONNECTIONS = 4;
const BATCH_WARMUP_MS = 2_000;
const BATCH_DURATION_MS = 15_000;
const BATCH_MAX_REQUESTS = 48;
const TARGET_SINGLE_PER_SECOND = 10_000;
const TARGET_SINGLE_P99_MS = 25;
const TARGET_BATCH_PER_SECOND = 150_000;
/**
 * Above the default per-key limit (60,000 a minute, 1,000/s), which a single benchmark key would
 * otherwise reach; the limiter itself still runs on every request.
 */
const RATE_LIMIT_PER_MINUTE = '1000000000';

const FLOOR_NAME = 'HTTP floor: bare Fastify parses the body, answers 201';
/**
 * A what-if, never the default: with this variable set to 1 the server's risk evaluation of
 * transfers is turned off before measuring, to show what the ledger path costs without it. Its
 * figures carry a suffix that says so.
 */
const RISK_OFF = process.env.SLUICE_BENCH_RISK_OFF === '1';
const SUFFIX = RISK_OFF ? '_risk_off' : '';

function singlePlan(targets: string[], accountIds: string[], apiKey?: string): LoadPlan {
  return {
    targets, accountIds, connections: SINGLE_CONNECTIONS, mode: 'single', batchSize: 1, ledger: BENCH_LEDGER, seed: 7,
    warmupMs: SINGLE_WARMUP_MS, durationMs: SINGLE_DURATION_MS, maxRequests: SINGLE_MAX_REQUESTS, ...(apiKey ? { apiKey } : {}),
  };
}

function describeLoad(what: string, report: LoadReport): string {
  return `${what}: ${formatRate(report.requests / report.seconds)} requests/s, ${formatRate(report.transfers / report.seconds)} transfers/s, ` +
    `p50 ${report.p50Ms.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms, max ${report.maxMs.toFixed(1)} ms over ${report.seconds.toFixed(1)} s`;
}

/** The engine in this process, fed the same kind of full batches with the same calls in flight. */
async function inProcessEngine(dir: string, batchCount: number): Promise<number> {
  const platform = await openBenchPlatform(dir);
  try {
    const accountIds = await createAccounts(platform, ACCOUNTS);
    const random = seededRandom(11);
    const run = async (batches: TransferRequest[][]) => {
      let next = 0;
      const caller = async () => {
        while (next < batches.length) expectAllOk(await platform.ledger.createTransfers(batches[next++] as TransferRequest[]));
      };
      await settle();
      const started = performance.now();
      await Promise.all(Array.from({ length: BATCH_CONNECTIONS }, caller));
      return (performance.now() - started) / 1000;
    };
    const makeBatches = (count: number) => Array.from({ length: count }, () => transferBatch(accountIds, random));
    await run(makeBatches(BATCH_CONNECTIONS));
    const seconds = await run(makeBatches(batchCount));
    return (batchCount * BATCH_SIZE) / seconds;
  } finally {
    await platform.close();
  }
}

export default defineBenchmark({
  name: 'http',
  description: `sluice start on SQLite over loopback HTTP: single transfers from ${SINGLE_CONNECTIONS} connections, batches of ${BATCH_SIZE} (${SHARED_CORES_NOTE})`,
  run: () =>
    withScratchDir('http', async (dir) => {
      progress(`${SHARED_CORES_NOTE}: the load generator's CPU is taken from the server's`);
      const server = await startSluice({ env: { SLUICE_RATE_LIMIT: RATE_LIMIT_PER_MINUTE } });
      let single: LoadReport;
      let batch: LoadReport;
      let accountIds: string[];
      try {
        accountIds = await createLedgerAndAccounts(server.url, TEST_ADMIN_KEY, BENCH_LEDGER, ACCOUNTS);
        if (RISK_OFF) {
          await setRiskEvaluation(server.url, TEST_ADMIN_KEY, false);
          progress('what-if: risk evaluation of transfers is turned off for this run');
        }
        progress(`server ${server.url} (pid ${server.pid}) has ${ACCOUNTS.toLocaleString('en-US')} accounts`);

        const beforeSingle = await groupCommitStats(server.url);
        const measuredSingle = await withCpuShares({ server: server.pid }, () => runLoad(dir, singlePlan([server.url], accountIds, TEST_ADMIN_KEY)));
        single = measuredSingle.result;
        progress(describeLoad('single transfers', single));
        progress(describeCpu(measuredSingle.cpu, single.clientCpuSeconds, single.seconds));
        const beforeBatch = await groupCommitStats(server.url);
        progress(describeGroupCommits([beforeSingle], [beforeBatch]));

        const measuredBatch = await withCpuShares({ server: server.pid }, () =>
          runLoad(dir, {
            targets: [server.url], accountIds, apiKey: TEST_ADMIN_KEY, connections: BATCH_CONNECTIONS, mode: 'batch', batchSize: BATCH_SIZE,
            ledger: BENCH_LEDGER, seed: 9, warmupMs: BATCH_WARMUP_MS, durationMs: BATCH_DURATION_MS, maxRequests: BATCH_MAX_REQUESTS,
          }),
        );
        batch = measuredBatch.result;
        progress(describeLoad(`batches of ${BATCH_SIZE}, ${BATCH_CONNECTIONS} in flight`, batch));
        progress(describeCpu(measuredBatch.cpu, batch.clientCpuSeconds, batch.seconds));
        progress(describeGroupCommits([beforeBatch], [await groupCommitStats(server.url)]));
      } finally {
        await server.kill('SIGTERM');
      }

      const floorServer = await startFloorServer();
      let floor: LoadReport;
      try {
        const measuredFloor = await withCpuShares({ floor: floorServer.pid }, () => runLoad(dir, singlePlan([floorServer.url], accountIds)));
        floor = measuredFloor.result;
        progress(describeLoad('HTTP floor', floor));
        progress(describeCpu(measuredFloor.cpu, floor.clientCpuSeconds, floor.seconds));
      } finally {
        await floorServer.stop();
      }

      const engineRate = await inProcessEngine(dir, batch.requests);
      progress(`in-process engine, ${BATCH_CONNECTIONS} calls in flight, ${batch.requests} batches: ${formatRate(engineRate)} transfers/s`);

      const singleRate = single.transfers / single.seconds;
      const floorRate = floor.requests / floor.seconds;
      const batchRate = batch.transfers / batch.seconds;
      return [
        figure({
          name: `http.single_transfers_per_second${SUFFIX}`, value: singleRate, unit: 'transfers/s', baseline: FLOOR_NAME, baselineValue: floorRate,
          target: `≥ ${TARGET_SINGLE_PER_SECOND.toLocaleString('en-US')}/s`, met: singleRate >= TARGET_SINGLE_PER_SECOND,
        }),
        figure({ name: `http.single_p50_ms${SUFFIX}`, value: single.p50Ms, unit: 'ms', baseline: FLOOR_NAME, baselineValue: floor.p50Ms }),
        figure({
          name: `http.single_p99_ms${SUFFIX}`, value: single.p99Ms, unit: 'ms', baseline: FLOOR_NAME, baselineValue: floor.p99Ms,
          target: `≤ ${TARGET_SINGLE_P99_MS} ms`, met: single.p99Ms <= TARGET_SINGLE_P99_MS,
        }),
        figure({
          name: `http.batch_transfers_per_second${SUFFIX}`, value: batchRate, unit: 'transfers/s',
          baseline: `engine in process, ${BATCH_CONNECTIONS} calls in flight`, baselineValue: engineRate,
          target: `≥ ${TARGET_BATCH_PER_SECOND.toLocaleString('en-US')}/s`, met: batchRate >= TARGET_BATCH_PER_SECOND,
        }),
      ];
    }),
});
