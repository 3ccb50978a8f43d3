import pg from 'pg';
import { openPostgres } from '../src/db/index.ts';
import { systemClock } from '../src/kernel/index.ts';
import type { TransferRequest } from '../src/modules/ledger/index.ts';
import { createPlatform, type Platform } from '../src/platform.ts';
import { startSluice, TEST_ADMIN_KEY, type SluiceProcess } from '../test/support/server-process.ts';
import { defineBenchmark, figure, progress, seededRandom, settle, withScratchDir, type Figure } from './harness.ts';
import type { LoadPlan, LoadReport } from './http-load.ts';
import { SHARED_CORES_NOTE, postgresCpuSeconds, createLedgerAndAccounts, describeCpu, describeGroupCommits, groupCommitStats, loadAverage, formatRate, runLoad, startFloorServer, setRiskEvaluation, withCpuShares, type FloorServer } from './http-support.ts';
import { BATCH_SIZE, BENCH_LEDGER, createAccounts, expectAllOk, transferBatch } from './workload.ts';

/**
 * The ledger on PostgreSQL, on a throwaway server started for the run (test/process/postgres-server.ts:
 * initdb into a temporary folder, loopback only, fsync=on and synchronous_commit=on, everything else
 * at PostgreSQL's defaults), so every commit is durable exactly as in production.
 *
 * (a) The engine through createPlatform, full batches of 8,190 transfers, one call at a time and
 *     four in flight. Baseline: the obvious way to keep balances in PostgreSQL, one transaction per
 *     transfer (insert the transfer, update the two balances) on one connection with prepared
 *     statements, on the same server in the same run.
 * (b) Two `sluice start` processes on that PostgreSQL, single-transfer requests from 64 connections
 *     (32 on each), in two stretches on the same servers: first the ledger's own HTTP path, with
 *     risk evaluation of transfers turned off on both; then with risk control on, as they start. The ledger's path carries the target (risk control's cost on it is a
 *     target of its own, measured on the embedded database by `risk-http` and reported here beside
 *     it). Baseline: two HTTP floor processes driven the same way.
 */
const ACCOUNTS = 10_000;
const WARMUP_BATCHES = 2;
const ENGINE_BATCHES = 12;
const CONCURRENT_CALLS = 4;
/** The baseline commits once per transfer; it stops at whichever of these comes first. */
const BASELINE_MAX_TRANSFERS = 20_000;
const BASELINE_MAX_MS = 8_000;
const BASELINE_WARMUP_TRANSFERS = 200;
const SERVERS = 2;
const HTTP_CONNECTIONS = 64;
const HTTP_WARMUP_MS = 3_000;
const HTTP_DURATION_MS = 10_000;
const HTTP_MAX_REQUESTS = 1_000_000;
const TARGET_ENGINE_PER_SECOND = 40_000;
const TARGET_ENGINE_RATIO = 10;
const TARGET_HTTP_PER_SECOND = 5_000;
const TARGET_HTTP_P99_MS = 50;
/** See bench/http.ts: above the default per-key limit, which one benchmark key would otherwise hit. */
const RATE_LIMIT_PER_MINUTE = '1000000000';
/** Risk control's cost on the ledger's HTTP path, at most (the risk-control issue's target). */
const TARGET_RISK_RATIO = 0.8;
const BASELINE_NAME = 'pg: 1 transaction per transfer (insert + 2 updates), 1 connection';
const FLOOR_NAME = `${SERVERS} HTTP floor processes: bare Fastify parses the body, answers 201`;

function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withPostgresCpu<T>(port: number, work: () => Promise<T>): Promise<{ result: T; cores: number }> {
  const before = postgresCpuSeconds(port);
  const started = performance.now();
  const result = await work();
  return { result, cores: (postgresCpuSeconds(port) - before) / ((performance.now() - started) / 1000) };
}

async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  return databaseUrl(adminUrl, name);
}

interface Baseline {
  /** Applies the transfers one transaction each, until done or out of time; returns transfers/s. */
  run(transfers: readonly TransferRequest[], maxMs: number): Promise<{ transfers: number; seconds: number }>;
  close(): Promise<void>;
}

