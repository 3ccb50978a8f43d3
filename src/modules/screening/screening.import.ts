import { createHash } from 'node:crypto';
import { readCsv, type CsvFaultCode } from '../../kernel/index.ts';
import { SCREENING_LIMITS } from './screening.limits.ts';
import type { ListFormat, MalformedLine, MalformedLineCode, WatchListEntity } from './screening.ts';

/**
 * Reading list files. Two formats:
 * - `ftm-jsonl`: one FollowTheMoney entity per line, as OpenSanctions publishes them
 *   (`{"id", "schema", "properties": {"name": [...], "alias": [...], "birthDate": [...], ...}, "datasets": [...]}`).
 *   Entities of schemata that have no name worth screening (addresses, sanctions, identifications)
 *   are skipped, not refused.
 * - `csv`: a header line naming the columns, then one entity per line. Recognised columns (any
 *   case): id, name or full_name (required), aliases, weak_aliases, country / countries /
 *   nationality, birth_date / date_of_birth / dob, list / program / dataset, schema / type. Cells with
 *   several values separate them with ";".
 * A line that cannot be read is reported with its number and skipped; a file that breaks a limit
 * (size, entities, names per entity, too many bad lines) is refused whole.
 */
export type ImportRefusal = 'list_file_too_large' | 'too_many_entities' | 'too_many_names' | 'too_many_malformed_lines' | 'list_file_empty' | 'csv_header_missing_name';

export interface ImportProblem {
  readonly code: ImportRefusal;
  readonly detail: string;
  readonly line?: number;
}

/** Like the kernel's Result, with the refusal's detail and line beside its code. */
export type ParseResult = { readonly ok: true; readonly value: ParsedList } | ({ readonly ok: false; readonly error: ImportRefusal } & ImportProblem);

const refuse = (problem: ImportProblem): ParseResult => ({ ok: false, error: problem.code, ...problem });

export interface ParsedList {
  readonly entities: WatchListEntity[];
  readonly skipped: number;
  readonly malformed: MalformedLine[];
}

/** FollowTheMoney schemata whose entities have names a payment or a customer could carry. */
const SCREENED_SCHEMATA = new Set(['Person', 'Organization', 'Company', 'LegalEntity', 'PublicBody', 'Vessel', 'Airplane']);
const COUNTRY_PROPERTIES = ['nationality', 'citizenship', 'country', 'jurisdiction'];

/** The limits an import enforces; tests pass smaller ones to reach them cheaply. */
export type ImportLimits = {
  readonly [K in 'importMaxBytes' | 'entitiesPerListMax' | 'namesPerEntityMax' | 'malformedLinesMax' | 'nameMaxLength' | 'entityIdMaxLength' | 'birthDatesPerEntityMax' | 'countriesPerEntityMax']: number;
};

interface Collector {
  readonly limits: ImportLimits;
  readonly entities: WatchListEntity[];
  readonly ids: Set<string>;
  readonly malformed: MalformedLine[];
  skipped: number;
}

type LineOutcome = WatchListEntity | { readonly code: MalformedLineCode; readonly malformed: string } | 'skip';

export function parseListFile(content: string, format: ListFormat, limits: ImportLimits = SCREENING_LIMITS): ParseResult {
  const bytes = Buffer.byteLength(content, 'utf8');
  if (bytes > limits.importMaxBytes) return refuse({ code: 'list_file_too_large', detail: `the file has ${bytes} bytes; at most ${limits.importMaxBytes} are read` });
  const collector: Collector = { limits, entities: [], ids: new Set(), malformed: [], skipped: 0 };
  const refused = format === 'csv' ? readCsvList(content, collector) : readJsonLines(content, collector);
  if (refused) return refuse(refused);
  if (collector.entities.length === 0) return refuse({ code: 'list_file_empty', detail: 'the file holds no entity with a name' });
  return { ok: true, value: { entities: collector.entities, skipped: collector.skipped, malformed: collector.malformed } };
}

