/**
 * The load generator of the HTTP benchmarks, run as a process of its own so that it never shares an
 * event loop with the server it measures (it still shares the machine's cores with it). It reads a
 * LoadPlan from the JSON file named on its command line, drives the targets through undici pools of
 * keep-alive connections, and writes one LoadReport as JSON on stdout.
 *
 * undici rather than autocannon: both are Node, but undici parses responses with llhttp compiled to
 * WebAssembly and builds a request from a string without copying it into a template, so it spends
 * less of the shared CPU per request; autocannon's pure-JavaScript parser and per-request bookkeeping
 * cost more. Neither `wrk` nor any other native client is assumed to be installed.
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { uuidv7 } from '../src/kernel/index.ts';
import { percentile, seededRandom } from './harness.ts';

export interface LoadPlan {
  /** Base URLs (http://127.0.0.1:port); the connections are spread evenly over them. */
  readonly targets: readonly string[];
  readonly apiKey?: string;
  /** Keep-alive connections in all, one request in flight on each. */
  readonly connections: number;
  /** `single`: one transfer per request; `batch`: `batchSize` transfers per request. */
  readonly mode: 'single' | 'batch';
  readonly batchSize: number;
  readonly accountIds: readonly string[];
  readonly ledger: number;
  readonly seed: number;
  /** Requests whose answers are not counted, to reach a steady state (JIT, caches, connections). */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Upper bound on measured requests, whatever the duration. */
  readonly maxRequests: number;
}

export interface LoadReport {
  readonly requests: number;
  readonly transfers: number;
  readonly seconds: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Answers by status code; anything but the expected status is a failed request. */
  readonly statuses: Readonly<Record<string, number>>;
  readonly failures: number;
  readonly firstFailure?: string;
  /** CPU time this process used during the measured stretch (user + system). */
  readonly clientCpuSeconds: number;
}

const AMOUNT_MAX_MINOR = 100_000;
const TRANSFER_CODES = 8;
/** An answer that takes longer than this is a failure, so that a stuck server cannot hang the run. */
const REQUEST_TIMEOUT_MS = 60_000;
/** Batch bodies are built before the clock starts; this caps the memory they take (about 1.7 MB each). */
const BATCH_BODIES_MAX = 128;

function transferJson(plan: LoadPlan, random: () => number): string {
  const accounts = plan.accountIds;
  const debit = Math.floor(random() * accounts.length);
  let credit = Math.floor(random() * (accounts.length - 1));
  if (credit >= debit) credit += 1;
  const amount = 1 + Math.floor(random() * AMOUNT_MAX_MINOR);
  const code = 1 + Math.floor(random() * TRANSFER_CODES);
  // Written by hand: JSON.stringify of an object costs the client more CPU for the same bytes.
  return `{"id":"${uuidv7()}","debit_account_id":"${accounts[debit]}","credit_account_id":"${accounts[credit]}","amount":"${amount}","ledger":${plan.ledger},"code":${code}}`;
}

function batchJson(plan: LoadPlan, random: () => number): string {
  const items: string[] = [];
  for (let index = 0; index < plan.batchSize; index++) items.push(transferJson(plan, random));
  return `{"transfers":[${items.join(',')}]}`;
}

/** Counts the items of a batch answer that are not "ok", without parsing the whole answer. */
function refusedInBatch(text: string, expected: number): number {
  let ok = 0;
  for (let at = text.indexOf('"result":"ok"'); at >= 0; at = text.indexOf('"result":"ok"', at + 1)) ok++;
  return expected - ok;
}

async function run(plan: LoadPlan): Promise<LoadReport> {
  const random = seededRandom(plan.seed);
  const perTarget = Math.ceil(plan.connections / plan.targets.length);
  const pools = plan.targets.map((origin) => new Pool(origin, { connections: perTarget, pipelining: 1, keepAliveTimeout: 120_000 }));
  const headers = { 'content-type': 'application/json', ...(plan.apiKey ? { authorization: `Bearer ${plan.apiKey}` } : {}) };
  const expectedStatus = plan.mode === 'single' ? 201 : 200;
  const itemsPerRequest = plan.mode === 'single' ? 1 : plan.batchSize;

  // Batch bodies are made up front: building megabytes of JSON is the client's work, not the server's.
  const batchBodies: string[] = [];
  const warmupBodies = plan.mode === 'batch' ? Math.max(1, Math.ceil(plan.connections / 2)) : Number.MAX_SAFE_INTEGER;
  if (plan.mode === 'batch') {
    const count = Math.min(BATCH_BODIES_MAX, plan.maxRequests + warmupBodies);
    for (let index = 0; index < count; index++) batchBodies.push(batchJson(plan, random));
  }
  let nextBatchBody = 0;
  const nextBody = (): string | undefined => {
    if (plan.mode === 'single') return transferJson(plan, random);
    return batchBodies[nextBatchBody++];
  };

  const latencies = new Float64Array(plan.maxRequests);
  let measured = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const statuses: Record<string, number> = {};

  /** Runs every connection until the deadline or the request budget; records answers when `record`. */
  const phase = async (ms: number, budget: number, record: boolean): Promise<void> => {
    const deadline = performance.now() + ms;
    let issued = 0;
    const worker = async (pool: Pool) => {
      while (performance.now() < deadline && issued < budget) {
        const body = nextBody();
        if (body === undefined) return;
        issued++;
        const started = performance.now();
        let status = 0;
        let refused = 0;
        try {
          const answer = await pool.request({ path: '/v1/transfers', method: 'POST', headers, body, headersTimeout: REQUEST_TIMEOUT_MS, bodyTimeout: REQUEST_TIMEOUT_MS });
          status = answer.statusCode;
          const text = await answer.body.text();
          if (status === expectedStatus && plan.mode === 'batch') refused = refusedInBatch(text, plan.batchSize);
          if ((status !== expectedStatus || refused > 0) && firstFailure === undefined) firstFailure = `${status}: ${text.slice(0, 300)}`;
        } catch (error) {
          if (firstFailure === undefined) firstFailure = (error as Error).message;
        }
        if (!record) continue;
        const elapsed = performance.now() - started;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status !== expectedStatus || refused > 0) failures++;
        if (measured < latencies.length) latencies[measured++] = elapsed;
      }
    };
    const workers: Promise<void>[] = [];
    for (let index = 0; index < plan.connections; index++) workers.push(worker(pools[index % pools.length] as Pool));
    await Promise.all(workers);
  };

  try {
    await phase(plan.warmupMs, warmupBodies, false);
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await phase(plan.durationMs, plan.maxRequests, true);
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    const sorted = Array.from(latencies.subarray(0, measured)).sort((left, right) => left - right);
    return {
      requests: measured,
      transfers: (measured - failures) * itemsPerRequest,
      seconds,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      statuses,
      failures,
      ...(firstFailure === undefined ? {} : { firstFailure }),
      clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    };
  } finally {
    await Promise.all(pools.map((pool) => pool.destroy()));
  }
}

const planFile = process.argv[2];
if (!planFile) {
  process.stderr.write('usage: http-load.ts PLAN.json\n');
  process.exit(2);
}
const report = await run(JSON.parse(readFileSync(planFile, 'utf8')) as LoadPlan);
process.stdout.write(`${JSON.stringify(report)}\n`);
