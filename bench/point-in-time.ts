import { AccountFlags, type TransferRequest } from '../src/modules/ledger/index.ts';
import { LIMITS, uuidv7 } from '../src/kernel/index.ts';
import type { BalancesAt } from '../src/modules/ledger/index.ts';
import type { Platform } from '../src/platform.ts';
import { defineBenchmark, figure, percentile, progress, seededRandom, withScratchDir } from './harness.ts';
import { BATCH_SIZE, BENCH_LEDGER, createAccounts, expectAllOk, openBenchPlatform } from './workload.ts';

const HISTORY_TRANSFERS = 1_000_000;
/** Counterparties of the history account; few, so that setup is not dominated by index growth elsewhere. */
const COUNTERPARTIES = 16;
const WARMUP_LOOKUPS = 500;
const LOOKUPS = 5_000;
const TARGET_MS = 5;
/** Points of the balance series: the most the series endpoint answers. */
const SERIES_POINTS = LIMITS.balanceSeriesMaxPoints;
/** Timed runs of the series and of its baseline, alternating; the middle one of each is reported. */
const SERIES_RUNS = 3;
/** The series must take at most this fraction of the point-by-point baseline. */
const SERIES_TARGET_RATIO = 0.1;

/** The statement the service runs for a `history` account, here without the service around it. */
const RAW_LOOKUP =
  'SELECT timestamp, debits_pending, debits_posted, credits_pending, credits_posted FROM ledger_balances WHERE account_id = ? AND timestamp <= ? ORDER BY timestamp DESC LIMIT 1';

export default defineBenchmark({
  name: 'point-in-time',
  description: `balancesAt() latency on a history account with ${HISTORY_TRANSFERS.toLocaleString('en-US')} transfers, and a balance series over a busy account without history`,
  run: () =>
    withScratchDir('point-in-time', async (dir) => {
      const platform = await openBenchPlatform(dir);
      try {
        const [historyAccount] = await createAccounts(platform, 1, { flags: AccountFlags.history });
        if (!historyAccount) throw new Error('the history account was not created');
        const counterparties = await createAccounts(platform, COUNTERPARTIES);
        const random = seededRandom(7);

        const setupStarted = performance.now();
        for (let done = 0; done < HISTORY_TRANSFERS; done += BATCH_SIZE) {
          const batch: TransferRequest[] = [];
          for (let index = done; index < Math.min(HISTORY_TRANSFERS, done + BATCH_SIZE); index++) {
            const other = counterparties[index % COUNTERPARTIES] as string;
            // Money flows both ways so that every balance column of the history rows changes.
            const inbound = index % 2 === 0;
            batch.push({
              id: uuidv7(),
              debitAccountId: inbound ? other : historyAccount,
              creditAccountId: inbound ? historyAccount : other,
              amount: BigInt(1 + Math.floor(random() * 1000)),
              ledger: BENCH_LEDGER,
              code: 1,
              flags: 0,
            });
          }
          expectAllOk(await platform.ledger.createTransfers(batch));
          if ((done / BATCH_SIZE) % 20 === 0) progress(`setup: ${done.toLocaleString('en-US')} transfers`);
        }
        progress(`setup: ${HISTORY_TRANSFERS.toLocaleString('en-US')} transfers in ${((performance.now() - setupStarted) / 1000).toFixed(1)} s`);

        const account = await platform.ledger.getAccount(historyAccount);
        if (!account) throw new Error('the history account disappeared');
        const raw = platform.db.sqlite;
        if (!raw) throw new Error('the point-in-time benchmark runs on SQLite');
        const statement = raw.prepare(RAW_LOOKUP);
        const bounds = statement.get(historyAccount, 2n ** 62n) as { timestamp: bigint };
        const first = account.timestamp;
        const span = Number(bounds.timestamp - first);
        const instants = Array.from({ length: WARMUP_LOOKUPS + LOOKUPS }, () => first + BigInt(Math.floor(random() * span)));

        const timeService = async (at: bigint) => {
          const started = performance.now();
          const result = await platform.ledger.balancesAt(historyAccount, at);
          const elapsed = performance.now() - started;
          if (!result.ok || result.value.source !== 'recorded') throw new Error('balancesAt did not read the recorded history');
          return { elapsed, balances: result.value };
        };
        const timeRaw = (at: bigint) => {
          const started = performance.now();
          const row = statement.get(historyAccount, at) as { credits_posted: bigint } | undefined;
          return { elapsed: performance.now() - started, row };
        };

        for (const at of instants.slice(0, WARMUP_LOOKUPS)) {
          const service = await timeService(at);
          const direct = timeRaw(at);
          // Both paths must see the same history, or the comparison would be meaningless.
          if (service.balances.creditsPosted !== (direct.row?.credits_posted ?? 0n)) throw new Error(`balances differ at ${at}`);
        }
        // Alternating the two keeps a slow spell of the machine from falling on only one of them.
        const serviceSamples: number[] = [];
        const rawSamples: number[] = [];
        for (const at of instants.slice(WARMUP_LOOKUPS)) {
          serviceSamples.push((await timeService(at)).elapsed);
          rawSamples.push(timeRaw(at).elapsed);
        }
        serviceSamples.sort((left, right) => left - right);
        rawSamples.sort((left, right) => left - right);

        const baseline = 'the same lookup as a raw prepared better-sqlite3 statement';
        const target = `< ${TARGET_MS} ms`;
        const series = await measureSeries(platform, counterparties[0] as string);
        return [...[0.5, 0.99].map((fraction) => {
          const value = percentile(serviceSamples, fraction);
          return figure({
            name: `point-in-time.balances_at_p${Math.round(fraction * 100)}`,
            value,
            unit: 'ms',
            baseline,
            baselineValue: percentile(rawSamples, fraction),
            target,
            met: value < TARGET_MS,
          });
        }), series];
      } finally {
        await platform.close();
      }
    }),
});

