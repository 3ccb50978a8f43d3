import { readCsv, type CsvFaultCode } from '../../kernel/index.ts';
import type { ListImportLineCode } from './lists.errors.ts';
import { LISTS_LIMITS } from './lists.limits.ts';

/**
 * CSV of list entries (RFC 4180: commas, double quotes around fields that hold them, "" for a quote).
 * The first line names the columns: list, kind, value and reason are required, expires_at (an ISO
 * 8601 instant, or empty) is optional, in any order. Blank lines are skipped. A quote inside an
 * unquoted field is kept as a character, as it always was here.
 *
 * A line that cannot be read as fields of the header's columns is a fault of its own, and reading
 * goes on at the next line, so that one refusal names every bad line of a file.
 */
export interface CsvEntry {
  /** Line of the file the entry came from, counting the header as line 1. */
  readonly line: number;
  readonly list: string;
  readonly kind: string;
  readonly value: string;
  readonly reason: string;
  readonly expiresAt: string;
}

/** A line of the file that is not fields of the header's columns; `field` names the column at fault, if one is. */
export interface CsvLineFault {
  readonly line: number;
  readonly field?: string;
  readonly code: ListImportLineCode;
  readonly detail: string;
}

/**
 * The entries read and the faulty lines, in the order of the file; or a file too large to read
 * (line 0 for its bytes, else the line of the first entry past the limit). A fault of the header
 * ends the reading: the lines after it cannot be told apart.
 */
export type CsvResult =
  | { readonly ok: true; readonly entries: readonly CsvEntry[]; readonly faults: readonly CsvLineFault[] }
  | { readonly ok: false; readonly line: number; readonly detail: string };

const REQUIRED = ['list', 'kind', 'value', 'reason'] as const;
const KNOWN = new Set<string>([...REQUIRED, 'expires_at']);
/** A field longer than any value or reason allowed is not worth reading on. */
const FIELD_MAX_LENGTH = 1024;
const COLUMNS_SAID = 'list, kind, value, reason and expires_at';

function headerFault(columns: readonly string[], line: number): CsvLineFault | undefined {
  const unknown = columns.find((name) => !KNOWN.has(name));
  if (unknown !== undefined) return { line, field: unknown, code: 'unknown_column', detail: `unknown column '${unknown}'; columns are ${COLUMNS_SAID}` };
  const missing = REQUIRED.find((name) => !columns.includes(name));
  if (missing) return { line, field: missing, code: 'missing_column', detail: `column '${missing}' is missing` };
  const twice = columns.find((name, position) => columns.indexOf(name) !== position);
  if (twice !== undefined) return { line, field: twice, code: 'duplicate_column', detail: `column '${twice}' is named twice` };
  return undefined;
}

export function parseListCsv(text: string): CsvResult {
  if (Buffer.byteLength(text, 'utf8') > LISTS_LIMITS.importMaxBytes) return { ok: false, line: 0, detail: `the CSV is larger than ${LISTS_LIMITS.importMaxBytes} bytes` };
  let columns: string[] | undefined;
  const entries: CsvEntry[] = [];
  const faults: CsvLineFault[] = [];
  // Every line after the header counts towards the limit, good or bad, so the reading is bounded too.
  let rows = 0;
  for (const record of readCsv(text, { strayQuote: 'keep', cellMaxLength: FIELD_MAX_LENGTH })) {
    if (columns !== undefined && ++rows > LISTS_LIMITS.importEntriesMax) {
      // The refusal names the line the record past the limit starts on, not the line after it.
      return { ok: false, line: record.line, detail: `more than ${LISTS_LIMITS.importEntriesMax} entries in one import` };
    }
    if ('code' in record) {
      const column = record.cell === undefined ? undefined : columns?.[record.cell];
      const detail = record.code === 'cell_too_long' ? `a field longer than ${FIELD_MAX_LENGTH} characters` : record.error;
      // Stray quotes are kept as characters here, so a fault is an unclosed quote or a field too long.
      const code = record.code as Exclude<CsvFaultCode, 'stray_quote'>;
      faults.push({ line: record.line, ...(column === undefined ? {} : { field: column }), code, detail });
      if (columns === undefined) return { ok: true, entries: [], faults };
      continue;
    }
    if (columns === undefined) {
      columns = record.cells.map((name) => name.trim().toLowerCase());
      const fault = headerFault(columns, record.line);
      if (fault) return { ok: true, entries: [], faults: [fault] };
      continue;
    }
    const cells = record.cells;
    if (cells.length !== columns.length) {
      faults.push({ line: record.line, code: 'cell_count_mismatch', detail: `${cells.length} fields where the header names ${columns.length}` });
      continue;
    }
    const get = (name: string) => (cells[(columns as string[]).indexOf(name)] ?? '').trim();
    entries.push({ line: record.line, list: get('list'), kind: get('kind'), value: get('value'), reason: get('reason'), expiresAt: columns.includes('expires_at') ? get('expires_at') : '' });
  }
  if (columns === undefined) return { ok: true, entries: [], faults: [{ line: 1, code: 'header_missing', detail: 'the CSV is empty: the first line names the columns list,kind,value,reason[,expires_at]' }] };
  return { ok: true, entries, faults };
}
