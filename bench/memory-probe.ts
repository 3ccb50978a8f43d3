/**
 * Child process of the memory benchmark: opens a durable platform in a scratch directory, creates
 * the number of accounts named on the command line through the engine, and prints one JSON line
 * with its resident memory before and after. Not a benchmark itself, so run.ts does not import it.
 */
import { createAccounts, openBenchPlatform } from './workload.ts';
import { settle, withScratchDir } from './harness.ts';

export interface ProbeReport {
  readonly accounts: number;
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** The largest RSS seen after any batch while the accounts were being created. */
  readonly rssPeakBytes: number;
  readonly heapUsedBytes: number;
  readonly seconds: number;
}

async function main(): Promise<void> {
  const accounts = Number(process.argv[2] ?? '0');
  if (!Number.isInteger(accounts) || accounts < 0) throw new Error(`not an account count: ${process.argv[2]}`);
  const report = await withScratchDir('memory', async (dir) => {
    const platform = await openBenchPlatform(dir);
    try {
      await settle();
      const rssBeforeBytes = process.memoryUsage().rss;
      let rssPeakBytes = rssBeforeBytes;
      const started = performance.now();
      // The ids are not kept: holding a million strings here would be charged to the platform.
      await createAccounts(platform, accounts, {
        keepIds: false,
        onBatch: () => (rssPeakBytes = Math.max(rssPeakBytes, process.memoryUsage().rss)),
      });
      const seconds = (performance.now() - started) / 1000;
      await settle();
      const usage = process.memoryUsage();
      return { accounts, rssBeforeBytes, rssAfterBytes: usage.rss, rssPeakBytes: Math.max(rssPeakBytes, usage.rss), heapUsedBytes: usage.heapUsed, seconds };
    } finally {
      await platform.close();
    }
  });
  process.stdout.write(`${JSON.stringify(report satisfies ProbeReport)}\n`);
}

await main();
