import { align, prepareQuery, type PreparedQuery } from './screening.align.ts';
import { explain } from './screening.explain.ts';
import { searchForm, type IndexedName, type ListIndex } from './screening.index.ts';
import { SCREENING_ADJUSTMENTS, SCREENING_LIMITS, SCREENING_THRESHOLD_MIN } from './screening.limits.ts';
import { nameForms, type NameForm } from './screening.names.ts';
import type { ScreeningMatch, ScreeningResult, WatchListEntity } from './screening.ts';

/**
 * One screen of one name against every loaded list: candidates from each list's index, the best name
 * of each entity, then what the birth year and country say, then the explanation of what is reported.
 */
export interface ScreenOptions {
  readonly threshold?: number;
  /** ISO 3166-1 alpha-2 (any case) or the country's name as the list writes it. */
  readonly country?: string;
  readonly birthYear?: number;
}

interface Best {
  readonly index: ListIndex;
  readonly entity: WatchListEntity;
  readonly name: IndexedName;
  readonly query: PreparedQuery;
  readonly nameScore: number;
  readonly score: number;
}

const fixed = (value: number) => value.toFixed(2);
const clampScore = (value: number) => Math.min(1, Math.max(0, value));

export function clampThreshold(threshold: number): number {
  return Math.min(1, Math.max(SCREENING_THRESHOLD_MIN, threshold));
}

/**
 * What the birth year and country say about an entity, in points and (when `steps` is given) in
 * words: the words are written only for the few entities a screen reports.
 */
function adjustmentFor(index: ListIndex, entityPosition: number, options: ScreenOptions, steps?: string[]): number {
  const entity = index.entities[entityPosition] as WatchListEntity;
  let delta = 0;
  const years = index.birthYears[entityPosition] ?? [];
  if (options.birthYear !== undefined && years.length > 0) {
    const distance = Math.min(...years.map((year) => Math.abs(year - (options.birthYear as number))));
    const listed = years.join(', ');
    if (distance <= SCREENING_ADJUSTMENTS.birthYearToleranceYears) {
      delta += SCREENING_ADJUSTMENTS.birthYearAgreeBonus;
      steps?.push(`birth year ${options.birthYear} agrees with listed ${listed} (+${fixed(SCREENING_ADJUSTMENTS.birthYearAgreeBonus)})`);
    } else {
      delta -= SCREENING_ADJUSTMENTS.birthYearDisagreePenalty;
      steps?.push(`birth year ${options.birthYear} differs from listed ${listed} (−${fixed(SCREENING_ADJUSTMENTS.birthYearDisagreePenalty)})`);
    }
  }
  const country = options.country?.trim().toLowerCase();
  if (country && entity.countries.length > 0) {
    if (entity.countries.includes(country)) {
      delta += SCREENING_ADJUSTMENTS.countryAgreeBonus;
      steps?.push(`country ${country} is among the listed countries (+${fixed(SCREENING_ADJUSTMENTS.countryAgreeBonus)})`);
    } else {
      delta -= SCREENING_ADJUSTMENTS.countryDisagreePenalty;
      steps?.push(`country ${country} is not among the listed countries ${entity.countries.join(', ')} (−${fixed(SCREENING_ADJUSTMENTS.countryDisagreePenalty)})`);
    }
  }
  return delta;
}

/** The best name of each entity reached, across every query form, keyed by entity position. */
function bestOfList(index: ListIndex, queryForms: readonly NameForm[], options: ScreenOptions): Best[] {
  const best = new Map<number, Best>();
  const adjustments = new Map<number, number>();
  // Prepared per list: the comparison caches are keyed by token ids, which each list's index numbers on its own.
  for (const queryForm of queryForms) {
    const query = prepareQuery(queryForm);
    for (const { name, score: formScore } of searchForm(index, query)) {
      if (formScore === 0) continue;
      let adjustment = adjustments.get(name.entity);
      if (adjustment === undefined) adjustments.set(name.entity, (adjustment = adjustmentFor(index, name.entity, options)));
      const nameScore = name.weak ? formScore * SCREENING_ADJUSTMENTS.weakAliasFactor : formScore;
      const score = clampScore(nameScore + adjustment);
      const previous = best.get(name.entity);
      if (previous && previous.score >= score) continue;
      best.set(name.entity, { index, entity: index.entities[name.entity] as WatchListEntity, name, query, nameScore, score });
    }
  }
  return [...best.values()];
}

/** A reported match, with its explanation written out. */
function reported(item: Best, query: string, options: ScreenOptions): ScreeningMatch {
  const adjustments = item.name.weak ? [`matched a weak alias (×${SCREENING_ADJUSTMENTS.weakAliasFactor})`] : [];
  adjustmentFor(item.index, item.name.entity, options, adjustments);
  const explanation = explain({
    queryName: query, queryForm: item.query.form, listedName: item.name.name, listedForm: item.name.form,
    alignment: align(item.query, item.name.form), adjustments, finalScore: item.score,
  });
  return {
    entityId: item.entity.id, listName: item.index.listName, matchedName: item.name.name, score: round(item.score),
    nameScore: round(item.nameScore), schema: item.entity.schema, explanation,
  };
}

export function screenAgainst(indexes: readonly ListIndex[], query: string, options: ScreenOptions, defaultThreshold: number): ScreeningResult {
  const threshold = clampThreshold(options.threshold ?? defaultThreshold);
  const queryForms = nameForms(query.slice(0, SCREENING_LIMITS.nameMaxLength));
  const found: Best[] = [];
  for (const index of indexes) found.push(...bestOfList(index, queryForms, options));
  found.sort((a, b) => b.score - a.score || a.entity.id.localeCompare(b.entity.id));
  const matches = found.filter((item) => round(item.score) >= threshold).slice(0, SCREENING_LIMITS.matchesMax).map((item) => reported(item, query, options));
  return { query, topScore: round(found[0]?.score ?? 0), matches, threshold };
}

/** Scores travel rounded to four places: more would promise a precision the method does not have. */
const round = (value: number) => Math.round(value * 10_000) / 10_000;