/** Files one line's outcome; answers a refusal when a limit breaks. */
function collect(collector: Collector, line: number, outcome: LineOutcome): ImportProblem | undefined {
  if (outcome === 'skip') {
    collector.skipped++;
    return undefined;
  }
  if ('malformed' in outcome) {
    collector.malformed.push({ line, code: outcome.code, reason: outcome.malformed });
    if (collector.malformed.length > collector.limits.malformedLinesMax) {
      return { code: 'too_many_malformed_lines', line, detail: `more than ${collector.limits.malformedLinesMax} lines could not be read: this is not a file of the format named` };
    }
    return undefined;
  }
  const nameCount = outcome.names.length + outcome.aliases.length + outcome.weakAliases.length;
  if (nameCount > collector.limits.namesPerEntityMax) {
    return { code: 'too_many_names', line, detail: `entity ${outcome.id} has ${nameCount} names; at most ${collector.limits.namesPerEntityMax} per entity` };
  }
  if (collector.ids.has(outcome.id)) return collect(collector, line, { code: 'duplicate_entity_id', malformed: `entity id ${outcome.id} appears twice` });
  if (collector.entities.length >= collector.limits.entitiesPerListMax) {
    return { code: 'too_many_entities', line, detail: `more than ${collector.limits.entitiesPerListMax} entities in one list` };
  }
  collector.ids.add(outcome.id);
  collector.entities.push(outcome);
  return undefined;
}

