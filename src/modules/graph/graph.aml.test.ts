import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AMLSIM_SAMPLES, loadAmlSimSample } from './graph.amlsim.ts';
import { evaluate, inDegrees } from './graph.evaluation.ts';
import { scoreEdges } from './graph.scoring.ts';

const DATA_DIR = process.env.SLUICE_AML_DATA_DIR ?? resolve(import.meta.dirname, '../../../../shared/data/aml');
/**
 * How far the graph score's ROC AUC must beat in-degree alone. Measured: 0.898 against 0.802 on the
 * cycle sample and 0.887 against 0.726 on the fan-in sample (docs/benchmarks.md); the margin asked
 * here is a little over half the smaller lead, so a change that loses most of it fails.
 */
const AUC_MARGIN_MIN = 0.05;
/** Scoring 20,000 accounts takes a few seconds; on a shared machine, give it room. */
const SAMPLE_TIMEOUT_MS = 180_000;

// The samples live beside the repository, not in it; without them the suite says so in its title.
const suite = existsSync(DATA_DIR) ? describe : describe.skip;
const title = existsSync(DATA_DIR) ? 'mule-ring scoring on the AMLSim samples' : `mule-ring scoring on the AMLSim samples [skipped: no AMLSim data at ${DATA_DIR}]`;

suite(title, () => {
  let scratch = '';
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'sluice-aml-'));
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  for (const name of AMLSIM_SAMPLES) {
    it(`ranks the laundering accounts of ${name} better than in-degree alone`, { timeout: SAMPLE_TIMEOUT_MS }, () => {
      const sample = loadAmlSimSample(DATA_DIR, name, scratch);
      expect(sample.labels.size).toBe(20_000);
      const result = scoreEdges(sample.edges);
      const byAccount = new Map(result.scores.map((score) => [score.accountId, score.score]));
      const degrees = inDegrees(sample.edges);
      const ours = evaluate((id) => byAccount.get(id) ?? 0, sample.labels);
      const baseline = evaluate((id) => degrees.get(id) ?? 0, sample.labels);
      expect(ours.auc - baseline.auc, `AUC ${ours.auc} against in-degree ${baseline.auc}`).toBeGreaterThan(AUC_MARGIN_MIN);
      expect(ours.precisionAtPositives).toBeGreaterThan(baseline.precisionAtPositives);
      expect(ours.precisionAt100).toBeGreaterThan(baseline.precisionAt100);
    });
  }
});
