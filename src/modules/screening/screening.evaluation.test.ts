import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { baselineMatcher, EVALUATION_FOLDER, loadEvaluationData, measure, screeningMatcher, type EvaluationData, type Outcome } from './screening.evaluation.ts';
import { SCREENING_DEFAULT_THRESHOLD } from './screening.limits.ts';

/**
 * Precision and recall on the labelled fixtures of ../shared/data/screening (see SOURCES.md there
 * and docs/risk-screening.md), at the default threshold. The floors are the figures measured when
 * the matcher was tuned, less a margin of about half a percentage point: a change to normalisation,
 * keys or scoring that loses matches or adds false hits fails here.
 */
const FOLDER = resolve(import.meta.dirname, '../../../../shared/data', EVALUATION_FOLDER);
const data: EvaluationData | undefined = loadEvaluationData(FOLDER);

describe.skipIf(!data)(`screening evaluation on ${FOLDER}${data ? '' : ' (skipped: the folder is absent)'}`, () => {
  let nameOnly: Outcome;
  let withBirthYear: Outcome;
  let baseline: Outcome;
  beforeAll(async () => {
    const fixtures = data as EvaluationData;
    nameOnly = measure(fixtures, await screeningMatcher(fixtures, { threshold: SCREENING_DEFAULT_THRESHOLD, useBirthYear: false }));
    withBirthYear = measure(fixtures, await screeningMatcher(fixtures, { threshold: SCREENING_DEFAULT_THRESHOLD, useBirthYear: true }));
    baseline = measure(fixtures, baselineMatcher(fixtures));
  }, 120_000);

  it('finds misspelt, reordered and initialled names on names alone (measured 0.997, 1.000, 1.000)', () => {
    expect(nameOnly.recall.un_treated).toBeGreaterThanOrEqual(0.99);
    expect(nameOnly.recall.us_congress).toBeGreaterThanOrEqual(0.995);
    expect(nameOnly.recall.us_congress_initials).toBeGreaterThanOrEqual(0.99);
  });

  it('hits almost none of the 2,000 people on no list (measured precision 0.9991, 0.1 % of negatives hit)', () => {
    expect(nameOnly.precision).toBeGreaterThanOrEqual(0.995);
    expect(nameOnly.falsePositiveRate).toBeLessThanOrEqual(0.003);
  });

  it('does better still with the birth year (measured recall 0.9997, precision 0.9997)', () => {
    expect(withBirthYear.recallAll).toBeGreaterThanOrEqual(0.995);
    expect(withBirthYear.precision).toBeGreaterThanOrEqual(0.997);
    expect(withBirthYear.falsePositiveRate).toBeLessThanOrEqual(0.002);
  });

  it('beats exact matching after simple normalisation, measured in the same run', () => {
    expect(baseline.recall.un_treated).toBeLessThan(0.8);
    expect(baseline.recall.us_congress_initials).toBeLessThan(0.05);
    expect(nameOnly.recallAll - baseline.recallAll).toBeGreaterThan(0.4);
    expect(nameOnly.precision).toBeGreaterThanOrEqual(baseline.precision - 0.001);
  });
});