function readJsonLines(content: string, collector: Collector): ImportProblem | undefined {
  let line = 0;
  let start = 0;
  while (start < content.length) {
    let end = content.indexOf('\n', start);
    if (end === -1) end = content.length;
    line++;
    const text = content.slice(start, end).trim();
    start = end + 1;
    if (text === '') continue;
    const refused = collect(collector, line, entityFromJson(text, collector.limits));
    if (refused) return refused;
  }
  return undefined;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string').map((item) => item.trim()).filter((item) => item !== '') : [];

function entityFromJson(text: string, limits: ImportLimits): LineOutcome {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { code: 'not_json', malformed: 'not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { code: 'not_json_object', malformed: 'not a JSON object' };
  const record = parsed as Record<string, unknown>;
  if (typeof record.schema !== 'string') return { code: 'schema_missing', malformed: 'no schema' };
  if (!SCREENED_SCHEMATA.has(record.schema)) return 'skip';
  const properties = record.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return { code: 'properties_missing', malformed: 'no properties object' };
  const property = (name: string) => strings((properties as Record<string, unknown>)[name]);
  return checkedEntity({
    id: typeof record.id === 'string' ? record.id : '',
    schema: record.schema,
    names: property('name'),
    aliases: [...property('alias'), ...property('previousName')],
    weakAliases: property('weakAlias'),
    birthDates: property('birthDate'),
    countries: COUNTRY_PROPERTIES.flatMap(property).map((country) => country.toLowerCase()),
    datasets: strings(record.datasets),
  }, limits);
}

/** Checks what every format shares: an id, at least one name, names of bounded length. */
function checkedEntity(entity: WatchListEntity, limits: ImportLimits): LineOutcome {
  if (entity.id === '' || entity.id.length > limits.entityIdMaxLength) return { code: 'invalid_entity_id', malformed: `the id is empty or longer than ${limits.entityIdMaxLength} characters` };
  if (entity.names.length === 0 && entity.aliases.length === 0) return { code: 'name_missing', malformed: 'no name' };
  const long = [...entity.names, ...entity.aliases, ...entity.weakAliases].find((name) => name.length > limits.nameMaxLength);
  if (long !== undefined) return { code: 'name_too_long', malformed: `a name is longer than ${limits.nameMaxLength} characters` };
  return {
    ...entity,
    names: dedupe(entity.names),
    aliases: dedupe(entity.aliases).filter((alias) => !entity.names.includes(alias)),
    weakAliases: dedupe(entity.weakAliases),
    birthDates: dedupe(entity.birthDates).slice(0, limits.birthDatesPerEntityMax),
    countries: dedupe(entity.countries).slice(0, limits.countriesPerEntityMax),
    datasets: dedupe(entity.datasets),
  };
}

const dedupe = (values: readonly string[]) => [...new Set(values)];

const CSV_COLUMNS: Readonly<Record<string, keyof WatchListEntity | 'list'>> = {
  id: 'id', name: 'names', full_name: 'names', aliases: 'aliases', alias: 'aliases', weak_aliases: 'weakAliases',
  country: 'countries', countries: 'countries', nationality: 'countries', citizenship: 'countries',
  birth_date: 'birthDates', date_of_birth: 'birthDates', dob: 'birthDates', birth_dates: 'birthDates',
  list: 'list', program: 'list', dataset: 'list', datasets: 'list', schema: 'schema', type: 'schema',
};

const CSV_SCHEMATA: Readonly<Record<string, string>> = {
  person: 'Person', individual: 'Person', organization: 'Organization', organisation: 'Organization', company: 'Company',
  entity: 'LegalEntity', legalentity: 'LegalEntity', vessel: 'Vessel', airplane: 'Airplane', aircraft: 'Airplane',
};

function readCsvList(content: string, collector: Collector): ImportProblem | undefined {
  let columns: (keyof WatchListEntity | 'list' | undefined)[] | undefined;
  for (const record of readCsv(content)) {
    if ('error' in record) {
      // No cell length limit is passed to the reader (names are checked for length as names), so a fault is a quote's.
      const refused = collect(collector, record.line, { code: record.code as Exclude<CsvFaultCode, 'cell_too_long'>, malformed: record.error });
      if (refused) return refused;
      continue;
    }
    if (!columns) {
      columns = record.cells.map((cell) => CSV_COLUMNS[cell.trim().toLowerCase()]);
      if (!columns.includes('names')) return { code: 'csv_header_missing_name', line: record.line, detail: 'the first line must name the columns, one of them name or full_name' };
      continue;
    }
    if (record.cells.length !== columns.length) {
      const refused = collect(collector, record.line, { code: 'cell_count_mismatch', malformed: `${record.cells.length} cells where the header has ${columns.length}` });
      if (refused) return refused;
      continue;
    }
    const refused = collect(collector, record.line, entityFromCells(columns, record.cells, collector.limits));
    if (refused) return refused;
  }
  return undefined;
}

function entityFromCells(columns: readonly (keyof WatchListEntity | 'list' | undefined)[], cells: readonly string[], limits: ImportLimits): LineOutcome {
  const values = new Map<string, string[]>();
  columns.forEach((column, position) => {
    if (!column) return;
    const cell = (cells[position] ?? '').trim();
    const split = column === 'names' || column === 'id' || column === 'schema' ? [cell] : cell.split(';');
    values.set(column, [...(values.get(column) ?? []), ...split.map((value) => value.trim()).filter((value) => value !== '')]);
  });
  const get = (column: string) => values.get(column) ?? [];
  const names = get('names');
  const schemaWord = (get('schema')[0] ?? '').toLowerCase();
  const id = get('id')[0] ?? derivedId(names, get('birthDates'), get('countries'));
  return checkedEntity({
    id, schema: CSV_SCHEMATA[schemaWord] ?? 'LegalEntity', names, aliases: get('aliases'), weakAliases: get('weakAliases'),
    birthDates: get('birthDates'), countries: get('countries').map((country) => country.toLowerCase()), datasets: get('list'),
  }, limits);
}

/** Rows without an id get one from their content, so that importing the same file twice gives the same ids. */
function derivedId(names: readonly string[], birthDates: readonly string[], countries: readonly string[]): string {
  return `csv-${createHash('sha256').update(JSON.stringify([names, birthDates, countries])).digest('hex').slice(0, 20)}`;
}
