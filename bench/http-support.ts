/**
 * What the HTTP benchmarks share: the load generator and the HTTP floor as child processes, the CPU
 * each process used, and setting up a ledger with accounts through the API. Every process started
 * here is bounded in time and killed when the benchmark process exits, whatever way it exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LIMITS, uuidv7 } from '../src/kernel/index.ts';
import type { LoadPlan, LoadReport } from './http-load.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const LOAD_SCRIPT = fileURLToPath(new URL('./http-load.ts', import.meta.url));
const FLOOR_SCRIPT = fileURLToPath(new URL('./http-floor-server.ts', import.meta.url));
/** tsx compiles on first start; a busy machine can make that slow, but not this slow. */
const START_TIMEOUT_MS = 60_000;
/** Beyond its planned warm-up and duration, what a load run may take (connecting, the last answers). */
const LOAD_GRACE_MS = 120_000;
const EXIT_WAIT_MS = 10_000;
const SETUP_REQUEST_TIMEOUT_MS = 120_000;
/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux build Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

export const CORES = availableParallelism();
export const SHARED_CORES_NOTE = `client, server${CORES > 1 ? 's' : ''} and database share this machine's ${CORES} cores`;

const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child: ChildProcess): Promise<void> {
  children.add(child);
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => {
      children.delete(child);
      resolve();
    });
  });
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WAIT_MS);
  await exited;
  clearTimeout(timer);
}

export interface FloorServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts bench/http-floor-server.ts and resolves once it listens. */
export async function startFloorServer(): Promise<FloorServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', FLOOR_SCRIPT], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = track(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => (output += chunk));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`did not listen within ${START_TIMEOUT_MS} ms`), START_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`HTTP floor server ${why}: ${output}`));
    };
    child.stdout?.on('data', (chunk: string) => {
      output += chunk;
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.once('exit', (code, signal) => fail(`exited with ${code ?? signal}`));
  });
  return { url, pid: child.pid as number, stop: () => stopChild(child, exited) };
}

/** Runs the load generator in a process of its own and returns its report. */
export async function runLoad(dir: string, plan: LoadPlan): Promise<LoadReport> {
  const planFile = join(dir, `load-plan-${uuidv7()}.json`);
  writeFileSync(planFile, JSON.stringify(plan));
  const child = spawn(process.execPath, ['--import', 'tsx', LOAD_SCRIPT, planFile], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = track(child);
  let output = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => (output += chunk));
  const limitMs = plan.warmupMs + plan.durationMs + LOAD_GRACE_MS;
  const timer = setTimeout(() => child.kill('SIGKILL'), limitMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
  if (child.exitCode !== 0) throw new Error(`the load generator exited with ${child.exitCode ?? child.signalCode}${child.signalCode === 'SIGKILL' ? ` (over its ${limitMs} ms limit)` : ''}`);
  const report = JSON.parse(output.trim().split('\n').pop() ?? '') as LoadReport;
  if (report.failures > 0) throw new Error(`${report.failures} of ${report.requests} requests failed; the first: ${report.firstFailure}`);
  return report;
}

/** CPU seconds (user + system) a process has used so far; 0 once it is gone or off Linux. */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields are counted after its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** Busy and total CPU time of the whole machine so far, in seconds summed over its cores. */
export function machineCpuSeconds(): { busy: number; total: number } {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.reduce((sum, value) => sum + value, 0);
    const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
    return { busy: (total - idle) / CLOCK_TICKS_PER_SECOND, total: total / CLOCK_TICKS_PER_SECOND };
  } catch {
    return { busy: 0, total: 0 };
  }
}

export interface CpuShares {
  /** Each named process's CPU over the stretch, as a fraction of one core (1 = a whole core). */
  readonly processes: Readonly<Record<string, number>>;
  /** The whole machine's busy time as a fraction of all its cores. */
  readonly machine: number;
}

/** Runs `work` and reports how busy the named processes and the machine were meanwhile. */
export async function withCpuShares<T>(pids: Readonly<Record<string, number>>, work: () => Promise<T>): Promise<{ result: T; cpu: CpuShares }> {
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, cpuSecondsOf(pid)]));
  const machineBefore = machineCpuSeconds();
  const started = performance.now();
  const result = await work();
  const seconds = (performance.now() - started) / 1000;
  const machineAfter = machineCpuSeconds();
  const processes = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, (cpuSecondsOf(pid) - (before[name] ?? 0)) / seconds]));
  const totalDelta = machineAfter.total - machineBefore.total;
  return { result, cpu: { processes, machine: totalDelta > 0 ? (machineAfter.busy - machineBefore.busy) / totalDelta : Number.NaN } };
}

export function describeCpu(cpu: CpuShares, clientCpuSeconds: number, seconds: number): string {
  const parts = [`client ${(clientCpuSeconds / seconds).toFixed(2)}`, ...Object.entries(cpu.processes).map(([name, share]) => `${name} ${share.toFixed(2)}`)];
  return `CPU in cores: ${parts.join(', ')}; machine ${(cpu.machine * 100).toFixed(0)}% busy of ${CORES} cores, load average ${loadAverage()}`;
}

