import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../kernel/index.ts';
import { parseListFile } from './screening.import.ts';
import { buildListIndex, type ListIndex } from './screening.index.ts';
import { screenAgainst } from './screening.matcher.ts';
import { simpleNormalise } from './screening.normalise.ts';
import type { WatchListEntity } from './screening.ts';

/**
 * Precision and recall on the labelled fixtures in ../shared/data/screening (see its SOURCES.md):
 *
 * - the watch list is positives_un_untreated.csv (683 people on the UN Security Council list) and
 *   positives_us_congress_untreated.csv (1,254 members of the US Congress, common American names),
 *   imported through the CSV importer as two lists;
 * - positive queries: positives_un_treated.csv, row for row the same people as the untreated file
 *   with typing mistakes, "Last, First" reordering, doubled or dropped letters, lost accents; each
 *   must find the entity of the same row. The congress names are screened as written (they must
 *   still hit, however common they are); and, derived here rather than taken from the data, each
 *   congress name with its first name cut to an initial ("J. L. McClellan"), which is how names
 *   arrive on payment messages;
 * - negative queries: negatives_global.csv and negatives_us.csv, 2,000 synthetic people in many
 *   scripts who are on no list; any hit on them is a false positive.
 *
 * Precision counts every query that hit something: a positive query that hit its own entity is a true
 * positive, one that hit only other entities and every hit on a negative query are false positives.
 * The baseline is an exact match after simple normalisation (case, accents, punctuation).
 */
export interface QuerySet {
  readonly name: string;
  readonly queries: readonly { readonly name: string; readonly birthYear?: number; readonly expected?: string }[];
}

export interface EvaluationData {
  readonly lists: readonly { readonly name: string; readonly entities: readonly WatchListEntity[] }[];
  readonly positives: readonly QuerySet[];
  readonly negatives: readonly QuerySet[];
}

export interface Outcome {
  readonly recall: Readonly<Record<string, number>>;
  /** Recall over every positive query together. */
  readonly recallAll: number;
  readonly precision: number;
  /** Share of negative queries with any hit. */
  readonly falsePositiveRate: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  readonly positiveQueries: number;
  readonly negativeQueries: number;
}

export const EVALUATION_FOLDER = 'screening';

function rows(path: string): Record<string, string>[] {
  const records = [...readCsv(readFileSync(path, 'utf8'))];
  const header = records[0];
  if (!header || 'error' in header) throw new Error(`${path} has no header`);
  return records.slice(1).flatMap((record) => ('error' in record ? [] : [Object.fromEntries(header.cells.map((column, index) => [column, record.cells[index] ?? '']))]));
}

const yearOf = (date: string | undefined): number | undefined => (date && /^\d{4}/.test(date) ? Number(date.slice(0, 4)) : undefined);

/** Reads the fixtures from `folder` (…/shared/data/screening); undefined when the folder is absent. */
export function loadEvaluationData(folder: string): EvaluationData | undefined {
  if (!existsSync(join(folder, 'SOURCES.md'))) return undefined;
  const listOf = (name: string, file: string) => {
    const parsed = parseListFile(readFileSync(join(folder, file), 'utf8'), 'csv');
    if (!parsed.ok) throw new Error(`${file}: ${parsed.detail}`);
    return { name, entities: parsed.value.entities };
  };
  const lists = [listOf('un_sc', 'positives_un_untreated.csv'), listOf('us_congress', 'positives_us_congress_untreated.csv')];
  // An entity is known by list, name and birth date: the congress list holds two Robert Menendez.
  const idOf = new Map<string, string>();
  for (const list of lists) {
    for (const entity of list.entities) for (const name of entity.names) idOf.set(`${list.name}:${name}:${entity.birthDates[0] ?? ''}`, `${list.name}:${entity.id}`);
  }
  const expected = (list: string, row: Record<string, string> | undefined) => idOf.get(`${list}:${row?.full_name}:${row?.date_of_birth ?? ''}`);
  const untreated = rows(join(folder, 'positives_un_untreated.csv'));
  const treated = rows(join(folder, 'positives_un_treated.csv'));
  const congress = rows(join(folder, 'positives_us_congress_untreated.csv'));
  const initialled = (name: string) => name.replace(/^(\p{L})\S*/u, '$1.');
  const positives: QuerySet[] = [
    { name: 'un_treated', queries: treated.map((row, index) => ({ name: row.full_name ?? '', birthYear: yearOf(row.date_of_birth), expected: expected('un_sc', untreated[index]) })) },
    { name: 'us_congress', queries: congress.map((row) => ({ name: row.full_name ?? '', birthYear: yearOf(row.date_of_birth), expected: expected('us_congress', row) })) },
    { name: 'us_congress_initials', queries: congress.map((row) => ({ name: initialled(row.full_name ?? ''), birthYear: yearOf(row.date_of_birth), expected: expected('us_congress', row) })) },
  ];
  const negatives: QuerySet[] = ['negatives_global.csv', 'negatives_us.csv'].map((file) => ({
    name: file.replace('.csv', ''),
    queries: rows(join(folder, file)).map((row) => ({ name: row.full_name ?? '', birthYear: yearOf(row.date_of_birth) })),
  }));
  return { lists, positives, negatives };
}

export interface Matcher {
  /** Entity keys (`list:id`) the query hits. */
  hits(query: QuerySet['queries'][number]): readonly string[];
}

export async function screeningMatcher(data: EvaluationData, options: { readonly threshold: number; readonly useBirthYear: boolean }): Promise<Matcher & { readonly indexes: ListIndex[] }> {
  const indexes = await Promise.all(data.lists.map((list) => buildListIndex(list.name, list.entities)));
  return {
    indexes,
    hits: (query) =>
      screenAgainst(indexes, query.name, { threshold: options.threshold, ...(options.useBirthYear && query.birthYear ? { birthYear: query.birthYear } : {}) }, options.threshold)
        .matches.map((match) => `${match.listName}:${match.entityId}`),
  };
}

export function baselineMatcher(data: EvaluationData): Matcher {
  const byName = new Map<string, string[]>();
  for (const list of data.lists) {
    for (const entity of list.entities) {
      for (const name of [...entity.names, ...entity.aliases]) {
        const key = simpleNormalise(name);
        byName.set(key, [...(byName.get(key) ?? []), `${list.name}:${entity.id}`]);
      }
    }
  }
  return { hits: (query) => byName.get(simpleNormalise(query.name)) ?? [] };
}

export function measure(data: EvaluationData, matcher: Matcher): Outcome {
  const recall: Record<string, number> = {};
  let truePositives = 0;
  let falsePositives = 0;
  let positiveQueries = 0;
  for (const set of data.positives) {
    let found = 0;
    for (const query of set.queries) {
      const hits = matcher.hits(query);
      if (query.expected !== undefined && hits.includes(query.expected)) found++;
      else if (hits.length > 0) falsePositives++;
    }
    recall[set.name] = found / set.queries.length;
    truePositives += found;
    positiveQueries += set.queries.length;
  }
  let negativeHits = 0;
  let negativeQueries = 0;
  for (const set of data.negatives) {
    for (const query of set.queries) if (matcher.hits(query).length > 0) negativeHits++;
    negativeQueries += set.queries.length;
  }
  falsePositives += negativeHits;
  return {
    recall, recallAll: truePositives / positiveQueries, precision: truePositives + falsePositives === 0 ? 1 : truePositives / (truePositives + falsePositives),
    falsePositiveRate: negativeHits / negativeQueries, truePositives, falsePositives, positiveQueries, negativeQueries,
  };
}
