/**
 * `npm run bench [-- <name> …] [--json]`: runs the named benchmarks (all when none is named) and
 * prints each figure beside a baseline measured in the same run. Without `--json` the output is a
 * table; with it, one JSON object per figure and line on stdout. Progress goes to stderr.
 *
 * Each benchmark runs in a child process of its own, so that the heap, the JIT state and the
 * resident memory left behind by one cannot change the figures of the next.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { SERVER_NODE_FLAGS } from '../test/support/server-process.ts';
import { registeredBenchmarks, type Benchmark, type Figure } from './harness.ts';

// Adding a benchmark is one import line: each module registers itself with defineBenchmark().
import './ledger-engine.ts';
import './point-in-time.ts';
import './memory.ts';
import './scf.ts';
import './payments.ts';
import './risk-features.ts';
import './risk-rules.ts';
import './screening.ts';
import './iso20022.ts';
import './http.ts';
import './risk-http.ts';
import './risk-growth.ts';
import './aml.ts';
import './postgres.ts';
import './caches.ts';
import './bulk-insert.ts';
import './tracing.ts';

const CHILD_FLAG = '--child';
/** Marks the figure lines a child writes, so that stray output on stdout cannot be mistaken for them. */
const FIGURE_PREFIX = 'sluice-bench-figure ';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const childIndex = args.indexOf(CHILD_FLAG);
  if (childIndex >= 0) return runChild(args[childIndex + 1] ?? '');

  const json = args.includes('--json');
  const unknownFlags = args.filter((arg) => arg.startsWith('-') && arg !== '--json');
  const names = args.filter((arg) => !arg.startsWith('-'));
  const available = registeredBenchmarks();
  const unknown = names.filter((name) => !available.some((benchmark) => benchmark.name === name));
  if (unknownFlags.length > 0 || unknown.length > 0) {
    const problem = unknownFlags.length > 0 ? `unknown option ${unknownFlags.join(', ')}` : `unknown benchmark ${unknown.join(', ')}`;
    process.stderr.write(`${problem}\nusage: npm run bench [-- <name> …] [--json]\nbenchmarks: ${available.map((b) => b.name).join(', ')}\n`);
    process.exitCode = 2;
    return;
  }
  const selected = names.length === 0 ? available : available.filter((benchmark) => names.includes(benchmark.name));

  const figures: Figure[] = [];
  let failed = false;
  for (const benchmark of selected) {
    process.stderr.write(`${benchmark.name}: ${benchmark.description}\n`);
    try {
      const measured = await runInChild(benchmark);
      figures.push(...measured);
      if (json) for (const item of measured) process.stdout.write(`${JSON.stringify(item)}\n`);
    } catch (error) {
      failed = true;
      process.stderr.write(`${benchmark.name} failed: ${error instanceof Error ? error.message : String(error)}\n`);
    }
  }
  if (!json) process.stdout.write(`\n${table(figures)}\n`);
  if (failed) process.exitCode = 1;
}

async function runChild(name: string): Promise<void> {
  const benchmark = registeredBenchmarks().find((candidate) => candidate.name === name);
  if (!benchmark) throw new Error(`no benchmark named ${name}`);
  for (const item of await benchmark.run()) process.stdout.write(`${FIGURE_PREFIX}${JSON.stringify(item)}\n`);
}

function runInChild(benchmark: Benchmark): Promise<Figure[]> {
  return new Promise((resolve, reject) => {
    // process.execArgv carries tsx's loader, so the child runs TypeScript the way this process does.
    // --expose-gc lets a benchmark collect garbage before each measured stretch (see settle()), so
    // that the garbage of one stretch, or of preparing its input, is not charged to the next.
    // Benchmarks that run the platform in their own process (ledger-engine, payments, …) get the
    // Node flags the server runs with, so that they measure what an operator runs: the server's
    // larger young generation alone made payments about a tenth faster (docs/benchmarks.md).
    const child = spawn(process.execPath, [...process.execArgv, ...SERVER_NODE_FLAGS, '--expose-gc', fileURLToPath(import.meta.url), CHILD_FLAG, benchmark.name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code !== 0) return reject(new Error(signal ? `stopped by ${signal}` : `exited with code ${code}`));
      const figures = output
        .split('\n')
        .filter((line) => line.startsWith(FIGURE_PREFIX))
        .map((line) => JSON.parse(line.slice(FIGURE_PREFIX.length)) as Figure);
      resolve(figures);
    });
  });
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumSignificantDigits: 3 });
}

function table(figures: readonly Figure[]): string {
  const header = ['figure', 'value', 'baseline', 'ratio', 'target', 'met'];
  const rows = figures.map((item) => [
    item.name,
    `${formatNumber(item.value)} ${item.unit}`,
    `${formatNumber(item.baselineValue)} ${item.unit} (${item.baseline})`,
    `${item.ratio.toFixed(2)}×`,
    item.target ?? '',
    item.met === undefined ? '' : item.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] as string).length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] as number)).join('  ').trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

await main();
