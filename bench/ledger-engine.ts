import { msToNs } from '../src/kernel/index.ts';
import type { TransferRequest } from '../src/modules/ledger/index.ts';
import type { Platform } from '../src/platform.ts';
import { openBaselineLedger, type BaselineLedger } from './baseline-sqlite.ts';
import { bytesWritten, defineBenchmark, figure, megabytes, progress, seededRandom, settle, withScratchDir } from './harness.ts';
import { BATCH_SIZE, createAccounts, expectAllOk, openBenchPlatform, transferBatch } from './workload.ts';

const ACCOUNTS = 10_000;
const WARMUP_BATCHES = 4;
/**
 * The engine and the baseline take turns, a round each, so that a slow spell of the machine (other
 * tenants, disk flushes) falls on both rather than on one of them.
 */
const ROUNDS = 3;
const BATCHES_PER_ROUND = 12;
/** Calls in flight in the concurrent measurement: enough that the next batch is always queued. */
const CONCURRENT_CALLS = 4;
const TARGET_TRANSFERS_PER_SECOND = 200_000;
const TARGET_RATIO = 0.7;
interface Totals {
  transfers: number;
  seconds: number;
  bytesWritten: number;
  /** CPU time of the whole process (every thread), in seconds. */
  cpuSeconds: number;
}

const rate = (totals: Totals) => totals.transfers / totals.seconds;
const megabytesPerBatch = (totals: Totals) => megabytes((totals.bytesWritten / totals.transfers) * BATCH_SIZE).toFixed(1);
const cpuMillisecondsPerBatch = (totals: Totals) => Math.round(((totals.cpuSeconds * 1000) / totals.transfers) * BATCH_SIZE);
const emptyTotals = (): Totals => ({ transfers: 0, seconds: 0, bytesWritten: 0, cpuSeconds: 0 });

/** Adds the time and the bytes written of one measured stretch to the totals. */
async function measure(totals: Totals, transfers: number, work: () => Promise<void> | void): Promise<void> {
  // Each stretch starts on a collected heap: the baseline runs right after its input is generated
  // and would otherwise pay for collecting that garbage.
  await settle();
  const bytesBefore = bytesWritten();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  await work();
  totals.seconds += (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  totals.cpuSeconds += (cpu.user + cpu.system) / 1e6;
  totals.bytesWritten += bytesWritten() - bytesBefore;
  totals.transfers += transfers;
}

async function runSequential(platform: Platform, batches: readonly TransferRequest[][], totals: Totals): Promise<void> {
  const results: Awaited<ReturnType<Platform['ledger']['createTransfers']>>[] = [];
  await measure(totals, batches.length * BATCH_SIZE, async () => {
    for (const batch of batches) results.push(await platform.ledger.createTransfers(batch));
  });
  for (const result of results) expectAllOk(result);
}

async function runConcurrent(platform: Platform, batches: readonly TransferRequest[][], totals: Totals): Promise<void> {
  const results: Awaited<ReturnType<Platform['ledger']['createTransfers']>>[] = [];
  let next = 0;
  const caller = async () => {
    while (next < batches.length) {
      const batch = batches[next++] as TransferRequest[];
      results.push(await platform.ledger.createTransfers(batch));
    }
  };
  await measure(totals, batches.length * BATCH_SIZE, () => Promise.all(Array.from({ length: CONCURRENT_CALLS }, caller)).then(() => undefined));
  for (const result of results) expectAllOk(result);
}

async function runBaseline(baseline: BaselineLedger, batches: readonly TransferRequest[][], totals: Totals): Promise<void> {
  let timestamp = msToNs(Date.now());
  await measure(totals, batches.length * BATCH_SIZE, () => {
    for (const batch of batches) {
      baseline.apply(batch, timestamp);
      timestamp += BigInt(batch.length);
    }
  });
}

export default defineBenchmark({
  name: 'ledger-engine',
  description: `durable transfers/s, batches of ${BATCH_SIZE} across ${ACCOUNTS.toLocaleString('en-US')} accounts`,
  run: () =>
    withScratchDir('ledger-engine', async (dir) => {
      const platform = await openBenchPlatform(dir);
      try {
        const accountIds = await createAccounts(platform, ACCOUNTS);
        const baseline = openBaselineLedger(dir, accountIds);
        const random = seededRandom(42);
        const makeBatches = (count: number) => Array.from({ length: count }, () => transferBatch(accountIds, random));
        try {
          const warmup = makeBatches(WARMUP_BATCHES);
          await runSequential(platform, warmup, emptyTotals());
          await runBaseline(baseline, warmup, emptyTotals());

          const sequential = emptyTotals();
          const concurrent = emptyTotals();
          const base = emptyTotals();
          for (let round = 1; round <= ROUNDS; round++) {
            // The baseline applies exactly the batches the engine applies one call at a time.
            const batches = makeBatches(BATCHES_PER_ROUND);
            await runBaseline(baseline, batches, base);
            await runSequential(platform, batches, sequential);
            await runConcurrent(platform, makeBatches(BATCHES_PER_ROUND), concurrent);
            progress(
              `round ${round}/${ROUNDS}: baseline ${Math.round(rate(base))}/s, engine ${Math.round(rate(sequential))}/s, ` +
                `engine with ${CONCURRENT_CALLS} calls in flight ${Math.round(rate(concurrent))}/s (running totals)`,
            );
          }
          progress(
            `written per batch of ${BATCH_SIZE}: baseline ${megabytesPerBatch(base)} MB, engine ${megabytesPerBatch(sequential)} MB, ` +
              `engine with ${CONCURRENT_CALLS} calls in flight ${megabytesPerBatch(concurrent)} MB (WAL and checkpoints)`,
          );
          // CPU time depends less than wall time on what else the machine is doing.
          progress(
            `CPU per batch (every thread): baseline ${cpuMillisecondsPerBatch(base)} ms, engine ${cpuMillisecondsPerBatch(sequential)} ms, ` +
              `engine with ${CONCURRENT_CALLS} calls in flight ${cpuMillisecondsPerBatch(concurrent)} ms`,
          );

          const baselineName = 'better-sqlite3 loop: insert 1 row + update 2 balances per transfer';
          const target = `≥ ${TARGET_TRANSFERS_PER_SECOND.toLocaleString('en-US')}/s and ≥ ${TARGET_RATIO}× baseline`;
          const meets = (totals: Totals) => rate(totals) >= TARGET_TRANSFERS_PER_SECOND && rate(totals) / rate(base) >= TARGET_RATIO;
          return [
            figure({
              name: 'ledger-engine.transfers_per_second',
              value: rate(sequential),
              unit: 'transfers/s',
              baseline: baselineName,
              baselineValue: rate(base),
              target,
              met: meets(sequential),
            }),
            figure({
              name: `ledger-engine.transfers_per_second_${CONCURRENT_CALLS}_in_flight`,
              value: rate(concurrent),
              unit: 'transfers/s',
              baseline: baselineName,
              baselineValue: rate(base),
              target,
              met: meets(concurrent),
            }),
          ];
        } finally {
          baseline.close();
        }
      } finally {
        await platform.close();
      }
    }),
});
