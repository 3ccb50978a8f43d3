import { join } from 'node:path';
import { migrate, openSqlite } from '../src/db/index.ts';
import { createManualClock } from '../src/kernel/index.ts';
import { createFeaturesService, featuresMigrations, FEATURE_WINDOWS, LONGEST_WINDOW_MS, type RiskEvent } from '../src/modules/features/index.ts';
import { createListsService, listsMigrations, parseIp, parseRange } from '../src/modules/lists/index.ts';
import { defineBenchmark, figure, percentile, progress, seededRandom, withScratchDir } from './harness.ts';

/**
 * Risk control's in-memory lookups, each beside the straightforward way of answering the same
 * question measured in the same run: features from running totals against a scan of the payer's
 * events, and list matching from prefix-hashed ranges against a comparison with every range.
 */
const ACCOUNTS = 10_000;
const EVENTS = 200_000;
/** A few accounts carry a large share of the traffic, as settlement and merchant accounts do. */
const HOT_ACCOUNTS = 20;
const HOT_SHARE = 0.2;
const PROBES = 20_000;
const WARMUP = 2_000;
const FEATURES_TARGET_US = 100;
const IPV4_RANGES = 9_000;
const IPV6_RANGES = 1_000;
const LIST_PROBES = 20_000;

const NOW_MS = Date.UTC(2026, 0, 31);

/** The payer's window counts and sums, z-score and distinct payees, by scanning its events: what running totals replace. */
function scanFeatures(events: readonly RiskEvent[], probe: RiskEvent): number {
  let checksum = 0;
  for (const window of FEATURE_WINDOWS) {
    let count = 0;
    let sum = 0;
    for (const event of events) if (event.atMs > probe.atMs - window.ms) (count += 1), (sum += Number(event.amountMinor));
    checksum += count + sum;
  }
  let n = 0;
  let mean = 0;
  let m2 = 0;
  const payees = new Set<string>();
  for (const event of events) {
    if (event.atMs <= probe.atMs - LONGEST_WINDOW_MS) continue;
    n += 1;
    const x = Number(event.amountMinor);
    const delta = x - mean;
    mean += delta / n;
    m2 += delta * (x - mean);
    if (event.atMs > probe.atMs - FEATURE_WINDOWS[2].ms) payees.add(event.creditAccountId);
  }
  const sd = n > 1 ? Math.sqrt(m2 / (n - 1)) : 0;
  return checksum + (Number(probe.amountMinor) - mean) / Math.max(sd, 1) + payees.size;
}

/** Times compute and the scan on the same probes, alternating so that a slow spell of the machine falls on both. */
function measure(probes: readonly RiskEvent[], compute: (event: RiskEvent) => object, byPayer: ReadonlyMap<string, readonly RiskEvent[]>) {
  let sink = 0;
  const computeSamples: number[] = [];
  const scanSamples: number[] = [];
  probes.forEach((probe, index) => {
    const startedCompute = performance.now();
    sink += Object.keys(compute(probe)).length;
    const computeUs = (performance.now() - startedCompute) * 1000;
    const startedScan = performance.now();
    sink += scanFeatures(byPayer.get(probe.debitAccountId) ?? [], probe);
    const scanUs = (performance.now() - startedScan) * 1000;
    if (index >= WARMUP) computeSamples.push(computeUs), scanSamples.push(scanUs);
  });
  if (!Number.isFinite(sink)) throw new Error('the results were not used');
  return { compute: sorted(computeSamples), scan: sorted(scanSamples) };
}

/**
 * Computes and scans per second of CPU time this process used (process.cpuUsage), in tight loops
 * without per-call timers: what one core does, whatever else the machine is running.
 */
function perCpuSecond(probes: readonly RiskEvent[], compute: (event: RiskEvent) => object, byPayer: ReadonlyMap<string, readonly RiskEvent[]>) {
  const cpuSeconds = (work: () => void): number => {
    const before = process.cpuUsage();
    work();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1e6;
  };
  let sink = 0;
  const computeSeconds = cpuSeconds(() => {
    for (const probe of probes) sink += Object.keys(compute(probe)).length;
  });
  const scanSeconds = cpuSeconds(() => {
    for (const probe of probes) sink += scanFeatures(byPayer.get(probe.debitAccountId) ?? [], probe);
  });
  if (!Number.isFinite(sink)) throw new Error('the results were not used');
  return { compute: probes.length / computeSeconds, scan: probes.length / scanSeconds };
}

