/**
 * Mule-ring detection on the AMLSim samples of ../shared/data/aml: how well the graph score ranks the
 * labelled laundering accounts (ROC AUC, precision at k = the number of labelled accounts and at
 * k = 100), beside in-degree alone, computed on the same edges in the same run; and how long scoring
 * 20,000 accounts and about 118,000 transfers takes, beside only building the graph from the edges.
 * Time is reported as CPU time of this process (what one core spends, whatever else runs on the
 * machine) and as wall-clock time. Simulation steps are taken as days (see graph.evaluation.ts).
 */
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { AMLSIM_SAMPLES, buildGraph, evaluate, inDegrees, loadAmlSimSample, scoreEdges } from '../src/modules/graph/index.ts';
import { defineBenchmark, figure, percentile, progress, settle, withScratchDir, type Figure } from './harness.ts';

const DATA_DIR = process.env.SLUICE_AML_DATA_DIR ?? resolve(import.meta.dirname, '../../shared/data/aml');
/** Timed rounds of scoring per sample; the median is reported. */
const ROUNDS = 3;
const TARGET_MS = 5_000;

const cpuMs = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
const median = (samples: readonly number[]) => percentile([...samples].sort((x, y) => x - y), 0.5);

/** CPU and wall-clock milliseconds of one call, after the heap is collected. */
async function timed(work: () => unknown): Promise<{ cpu: number; wall: number }> {
  await settle();
  const [cpu, wall] = [cpuMs(), performance.now()];
  work();
  return { cpu: cpuMs() - cpu, wall: performance.now() - wall };
}

export default defineBenchmark({
  name: 'aml',
  description: 'mule-ring scoring on the AMLSim samples: ROC AUC and precision at k beside in-degree, and scoring time',
  run: () =>
    withScratchDir('aml', async (dir) => {
      if (!existsSync(DATA_DIR)) throw new Error(`no AMLSim data at ${DATA_DIR} (set SLUICE_AML_DATA_DIR)`);
      const figures: Figure[] = [];
      for (const name of AMLSIM_SAMPLES) {
        const sample = loadAmlSimSample(DATA_DIR, name, dir);
        progress(`${name}: ${sample.labels.size} accounts, ${sample.edges.length} transfers`);
        const scoring: { cpu: number; wall: number }[] = [];
        const building: { cpu: number; wall: number }[] = [];
        let result = scoreEdges(sample.edges);
        for (let round = 0; round < ROUNDS; round++) {
          building.push(await timed(() => buildGraph(sample.edges)));
          scoring.push(await timed(() => (result = scoreEdges(sample.edges))));
        }
        const byAccount = new Map(result.scores.map((score) => [score.accountId, score.score]));
        const degrees = inDegrees(sample.edges);
        const ours = evaluate((id) => byAccount.get(id) ?? 0, sample.labels);
        const baseline = evaluate((id) => degrees.get(id) ?? 0, sample.labels);
        const baselineName = 'in-degree alone';
        figures.push(
          figure({ name: `${name} ROC AUC`, value: ours.auc, unit: '', baseline: baselineName, baselineValue: baseline.auc, target: 'above the baseline', met: ours.auc > baseline.auc }),
          figure({ name: `${name} precision at k=${ours.positives}`, value: ours.precisionAtPositives, unit: '', baseline: baselineName, baselineValue: baseline.precisionAtPositives }),
          figure({ name: `${name} precision at k=100`, value: ours.precisionAt100, unit: '', baseline: baselineName, baselineValue: baseline.precisionAt100 }),
          figure({
            name: `${name} scoring CPU time (${result.stats.accounts} accounts, ${result.stats.edges} transfers)`, value: median(scoring.map((run) => run.cpu)), unit: 'ms',
            baseline: 'building the graph only', baselineValue: median(building.map((run) => run.cpu)),
            target: `at most ${TARGET_MS} ms`, met: median(scoring.map((run) => run.cpu)) <= TARGET_MS,
          }),
          figure({
            name: `${name} scoring wall-clock time`, value: median(scoring.map((run) => run.wall)), unit: 'ms',
            baseline: 'building the graph only', baselineValue: median(building.map((run) => run.wall)),
          }),
        );
        progress(`${name}: ${result.stats.cycles} cycles${result.stats.cycleSearchTruncated ? ' (search cut at its budget)' : ''}, ${result.rings.length} rings`);
      }
      return figures;
    }),
});