/**
 * ledger.balanceSeries over the busiest account without the history flag (a counterparty: one
 * transfer in 16), at SERIES_POINTS instants evenly spaced from its opening to its last transfer,
 * as the series endpoint asks for them; the baseline is one balancesAt call per point, each summing
 * the account's transfers up to its instant. Both must give the same balances at every point.
 */
async function measureSeries(platform: Platform, accountId: string) {
  const account = await platform.ledger.getAccount(accountId);
  const [lastTransfer] = await platform.ledger.listTransfers({ accountId, order: 'desc', limit: 1 });
  if (!account || !lastTransfer) throw new Error('the series account has no transfers');
  const span = lastTransfer.timestamp - account.timestamp;
  const instants = Array.from({ length: SERIES_POINTS }, (_, index) => account.timestamp + (span * BigInt(index)) / BigInt(SERIES_POINTS - 1));
  const timeSeries = async () => {
    const started = performance.now();
    const result = await platform.ledger.balanceSeries(accountId, instants);
    if (!result.ok) throw new Error(`balanceSeries answered ${result.error}`);
    return { elapsed: performance.now() - started, points: result.value };
  };
  const timePointByPoint = async () => {
    const started = performance.now();
    const points: BalancesAt[] = [];
    for (const at of instants) {
      const result = await platform.ledger.balancesAt(accountId, at);
      if (!result.ok || result.value.source !== 'computed') throw new Error('balancesAt did not compute the balances from the transfers');
      points.push(result.value);
    }
    return { elapsed: performance.now() - started, points };
  };
  const seriesSamples: number[] = [];
  const baselineSamples: number[] = [];
  for (let run = 0; run < SERIES_RUNS; run++) {
    const series = await timeSeries();
    const pointByPoint = await timePointByPoint();
    const show = (points: readonly BalancesAt[]) => points.map((point) => `${point.debitsPosted}/${point.creditsPosted}/${point.debitsPending}/${point.creditsPending}`).join(' ');
    if (show(series.points) !== show(pointByPoint.points)) throw new Error('the series and balancesAt disagree');
    seriesSamples.push(series.elapsed);
    baselineSamples.push(pointByPoint.elapsed);
    progress(`series of ${SERIES_POINTS} points: ${series.elapsed.toFixed(1)} ms, point by point: ${pointByPoint.elapsed.toFixed(1)} ms`);
  }
  seriesSamples.sort((left, right) => left - right);
  baselineSamples.sort((left, right) => left - right);
  const value = percentile(seriesSamples, 0.5);
  const baselineValue = percentile(baselineSamples, 0.5);
  return figure({
    name: `point-in-time.balance_series_${SERIES_POINTS}_points`,
    value,
    unit: 'ms',
    baseline: `${SERIES_POINTS} balancesAt calls, one per point`,
    baselineValue,
    target: `≤ ${SERIES_TARGET_RATIO}× the baseline`,
    met: value <= SERIES_TARGET_RATIO * baselineValue,
  });
}