function sorted(samples: number[]): number[] {
  return samples.sort((left, right) => left - right);
}

defineBenchmark({
  name: 'features',
  description: `feature vector (${ACCOUNTS.toLocaleString('en-US')} accounts, ${EVENTS.toLocaleString('en-US')} events over 30 days) against a scan of the payer's events`,
  run: () =>
    withScratchDir('features', async (dir) => {
      const db = openSqlite(join(dir, 'features.db'));
      await migrate(db, featuresMigrations);
      const clock = createManualClock(NOW_MS);
      const features = createFeaturesService({ db, clock, pollIntervalMs: 0 });
      await features.start();
      const random = seededRandom(11);
      const account = () => `acct-${random() < HOT_SHARE ? Math.floor(random() * HOT_ACCOUNTS) : Math.floor(random() * ACCOUNTS)}`;
      const byPayer = new Map<string, RiskEvent[]>();
      const pending: Promise<void>[] = [];
      for (let index = 0; index < EVENTS; index += 1) {
        const debit = account();
        const credit = account();
        if (debit === credit) continue;
        const event: RiskEvent = {
          id: `e-${index}`, atMs: NOW_MS - LONGEST_WINDOW_MS + Math.floor((index / EVENTS) * LONGEST_WINDOW_MS), amountMinor: BigInt(100 + Math.floor(random() * 100_000)),
          currency: 'CNY', debitAccountId: debit, creditAccountId: credit, debitPartyId: `party-${debit.slice(5, -1)}`, deviceId: `device-${Math.floor(random() * 5_000)}`,
        };
        pending.push(features.record(event));
        // The write queue is bounded; let it drain now and then, as a live system's pace would.
        if (pending.length % 20_000 === 0) await Promise.all(pending.splice(0));
        const list = byPayer.get(debit) ?? [];
        list.push(event);
        byPayer.set(debit, list);
      }
      await Promise.all(pending);
      progress(`recorded ${EVENTS.toLocaleString('en-US')} events; ${JSON.stringify(features.stats(), (_key, value) => (typeof value === 'bigint' ? String(value) : value))}`);
      const probe = (index: number, payer: string): RiskEvent => ({
        id: `probe-${index}`, atMs: NOW_MS, amountMinor: BigInt(100 + Math.floor(random() * 200_000)), currency: 'CNY',
        debitAccountId: payer, creditAccountId: account(), debitPartyId: 'party-1', deviceId: `device-${index % 5_000}`,
      });
      const featureCount = Object.keys(features.compute(probe(0, 'acct-1'))).length;
      progress(`${featureCount} features per vector`);
      const typical = measure(Array.from({ length: WARMUP + PROBES }, (_, index) => probe(index, account())), features.compute, byPayer);
      const throughput = perCpuSecond(Array.from({ length: PROBES }, (_, index) => probe(index, account())), features.compute, byPayer);
      const hot = measure(Array.from({ length: WARMUP + PROBES }, (_, index) => probe(index, `acct-${index % HOT_ACCOUNTS}`)), features.compute, byPayer);
      progress(`hot payers hold ${(byPayer.get('acct-0') ?? []).length.toLocaleString('en-US')} outgoing events each`);
      await features.stop();
      await db.close();
      const baseline = `a scan of the payer's events for its ${FEATURE_WINDOWS.length} windows, z-score and payees (a subset)`;
      const target = `< ${FEATURES_TARGET_US} µs`;
      return [
        ...[0.5, 0.99].map((fraction) => figure({
          name: `features.compute_${featureCount}_p${Math.round(fraction * 100)}`, value: percentile(typical.compute, fraction), unit: 'µs',
          baseline, baselineValue: percentile(typical.scan, fraction), target, met: percentile(typical.compute, fraction) < FEATURES_TARGET_US,
        })),
        figure({
          name: 'features.computes_per_cpu_second', value: throughput.compute, unit: '/s',
          baseline: 'scans of the payer\'s events per CPU second', baselineValue: throughput.scan,
        }),
        ...[0.5, 0.99].map((fraction) => figure({
          name: `features.compute_hot_payer_p${Math.round(fraction * 100)}`, value: percentile(hot.compute, fraction), unit: 'µs',
          baseline, baselineValue: percentile(hot.scan, fraction), target, met: percentile(hot.compute, fraction) < FEATURES_TARGET_US,
        })),
      ];
    }),
});