async function openBaseline(url: string, accountIds: readonly string[]): Promise<Baseline> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`
    CREATE TABLE accounts (id uuid PRIMARY KEY, debits_posted bigint NOT NULL, credits_posted bigint NOT NULL);
    CREATE TABLE transfers (
      id uuid PRIMARY KEY, debit_account_id uuid NOT NULL, credit_account_id uuid NOT NULL,
      amount bigint NOT NULL, ledger bigint NOT NULL, code bigint NOT NULL, flags bigint NOT NULL, timestamp bigint NOT NULL
    );
  `);
  await client.query('INSERT INTO accounts SELECT unnest($1::uuid[]), 0, 0', [accountIds]);
  let timestamp = BigInt(Date.now()) * 1_000_000n;
  // Named statements are parsed and planned once per connection, as any careful hand-written loop would.
  const insert = 'INSERT INTO transfers (id, debit_account_id, credit_account_id, amount, ledger, code, flags, timestamp) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)';
  return {
    async run(transfers, maxMs) {
      const started = performance.now();
      let done = 0;
      for (const transfer of transfers) {
        if (performance.now() - started > maxMs) break;
        await client.query('BEGIN');
        await client.query({ name: 'insert_transfer', text: insert, values: [transfer.id, transfer.debitAccountId, transfer.creditAccountId, transfer.amount, transfer.ledger, transfer.code, transfer.flags, timestamp++] });
        await client.query({ name: 'debit', text: 'UPDATE accounts SET debits_posted = debits_posted + $1 WHERE id = $2', values: [transfer.amount, transfer.debitAccountId] });
        await client.query({ name: 'credit', text: 'UPDATE accounts SET credits_posted = credits_posted + $1 WHERE id = $2', values: [transfer.amount, transfer.creditAccountId] });
        await client.query('COMMIT');
        done++;
      }
      return { transfers: done, seconds: (performance.now() - started) / 1000 };
    },
    close: () => client.end(),
  };
}

/** `count` transfers of the same kind the engine gets, drawn batch by batch. */
function someTransfers(accountIds: readonly string[], random: () => number, count: number): TransferRequest[] {
  const transfers: TransferRequest[] = [];
  while (transfers.length < count) transfers.push(...transferBatch(accountIds, random));
  return transfers.slice(0, count);
}

async function engineRate(platform: Platform, batches: readonly TransferRequest[][], calls: number): Promise<number> {
  let next = 0;
  const caller = async () => {
    while (next < batches.length) expectAllOk(await platform.ledger.createTransfers(batches[next++] as TransferRequest[]));
  };
  await settle();
  const started = performance.now();
  await Promise.all(Array.from({ length: calls }, caller));
  return (batches.length * BATCH_SIZE) / ((performance.now() - started) / 1000);
}

