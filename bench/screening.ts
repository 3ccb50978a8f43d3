import { resolve } from 'node:path';
import {
  baselineMatcher, buildListIndex, EVALUATION_FOLDER, loadEvaluationData, measure, screenAgainst, screeningMatcher, SCREENING_DEFAULT_THRESHOLD,
  type EvaluationData, type WatchListEntity,
} from '../src/modules/screening/index.ts';
import { defineBenchmark, figure, percentile, progress, seededRandom, settle, type Figure } from './harness.ts';

/**
 * Watch-list screening. Quality: precision and recall at the default threshold on the labelled
 * fixtures of ../shared/data/screening (how the files pair up is described in
 * src/modules/screening/screening.evaluation.ts and docs/risk-screening.md), beside exact matching
 * after simple normalisation. Speed: time per screen against the fixture list (about 1,900
 * entities) and against a synthetic list of SLUICE_BENCH_SCREENING_ENTITIES entities (default
 * 100,000) whose names are random combinations of the fixtures' words, beside an exact-match lookup
 * of the same queries in the same run.
 */
const FOLDER = resolve(import.meta.dirname, '../../shared/data', EVALUATION_FOLDER);
const SYNTHETIC_ENTITIES = Number(process.env.SLUICE_BENCH_SCREENING_ENTITIES ?? 100_000);
/** The target, stated for a list of a million entries. */
const LARGE_LIST_P99_TARGET_MS = 5;
const SMALL_LIST_P50_TARGET_US = 300;

function qualityFigures(ours: ReturnType<typeof measure>, withYear: ReturnType<typeof measure>, exact: ReturnType<typeof measure>): Figure[] {
  const baseline = 'exact match after simple normalisation';
  return [
    figure({ name: 'screening recall, all positives', value: ours.recallAll, unit: '', baseline, baselineValue: exact.recallAll }),
    figure({ name: 'screening recall, misspelt UN names', value: ours.recall.un_treated ?? 0, unit: '', baseline, baselineValue: exact.recall.un_treated ?? 0 }),
    figure({ name: 'screening recall, congress names', value: ours.recall.us_congress ?? 0, unit: '', baseline, baselineValue: exact.recall.us_congress ?? 0 }),
    figure({ name: 'screening recall, congress with initials', value: ours.recall.us_congress_initials ?? 0, unit: '', baseline, baselineValue: exact.recall.us_congress_initials ?? 0 }),
    figure({ name: 'screening precision', value: ours.precision, unit: '', baseline, baselineValue: exact.precision }),
    figure({ name: 'screening negatives hit', value: ours.falsePositiveRate, unit: '', baseline, baselineValue: exact.falsePositiveRate }),
    figure({ name: 'screening recall with birth year', value: withYear.recallAll, unit: '', baseline, baselineValue: exact.recallAll }),
    figure({ name: 'screening precision with birth year', value: withYear.precision, unit: '', baseline, baselineValue: exact.precision }),
  ];
}

/**
 * Per call of `work`, after one warm-up pass: wall-clock microseconds and CPU microseconds, each
 * sorted. On a shared machine the wall clock also counts the time other processes held the core;
 * the CPU time does not, so its tail shows what the screen itself costs.
 */
async function timings(queries: readonly string[], work: (query: string) => unknown): Promise<{ samples: number[]; cpu: number[]; cpuMeanUs: number }> {
  for (const query of queries) work(query);
  await settle();
  const cpu: number[] = [];
  const samples = queries.map((query) => {
    const cpuBefore = process.cpuUsage();
    const started = process.hrtime.bigint();
    work(query);
    const elapsed = Number(process.hrtime.bigint() - started) / 1000;
    const used = process.cpuUsage(cpuBefore);
    cpu.push(used.user + used.system);
    return elapsed;
  });
  const cpuMeanUs = cpu.reduce((sum, value) => sum + value, 0) / cpu.length;
  return { samples: samples.sort((a, b) => a - b), cpu: cpu.sort((a, b) => a - b), cpuMeanUs };
}

/** Names made of the fixtures' words in random order: as many distinct names as wanted, with realistic words. */
function syntheticEntities(data: EvaluationData, count: number): WatchListEntity[] {
  const words = new Set<string>();
  for (const set of [...data.positives, ...data.negatives]) for (const query of set.queries) for (const word of query.name.split(/[\s,]+/)) if (/^\p{L}{2,}$/u.test(word)) words.add(word);
  const vocabulary = [...words];
  const random = seededRandom(11);
  const pick = () => vocabulary[Math.floor(random() * vocabulary.length)] as string;
  return Array.from({ length: count }, (_, index) => ({
    id: `synthetic-${index}`, schema: 'Person', names: [Array.from({ length: 2 + Math.floor(random() * 3) }, pick).join(' ')],
    aliases: [], weakAliases: [], birthDates: [], countries: [], datasets: [],
  }));
}