async function post(url: string, apiKey: string, path: string, body: unknown, method = 'POST'): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(SETUP_REQUEST_TIMEOUT_MS),
  });
  return { status: response.status, json: await response.json() };
}

/** Turns risk evaluation of transfers off (PUT /v1/risk/settings), to measure what the ledger path alone costs. */
export async function setRiskEvaluation(url: string, apiKey: string, enabled: boolean): Promise<void> {
  const changed = await post(url, apiKey, '/v1/risk/settings', { enabled }, 'PUT');
  if (changed.status !== 200) throw new Error(`could not turn risk evaluation ${enabled ? 'on' : 'off'}: ${changed.status} ${JSON.stringify(changed.json)}`);
}

/** Defines the ledger and opens `count` accounts through the API, a full batch per request. */
export async function createLedgerAndAccounts(url: string, apiKey: string, ledger: number, count: number): Promise<string[]> {
  const defined = await post(url, apiKey, '/v1/ledgers', { id: ledger, asset_code: 'CNY', name: 'Renminbi' });
  if (defined.status !== 201 && defined.status !== 200) throw new Error(`could not define ledger ${ledger}: ${defined.status} ${JSON.stringify(defined.json)}`);
  const ids: string[] = [];
  for (let start = 0; start < count; start += LIMITS.batchMaxItems) {
    const accounts = Array.from({ length: Math.min(LIMITS.batchMaxItems, count - start) }, () => ({ id: uuidv7(), ledger, code: 100 }));
    const created = await post(url, apiKey, '/v1/accounts', { accounts });
    const refused = created.status === 200 ? (created.json.results as { result: string }[]).filter((item) => item.result !== 'ok') : [];
    if (created.status !== 200 || refused.length > 0) throw new Error(`could not open accounts: ${created.status} ${JSON.stringify(refused[0] ?? created.json)}`);
    ids.push(...accounts.map((account) => account.id));
  }
  return ids;
}

export function formatRate(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

export interface GroupCommitStats {
  readonly batches: number;
  readonly items: number;
  readonly commitSeconds: number;
}

/** The server's own account of its group commits so far, read from its Prometheus /metrics. */
export async function groupCommitStats(url: string): Promise<GroupCommitStats> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(SETUP_REQUEST_TIMEOUT_MS) });
  const text = await response.text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { batches: value('sluice_ledger_batch_items_count'), items: value('sluice_ledger_batch_items_sum'), commitSeconds: value('sluice_ledger_commit_seconds_sum') };
}

/** What the servers' group commits looked like between two readings of groupCommitStats. */
export function describeGroupCommits(before: readonly GroupCommitStats[], after: readonly GroupCommitStats[]): string {
  const sum = (list: readonly GroupCommitStats[], key: keyof GroupCommitStats) => list.reduce((total, stats) => total + stats[key], 0);
  const batches = sum(after, 'batches') - sum(before, 'batches');
  const items = sum(after, 'items') - sum(before, 'items');
  const seconds = sum(after, 'commitSeconds') - sum(before, 'commitSeconds');
  return `group commit: ${batches} batches, ${(items / batches).toFixed(1)} transfers each on average, ${((seconds / batches) * 1000).toFixed(1)} ms from taking a batch to its commit`;
}

/** The run queue the benchmark competes with: other work on a shared machine shows up here. */
export function loadAverage(): string {
  return loadavg().map((value) => value.toFixed(1)).join(' ');
}

/**
 * CPU seconds of the PostgreSQL server listening on `port`: the postmaster and its children (the
 * backends, the WAL writer, the checkpointer). Other PostgreSQL servers on the machine are left out.
 */
export function postgresCpuSeconds(port: number): number {
  const parentOf = new Map<number, number>();
  let postmaster: number | undefined;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parentOf.set(Number(name), Number(fields[1]));
      if (stat.includes('(postgres)') && readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(`port=${port}\0`)) postmaster = Number(name);
    } catch {
      // The process ended while we looked.
    }
  }
  if (postmaster === undefined) return 0;
  let total = cpuSecondsOf(postmaster);
  for (const [pid, parent] of parentOf) if (parent === postmaster) total += cpuSecondsOf(pid);
  return total;
}

/**
 * The load of the benchmarks that compare two settings of the server taking turns (risk-http,
 * tracing): single transfers from 64 keep-alive connections over 10,000 accounts, three rounds of
 * each setting, 2 s of warm-up and 8 s measured, with the per-key rate limit far above reach.
 */
export const TURNS = Object.freeze({
  accounts: 10_000,
  connections: 64,
  warmupMs: 2_000,
  durationMs: 8_000,
  rounds: 3,
  /** Far above what 8 s can reach here; it only bounds the run should the machine be much faster. */
  maxRequests: 1_000_000,
  rateLimitPerMinute: '1000000000',
});