async function engineFigures(adminUrl: string, port: number): Promise<Figure[]> {
  const db = openPostgres(await createDatabase(adminUrl, 'sluice_bench_engine'));
  const platform = await createPlatform({ db, clock: systemClock, expiryIntervalMs: 0 });
  try {
    const created = await platform.ledger.createLedger({ id: BENCH_LEDGER, assetCode: 'CNY', scale: 2, name: 'Renminbi' });
    if (!created.ok) throw new Error(`could not create the benchmark ledger: ${created.error}`);
    const accountIds = await createAccounts(platform, ACCOUNTS);
    const baseline = await openBaseline(await createDatabase(adminUrl, 'sluice_bench_baseline'), accountIds);
    try {
      const random = seededRandom(42);
      const makeBatches = (count: number) => Array.from({ length: count }, () => transferBatch(accountIds, random));
      await engineRate(platform, makeBatches(WARMUP_BATCHES), 1);
      await baseline.run(someTransfers(accountIds, random, BASELINE_WARMUP_TRANSFERS), BASELINE_MAX_MS);

      const baselineTransfers = someTransfers(accountIds, random, BASELINE_MAX_TRANSFERS);
      await settle();
      const measuredBaseline = await withPostgresCpu(port, () => baseline.run(baselineTransfers, BASELINE_MAX_MS));
      const baselineRate = measuredBaseline.result.transfers / measuredBaseline.result.seconds;
      progress(`baseline: ${formatRate(baselineRate)} transfers/s (${measuredBaseline.result.transfers} in ${measuredBaseline.result.seconds.toFixed(1)} s), PostgreSQL ${measuredBaseline.cores.toFixed(2)} cores, load average ${loadAverage()}`);

      const sequentialBatches = makeBatches(ENGINE_BATCHES);
      const sequential = await withCpuShares({ engine: process.pid }, () => withPostgresCpu(port, () => engineRate(platform, sequentialBatches, 1)));
      progress(`engine, 1 call at a time: ${formatRate(sequential.result.result)} transfers/s; CPU in cores: engine ${sequential.cpu.processes.engine?.toFixed(2)}, PostgreSQL ${sequential.result.cores.toFixed(2)}, machine ${(sequential.cpu.machine * 100).toFixed(0)}% busy, load average ${loadAverage()}`);
      const concurrentBatches = makeBatches(ENGINE_BATCHES);
      const concurrent = await withCpuShares({ engine: process.pid }, () => withPostgresCpu(port, () => engineRate(platform, concurrentBatches, CONCURRENT_CALLS)));
      progress(`engine, ${CONCURRENT_CALLS} calls in flight: ${formatRate(concurrent.result.result)} transfers/s; CPU in cores: engine ${concurrent.cpu.processes.engine?.toFixed(2)}, PostgreSQL ${concurrent.result.cores.toFixed(2)}, machine ${(concurrent.cpu.machine * 100).toFixed(0)}% busy, load average ${loadAverage()}`);

      const target = `≥ ${TARGET_ENGINE_PER_SECOND.toLocaleString('en-US')}/s and ≥ ${TARGET_ENGINE_RATIO}× baseline`;
      const meets = (rate: number) => rate >= TARGET_ENGINE_PER_SECOND && rate / baselineRate >= TARGET_ENGINE_RATIO;
      return [
        figure({
          name: 'postgres.engine_transfers_per_second', value: sequential.result.result, unit: 'transfers/s', baseline: BASELINE_NAME,
          baselineValue: baselineRate, target, met: meets(sequential.result.result),
        }),
        figure({
          name: `postgres.engine_transfers_per_second_${CONCURRENT_CALLS}_in_flight`, value: concurrent.result.result, unit: 'transfers/s',
          baseline: BASELINE_NAME, baselineValue: baselineRate, target, met: meets(concurrent.result.result),
        }),
      ];
    } finally {
      await baseline.close();
    }
  } finally {
    await platform.close();
  }
}

function singlePlan(targets: string[], accountIds: string[], apiKey?: string): LoadPlan {
  return {
    targets, accountIds, connections: HTTP_CONNECTIONS, mode: 'single', batchSize: 1, ledger: BENCH_LEDGER, seed: 5,
    warmupMs: HTTP_WARMUP_MS, durationMs: HTTP_DURATION_MS, maxRequests: HTTP_MAX_REQUESTS, ...(apiKey ? { apiKey } : {}),
  };
}

function describeLoad(what: string, report: LoadReport): string {
  return `${what}: ${formatRate(report.transfers / report.seconds)} requests/s, p50 ${report.p50Ms.toFixed(1)} ms, p99 ${report.p99Ms.toFixed(1)} ms, max ${report.maxMs.toFixed(1)} ms`;
}