async function speedFigures(data: EvaluationData): Promise<Figure[]> {
  const queries = [...data.positives, ...data.negatives].flatMap((set) => set.queries.map((query) => query.name));
  const matcher = await screeningMatcher(data, { threshold: SCREENING_DEFAULT_THRESHOLD, useBirthYear: false });
  const exact = baselineMatcher(data);
  const ours = await timings(queries, (query) => screenAgainst(matcher.indexes, query, {}, SCREENING_DEFAULT_THRESHOLD));
  const lookups = await timings(queries, (query) => exact.hits({ name: query }));
  const entities = data.lists.reduce((sum, list) => sum + list.entities.length, 0);
  progress(`fixture list: ${entities} entities, ${queries.length} screens`);

  progress(`building a synthetic list of ${SYNTHETIC_ENTITIES.toLocaleString('en-US')} entities`);
  const synthetic = { lists: [{ name: 'synthetic', entities: syntheticEntities(data, SYNTHETIC_ENTITIES) }], positives: [], negatives: [] };
  const started = performance.now();
  const largeIndex = await buildListIndex('synthetic', synthetic.lists[0]!.entities);
  const buildSeconds = (performance.now() - started) / 1000;
  progress(`built in ${buildSeconds.toFixed(1)} s`);
  const exactStarted = performance.now();
  const largeExact = baselineMatcher(synthetic);
  const exactBuildSeconds = (performance.now() - exactStarted) / 1000;
  const large = await timings(queries, (query) => screenAgainst([largeIndex], query, {}, SCREENING_DEFAULT_THRESHOLD));
  const largeLookups = await timings(queries, (query) => largeExact.hits({ name: query }));
  const size = SYNTHETIC_ENTITIES.toLocaleString('en-US');
  const exactLabel = 'exact-match lookup';
  const p = (timing: { samples: number[] }, fraction: number) => percentile(timing.samples, fraction);
  return [
    figure({ name: `screen CPU mean, ${entities} entities`, value: ours.cpuMeanUs, unit: 'µs', baseline: exactLabel, baselineValue: lookups.cpuMeanUs }),
    figure({ name: `screen p50, ${entities} entities`, value: p(ours, 0.5), unit: 'µs', baseline: exactLabel, baselineValue: p(lookups, 0.5), target: `≤ ${SMALL_LIST_P50_TARGET_US} µs`, met: p(ours, 0.5) <= SMALL_LIST_P50_TARGET_US }),
    figure({ name: `screen p99, ${entities} entities`, value: p(ours, 0.99), unit: 'µs', baseline: exactLabel, baselineValue: p(lookups, 0.99) }),
    figure({ name: `screen p99 CPU, ${entities} entities`, value: percentile(ours.cpu, 0.99), unit: 'µs', baseline: exactLabel, baselineValue: percentile(lookups.cpu, 0.99) }),
    figure({ name: `screen CPU mean, ${size} entities`, value: large.cpuMeanUs / 1000, unit: 'ms', baseline: exactLabel, baselineValue: largeLookups.cpuMeanUs / 1000 }),
    figure({ name: `screen p50, ${size} entities`, value: p(large, 0.5) / 1000, unit: 'ms', baseline: exactLabel, baselineValue: p(largeLookups, 0.5) / 1000 }),
    figure({
      name: `screen p99, ${size} entities`, value: p(large, 0.99) / 1000, unit: 'ms', baseline: exactLabel, baselineValue: p(largeLookups, 0.99) / 1000,
      target: `≤ ${LARGE_LIST_P99_TARGET_MS} ms (at 1,000,000)`, met: p(large, 0.99) / 1000 <= LARGE_LIST_P99_TARGET_MS,
    }),
    figure({ name: `screen p99 CPU, ${size} entities`, value: percentile(large.cpu, 0.99) / 1000, unit: 'ms', baseline: exactLabel, baselineValue: percentile(largeLookups.cpu, 0.99) / 1000 }),
    figure({ name: `index build, ${size} entities`, value: buildSeconds, unit: 's', baseline: 'exact-match map', baselineValue: exactBuildSeconds }),
  ];
}

export default defineBenchmark({
  name: 'screening',
  description: 'watch-list screening: precision and recall on the shared fixtures beside exact matching, and time per screen',
  async run() {
    const data = loadEvaluationData(FOLDER);
    if (!data) throw new Error(`the screening fixtures are not at ${FOLDER}`);
    const ours = measure(data, await screeningMatcher(data, { threshold: SCREENING_DEFAULT_THRESHOLD, useBirthYear: false }));
    const withYear = measure(data, await screeningMatcher(data, { threshold: SCREENING_DEFAULT_THRESHOLD, useBirthYear: true }));
    const exact = measure(data, baselineMatcher(data));
    progress(`threshold ${SCREENING_DEFAULT_THRESHOLD}: ${ours.truePositives} of ${ours.positiveQueries} positives found, ${ours.falsePositives} false hits`);
    return [...qualityFigures(ours, withYear, exact), ...(await speedFigures(data))];
  },
});
