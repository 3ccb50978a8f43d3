import { createBoundedCache } from '../src/kernel/index.ts';
import { defineBenchmark, figure, progress, settle, type Figure } from './harness.ts';

/**
 * Inserting new keys into a cache that is already at its bound: the kernel's bounded cache (the
 * same evictions, through one iterator that lives as long as the map: src/kernel/bounded-cache.ts)
 * beside a Map that evicts its first key before each insert, the way several caches did before. A
 * Map deletes by marking a slot and a fresh iterator walks past every marked slot at the front until
 * the table is rebuilt, so the baseline slows as the bound grows. The bounds: 10,000, a middling
 * cache; 200,000, that of the risk account directory and of the payments directory; 2,000,000, that
 * of the payer-payee pairs of the feature windows.
 */
const BOUNDS = [10_000, 200_000, 2_000_000];
/**
 * Above this bound the baseline is a Map that never evicts (the cost of the inserts alone): the
 * front-delete Map would take minutes.
 */
const BASELINE_MAX_BOUND = 200_000;
/**
 * Inserts timed per turn. At the smaller bound this runs the Map through many rebuilds; at the larger
 * it covers only its first stretch past the bound, before the marked slots pile up to their steady
 * level, so the baseline there is flattered (a full cycle would take minutes).
 */
const INSERTS_MIN = 100_000;
/** Turns per contender, taken alternately; the median turn is reported. */
const TURNS = 3;

interface InsertTarget {
  set(key: string, value: number): void;
}

function frontDeleteMap(maxEntries: number): InsertTarget {
  const map = new Map<string, number>();
  return {
    set(key, value) {
      if (map.size >= maxEntries) map.delete(map.keys().next().value as string);
      map.set(key, value);
    },
  };
}

/** Inserts per second over `inserts` new keys, after filling the target to its bound untimed. */
function insertsPerSecond(target: InsertTarget, keys: readonly string[], maxEntries: number): number {
  for (let index = 0; index < maxEntries; index += 1) target.set(keys[index] as string, index);
  const started = process.hrtime.bigint();
  for (let index = maxEntries; index < keys.length; index += 1) target.set(keys[index] as string, index);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return (keys.length - maxEntries) / seconds;
}

function unboundedMap(): InsertTarget {
  const map = new Map<string, number>();
  return { set: (key, value) => void map.set(key, value) };
}

const median = (values: number[]): number => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

async function measureBound(maxEntries: number): Promise<Figure> {
  const inserts = Math.max(INSERTS_MIN, maxEntries / 2);
  // Keys made once, so that both contenders time the same inserts and no string building.
  const keys = Array.from({ length: maxEntries + inserts }, (_, index) => `account-${index.toString(36).padStart(8, '0')}`);
  const cache: number[] = [];
  const baseline: number[] = [];
  const frontDelete = maxEntries <= BASELINE_MAX_BOUND;
  for (let turn = 0; turn < TURNS; turn += 1) {
    await settle();
    baseline.push(insertsPerSecond(frontDelete ? frontDeleteMap(maxEntries) : unboundedMap(), keys, maxEntries));
    await settle();
    cache.push(insertsPerSecond(createBoundedCache<string, number>(maxEntries), keys, maxEntries));
  }
  const value = median(cache);
  const baselineValue = median(baseline);
  const baselineName = frontDelete ? 'Map deleting its first key at the bound' : 'Map without a bound (inserts alone)';
  progress(`bound ${maxEntries}: bounded cache ${Math.round(value)} inserts/s, ${baselineName} ${Math.round(baselineValue)} inserts/s`);
  return figure({ name: `bounded cache inserts at a bound of ${maxEntries.toLocaleString('en')}`, value, unit: 'inserts/s', baseline: baselineName, baselineValue });
}

defineBenchmark({
  name: 'caches',
  description: 'inserts at the bound: the kernel bounded cache beside a Map evicting its first key',
  async run() {
    const figures: Figure[] = [];
    for (const maxEntries of BOUNDS) figures.push(await measureBound(maxEntries));
    return figures;
  },
});
