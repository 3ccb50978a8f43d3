import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * What every benchmark reports: one figure measured beside a baseline taken in the same run on the
 * same machine. The ratio is the figure divided by its baseline, so it stays meaningful when the
 * machine is busier or slower than usual; whether higher or lower is better depends on the figure.
 */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** What the baseline measures, in a few words. */
  readonly baseline: string;
  readonly baselineValue: number;
  readonly ratio: number;
  /** The target in words, for the table and docs/benchmarks.md. */
  readonly target?: string;
  /** Whether the target was met in this run. */
  readonly met?: boolean;
}

export interface Benchmark {
  /** What to name on the command line (`npm run bench -- <name>`). */
  readonly name: string;
  readonly description: string;
  run(): Promise<Figure[]>;
}

const registered: Benchmark[] = [];

/**
 * Benchmarks register themselves when imported, so that adding one to `bench/run.ts` is a single
 * import line and the runner needs no list of its own.
 */
export function defineBenchmark(benchmark: Benchmark): Benchmark {
  if (registered.some((existing) => existing.name === benchmark.name)) throw new Error(`benchmark ${benchmark.name} is defined twice`);
  registered.push(benchmark);
  return benchmark;
}

export function registeredBenchmarks(): readonly Benchmark[] {
  return registered;
}

export function figure(input: Omit<Figure, 'ratio'>): Figure {
  return { ...input, ratio: input.baselineValue === 0 ? Number.NaN : input.value / input.baselineValue };
}

/** Progress goes to stderr so that `--json` output on stdout stays machine-readable. */
export function progress(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/**
 * A scratch directory on the same disk as the system's temporary files (not a RAM disk here:
 * /tmp is on the root ext4 volume), removed when the work is done.
 */
export async function withScratchDir<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), `sluice-bench-${prefix}-`));
  try {
    return await work(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Re-exported so every benchmark draws its workload from the kernel's deterministic generator. */
export { seededRandom } from '../src/kernel/index.ts';

/** The value below which `fraction` of the sorted samples fall (nearest rank). */
export function percentile(sortedSamples: readonly number[], fraction: number): number {
  if (sortedSamples.length === 0) return Number.NaN;
  const rank = Math.min(sortedSamples.length - 1, Math.max(0, Math.ceil(fraction * sortedSamples.length) - 1));
  return sortedSamples[rank] as number;
}

export function megabytes(bytes: number): number {
  return bytes / (1024 * 1024);
}

/**
 * Lets pending callbacks run and collects garbage when the process was started with --expose-gc.
 * The forced collections also leave compiled code cold: V8 compiles hot functions again afterwards,
 * partly on background threads whose CPU process.cpuUsage() counts. Warm up again after settle()
 * and measure stretches of a second or more (see bench/iso20022.ts, where six collections before a
 * fifth of a second of imports halved the rate measured).
 */
export async function settle(): Promise<void> {
  const collect = (globalThis as { gc?: () => void }).gc;
  for (let round = 0; round < 3; round++) {
    await new Promise((resolve) => setImmediate(resolve));
    collect?.();
  }
}

/**
 * Bytes this process has handed to write() so far (Linux only; 0 elsewhere). Unlike time, it does
 * not depend on how busy the machine is, so it shows what a change does to the I/O of a commit.
 */
export function bytesWritten(): number {
  try {
    const match = /^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}