async function httpFigures(dir: string, adminUrl: string, port: number): Promise<Figure[]> {
  const url = await createDatabase(adminUrl, 'sluice_bench_http');
  const servers: SluiceProcess[] = [];
  let ledger: LoadReport;
  let riskOn: LoadReport;
  let accountIds: string[];
  try {
    // One after the other, so that the second finds the schema migrated and the admin key made.
    for (let index = 0; index < SERVERS; index++) servers.push(await startSluice({ databaseUrl: url, env: { SLUICE_RATE_LIMIT: RATE_LIMIT_PER_MINUTE } }));
    accountIds = await createLedgerAndAccounts((servers[0] as SluiceProcess).url, TEST_ADMIN_KEY, BENCH_LEDGER, ACCOUNTS);
    const pids = Object.fromEntries(servers.map((server, index) => [`sluice ${index + 1}`, server.pid]));
    const stretch = async (what: string): Promise<LoadReport> => {
      const before = await Promise.all(servers.map((server) => groupCommitStats(server.url)));
      const measured = await withCpuShares(pids, () => withPostgresCpu(port, () => runLoad(dir, singlePlan(servers.map((server) => server.url), accountIds, TEST_ADMIN_KEY))));
      const report = measured.result.result;
      progress(describeLoad(`${SERVERS} Sluice servers, ${what}`, report));
      progress(`${describeCpu(measured.cpu, report.clientCpuSeconds, report.seconds)}; PostgreSQL ${measured.result.cores.toFixed(2)} cores`);
      progress(describeGroupCommits(before, await Promise.all(servers.map((server) => groupCommitStats(server.url)))));
      return report;
    };
    // Each server adopts a setting it is sent at once; the other would read it only later. The
    // ledger's path goes first, so that what risk control leaves behind (its feature, graph and
    // decision rows, and their writers' backlog) does not weigh on it.
    for (const server of servers) await setRiskEvaluation(server.url, TEST_ADMIN_KEY, false);
    ledger = await stretch("the ledger's path (risk evaluation of transfers off)");
    for (const server of servers) await setRiskEvaluation(server.url, TEST_ADMIN_KEY, true);
    riskOn = await stretch('risk control on');
  } finally {
    await Promise.all(servers.map((server) => server.kill('SIGTERM')));
  }

  const floors: FloorServer[] = [];
  let floor: LoadReport;
  try {
    for (let index = 0; index < SERVERS; index++) floors.push(await startFloorServer());
    const pids = Object.fromEntries(floors.map((server, index) => [`floor ${index + 1}`, server.pid]));
    const measured = await withCpuShares(pids, () => runLoad(dir, singlePlan(floors.map((server) => server.url), accountIds)));
    floor = measured.result;
    progress(describeLoad(`${SERVERS} HTTP floor processes`, floor));
    progress(describeCpu(measured.cpu, floor.clientCpuSeconds, floor.seconds));
  } finally {
    await Promise.all(floors.map((server) => server.stop()));
  }

  const rate = ledger.transfers / ledger.seconds;
  const riskOnRate = riskOn.transfers / riskOn.seconds;
  const LEDGER_PATH = `the ledger's path, same servers (risk evaluation off)`;
  return [
    figure({
      name: `postgres.http_single_transfers_per_second_${SERVERS}_servers`, value: rate, unit: 'transfers/s', baseline: FLOOR_NAME,
      baselineValue: floor.requests / floor.seconds, target: `≥ ${TARGET_HTTP_PER_SECOND.toLocaleString('en-US')}/s`, met: rate >= TARGET_HTTP_PER_SECOND,
    }),
    figure({ name: `postgres.http_single_p50_ms_${SERVERS}_servers`, value: ledger.p50Ms, unit: 'ms', baseline: FLOOR_NAME, baselineValue: floor.p50Ms }),
    figure({
      name: `postgres.http_single_p99_ms_${SERVERS}_servers`, value: ledger.p99Ms, unit: 'ms', baseline: FLOOR_NAME, baselineValue: floor.p99Ms,
      target: `≤ ${TARGET_HTTP_P99_MS} ms`, met: ledger.p99Ms <= TARGET_HTTP_P99_MS,
    }),
    figure({
      name: `postgres.http_single_transfers_per_second_${SERVERS}_servers_risk_on`, value: riskOnRate, unit: 'transfers/s', baseline: LEDGER_PATH,
      baselineValue: rate, target: `≥ ${TARGET_RISK_RATIO}× the ledger's path`, met: riskOnRate >= TARGET_RISK_RATIO * rate,
    }),
    figure({ name: `postgres.http_single_p99_ms_${SERVERS}_servers_risk_on`, value: riskOn.p99Ms, unit: 'ms', baseline: LEDGER_PATH, baselineValue: ledger.p99Ms }),
  ];
}

export default defineBenchmark({
  name: 'postgres',
  description: `the ledger on a throwaway durable PostgreSQL: engine batches of ${BATCH_SIZE}, and single transfers over HTTP to ${SERVERS} servers (${SHARED_CORES_NOTE})`,
  run: () =>
    withScratchDir('postgres', async (dir) => {
      // Loaded only when this benchmark runs: it brings the test tooling that starts the server.
      const { startDedicatedPostgres } = await import('../test/process/postgres-server.ts');
      const server = await startDedicatedPostgres();
      try {
        const port = Number(new URL(server.url).port);
        progress(`PostgreSQL on 127.0.0.1:${port} (fsync=on, synchronous_commit=on); ${SHARED_CORES_NOTE}`);
        const engine = await engineFigures(server.url, port);
        const http = await httpFigures(dir, server.url, port);
        return [...engine, ...http];
      } finally {
        await server.destroy();
      }
    }),
});