defineBenchmark({
  name: 'lists',
  description: `list match against ${(IPV4_RANGES + IPV6_RANGES).toLocaleString('en-US')} IP ranges, beside a comparison with every range`,
  run: () =>
    withScratchDir('lists', async (dir) => {
      const db = openSqlite(join(dir, 'lists.db'));
      await migrate(db, listsMigrations);
      const lists = createListsService({ db, clock: createManualClock(NOW_MS), pollIntervalMs: 0 });
      await lists.start();
      const random = seededRandom(5);
      const octet = () => Math.floor(random() * 256);
      // Prefix lengths from /8 to /32, so that lookups mask and probe many lengths, not one.
      const v4 = Array.from({ length: IPV4_RANGES }, () => {
        const length = 8 + Math.floor(random() * 25);
        const masked = (Math.floor(random() * 2 ** 32) & ((0xffffffff << (32 - length)) >>> 0)) >>> 0;
        return `${masked >>> 24}.${(masked >>> 16) & 255}.${(masked >>> 8) & 255}.${masked & 255}/${length}`;
      });
      const v6 = Array.from({ length: IPV6_RANGES }, (_, index) => `2001:db8:${(index * 7).toString(16)}::/48`);
      const all = [...new Set([...v4, ...v6])];
      for (let start = 0; start < all.length; start += 5_000) {
        const csv = ['list,kind,value,reason', ...all.slice(start, start + 5_000).map((value) => `block,ip,${value},bench`)].join('\n');
        const result = await lists.importCsv(csv, 'bench');
        if (!result.ok) throw new Error(`import refused: ${result.detail}`);
      }
      const ranges = all.map((text) => parseRange(text)).filter((range) => typeof range !== 'string');
      const probes = Array.from({ length: LIST_PROBES }, (_, index) => (index % 4 === 0 ? `2001:db8:${(index % 7_000).toString(16)}::1` : `${octet()}.${octet()}.${octet()}.${octet()}`));
      const scan = (ip: string): number => {
        const address = parseIp(ip);
        if (!address) return 0;
        let hits = 0;
        for (const range of ranges) {
          if (range.family !== address.family) continue;
          if (range.family === 4) hits += ((address.value as number) & (range.length === 0 ? 0 : (0xffffffff << (32 - range.length)) >>> 0)) >>> 0 === range.prefix ? 1 : 0;
          else hits += (address.value as bigint) >> BigInt(128 - range.length) === range.prefix >> BigInt(128 - range.length) ? 1 : 0;
        }
        return hits;
      };
      const matchSamples: number[] = [];
      const scanSamples: number[] = [];
      probes.forEach((ip, index) => {
        const startedMatch = performance.now();
        const found = lists.match({ ips: [ip], accountIds: ['acct-1'], countries: ['CN'] }).blocked.length;
        const matchUs = (performance.now() - startedMatch) * 1000;
        const startedScan = performance.now();
        const expected = scan(ip);
        const scanUs = (performance.now() - startedScan) * 1000;
        // Both must find the same ranges, or the comparison would be meaningless.
        if (found !== expected) throw new Error(`${ip}: index found ${found}, scan ${expected}`);
        if (index >= WARMUP) matchSamples.push(matchUs), scanSamples.push(scanUs);
      });
      await lists.stop();
      await db.close();
      sorted(matchSamples);
      sorted(scanSamples);
      return [0.5, 0.99].map((fraction) =>
        figure({
          name: `lists.match_p${Math.round(fraction * 100)}`, value: percentile(matchSamples, fraction), unit: 'µs',
          baseline: `the same addresses compared with all ${ranges.length.toLocaleString('en-US')} ranges`, baselineValue: percentile(scanSamples, fraction),
        }),
      );
    }),
});
