import { LISTS_LIMITS } from './lists.limits.ts';

/**
 * CSV of list entries (RFC 4180: commas, double quotes around fields that hold them, "" for a quote).
 * The first line names the columns: list, kind, value and reason are required, expires_at (an ISO
 * 8601 instant, or empty) is optional, in any order. Blank lines are skipped.
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

export type CsvResult = { ok: true; entries: CsvEntry[] } | { ok: false; line: number; detail: string; tooLarge?: boolean };

const REQUIRED = ['list', 'kind', 'value', 'reason'] as const;
const KNOWN = new Set<string>([...REQUIRED, 'expires_at']);
/** A field longer than any value or reason allowed is not worth reading on. */
const FIELD_MAX_LENGTH = 1024;

/** Splits CSV text into records of fields, with the line each record starts on. */
function records(text: string, maxRecords: number): { fields: string[]; line: number }[] | { line: number; detail: string; tooLarge?: boolean } {
  const out: { fields: string[]; line: number }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const endField = () => {
    fields.push(field);
    field = '';
  };
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string;
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        if (char === '\n') line += 1;
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      endField();
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index += 1;
      endField();
      if (fields.length > 1 || fields[0] !== '') out.push({ fields, line: start });
      // The refusal names the line the record past the limit starts on, not the line after it.
      if (out.length > maxRecords) return { line: start, detail: `more than ${maxRecords - 1} entries in one import`, tooLarge: true };
      fields = [];
      line += 1;
      start = line;
    } else {
      field += char;
    }
    if (field.length > FIELD_MAX_LENGTH) return { line, detail: `a field longer than ${FIELD_MAX_LENGTH} characters` };
  }
  if (quoted) return { line, detail: 'a quoted field is not closed' };
  endField();
  if (fields.length > 1 || fields[0] !== '') out.push({ fields, line: start });
  if (out.length > maxRecords) return { line: start, detail: `more than ${maxRecords - 1} entries in one import`, tooLarge: true };
  return out;
}

export function parseListCsv(text: string): CsvResult {
  if (Buffer.byteLength(text, 'utf8') > LISTS_LIMITS.importMaxBytes) return { ok: false, line: 0, detail: `the CSV is larger than ${LISTS_LIMITS.importMaxBytes} bytes`, tooLarge: true };
  const parsed = records(text, LISTS_LIMITS.importEntriesMax + 1);
  if (!Array.isArray(parsed)) return { ok: false, ...parsed };
  const [header, ...rows] = parsed;
  if (!header) return { ok: false, line: 1, detail: 'the CSV is empty: the first line names the columns list,kind,value,reason[,expires_at]' };
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  const unknown = columns.find((name) => !KNOWN.has(name));
  if (unknown !== undefined) return { ok: false, line: 1, detail: `unknown column '${unknown}'; columns are list, kind, value, reason and expires_at` };
  const missing = REQUIRED.find((name) => !columns.includes(name));
  if (missing) return { ok: false, line: 1, detail: `column '${missing}' is missing` };
  if (new Set(columns).size !== columns.length) return { ok: false, line: 1, detail: 'a column is named twice' };
  const entries: CsvEntry[] = [];
  for (const row of rows) {
    if (row.fields.length !== columns.length) return { ok: false, line: row.line, detail: `${row.fields.length} fields where the header names ${columns.length}` };
    const get = (name: string) => (row.fields[columns.indexOf(name)] ?? '').trim();
    entries.push({ line: row.line, list: get('list'), kind: get('kind'), value: get('value'), reason: get('reason'), expiresAt: columns.includes('expires_at') ? get('expires_at') : '' });
  }
  return { ok: true, entries };
}
