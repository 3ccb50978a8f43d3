import { createReadStream, createWriteStream } from 'node:fs';
import { PRIVATE_FILE_MODE } from './sqlite.ts';
import { once } from 'node:events';
import { boundedLines, type BoundedLine } from '../kernel/index.ts';
import type { Database, Dialect, SqlValue } from './port.ts';

/**
 * A portable dump: JSON Lines, one header line and then one line per row, table by table in the
 * order given. Integers travel as decimal strings (they may exceed 2^53), so a dump moves between
 * SQLite and PostgreSQL unchanged. Import requires an empty, migrated database.
 */
export interface TableSpec {
  readonly name: string;
  /** Column order; also the sort key for a stable dump. */
  readonly columns: readonly string[];
  readonly orderBy: string;
  /** Rows a fresh installation already holds (singleton rows): replaced rather than added. */
  readonly replaceOnImport?: boolean;
  /**
   * The last columns of `columns`, added by a later migration, that dumps of earlier versions lack.
   * Such a dump still imports: its rows leave these columns NULL, so each must mean something when
   * NULL. Dumps of this version carry them like any other column.
   */
  readonly addedColumns?: readonly string[];
  /**
   * An index kept as a table, whose rows follow from other tables' (listed before it): it is not
   * written to a dump, and an import fills it by this statement once every dumped row is in, in the
   * same transaction, so that a dump written before the table existed imports complete.
   */
  readonly derived?: Readonly<Record<Dialect, string>>;
}

/**
 * The columns a dump's table may list: this version's, or an earlier version's without some of the
 * columns added since (always the last ones, in the order they were added). Undefined if neither.
 */
function importedColumns(spec: TableSpec, listed: readonly string[]): readonly string[] | undefined {
  const added = spec.addedColumns ?? [];
  const original = spec.columns.length - added.length;
  for (let kept = added.length; kept >= 0; kept -= 1) {
    const columns = spec.columns.slice(0, original + kept);
    if (columns.join(',') === listed.join(',')) return columns;
  }
  return undefined;
}

export const DUMP_FORMAT = 'sluice-dump';
/**
 * The longest line an import reads: one row, whose largest values (a payment with its messages, a
 * ruleset's definition, a screening list's entry) run to kilobytes, a few megabytes at most. A
 * longer line is no row this version wrote; it is refused by its number without being held whole.
 */
export const DUMP_LINE_MAX_BYTES = 64 * 1024 * 1024;
export const DUMP_VERSION = 1;
/** Rows per export page and per import statement batch. */
const PAGE_ROWS = 1000;

type Header = { format: string; version: number; source: string; tables: { name: string; columns: string[] }[] };

export async function exportDump(db: Database, tables: readonly TableSpec[], file: string): Promise<Record<string, number>> {
  // A dump is the whole installation: only its owner may read a new one.
  const out = createWriteStream(file, { encoding: 'utf8', mode: PRIVATE_FILE_MODE });
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await once(out, 'drain');
  };
  const dumped = tables.filter((table) => !table.derived);
  const header: Header = { format: DUMP_FORMAT, version: DUMP_VERSION, source: db.dialect, tables: dumped.map((t) => ({ name: t.name, columns: [...t.columns] })) };
  await write(JSON.stringify(header));
  const counts: Record<string, number> = {};
  // One snapshot, so that the dump is consistent while the server keeps writing (and is not blocked).
  await db.snapshot(async (tx) => {
    for (const table of dumped) {
      counts[table.name] = 0;
      for (let offset = 0; ; offset += PAGE_ROWS) {
        const rows = await tx.all(`SELECT ${table.columns.join(', ')} FROM ${table.name} ORDER BY ${table.orderBy} LIMIT ? OFFSET ?`, [PAGE_ROWS, offset]);
        for (const row of rows) {
          const values = table.columns.map((column) => {
            const value = row[column];
            return typeof value === 'bigint' ? String(value) : value === undefined ? null : value;
          });
          await write(JSON.stringify({ t: table.name, r: values }));
        }
        counts[table.name] = (counts[table.name] ?? 0) + rows.length;
        if (rows.length < PAGE_ROWS) break;
      }
    }
  });
  out.end();
  await once(out, 'finish');
  return counts;
}

export class DumpError extends Error {
  override readonly name = 'DumpError';
}

/** A line of the dump as JSON, or a DumpError that names the line: a dump may be cut short or edited by hand. */
function parseLine(text: string, lineNumber: number): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new DumpError(`line ${lineNumber} is not JSON (${(error as Error).message}); the dump is damaged or cut short`);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** What an exported value can be: a decimal string for an integer, text, a double, or null. */
const isDumpValue = (value: unknown): value is SqlValue => value === null || typeof value === 'string' || typeof value === 'number';

function parseHeader(text: string): Header {
  const header = parseLine(text, 1);
  if (!isRecord(header) || header.format !== DUMP_FORMAT || header.version !== DUMP_VERSION) throw new DumpError(`not a ${DUMP_FORMAT} version ${DUMP_VERSION} file`);
  const tables = header.tables;
  const wellFormed = Array.isArray(tables) && tables.every((table) => isRecord(table) && typeof table.name === 'string' && Array.isArray(table.columns) && table.columns.every((column) => typeof column === 'string'));
  if (!wellFormed) throw new DumpError('line 1: the header does not list the tables as names with their columns');
  return header as unknown as Header;
}

export async function importDump(
  db: Database, tables: readonly TableSpec[], file: string, isEmpty: () => Promise<boolean>, options: { readonly maxLineBytes?: number } = {},
): Promise<Record<string, number>> {
  if (!(await isEmpty())) throw new DumpError('the target database already has a journal (ledger data, or recorded control-plane actions); import only into a new installation');
  const maxLineBytes = options.maxLineBytes ?? DUMP_LINE_MAX_BYTES;
  const lines = boundedLines(createReadStream(file), maxLineBytes);
  const textOf = (line: BoundedLine): string => {
    if (line.text === null) throw new DumpError(`line ${line.number} is longer than ${maxLineBytes} bytes, more than any row this version writes; the dump is damaged`);
    return line.text;
  };
  const first = await lines.next();
  if (first.done) throw new DumpError('the dump is empty');
  const header = parseHeader(textOf(first.value));
  const specs = new Map(tables.filter((table) => !table.derived).map((table) => [table.name, table]));
  for (const table of header.tables) {
    const spec = specs.get(table.name);
    const columns = spec && importedColumns(spec, table.columns);
    if (!spec || !columns) throw new DumpError(`table ${table.name} in the dump does not match this version's schema`);
    // Rows are read and inserted with the columns the dump has; added columns it lacks stay NULL.
    specs.set(table.name, { ...spec, columns });
  }
  const counts: Record<string, number> = {};
  await db.transaction(async (tx) => {
    for (const spec of tables) if (spec.replaceOnImport) await tx.run(`DELETE FROM ${spec.name}`);
    let pending: { table: TableSpec; rows: SqlValue[][] } | undefined;
    const flush = async () => {
      if (!pending || pending.rows.length === 0) return;
      const { table, rows } = pending;
      const tuple = `(${table.columns.map(() => '?').join(', ')})`;
      await tx.run(`INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${rows.map(() => tuple).join(', ')}`, rows.flat());
      counts[table.name] = (counts[table.name] ?? 0) + rows.length;
      pending.rows = [];
    };
    for await (const next of lines) {
      const lineNumber = next.number;
      const text = textOf(next);
      if (text.trim() === '') continue;
      const line = parseLine(text, lineNumber);
      const t = isRecord(line) ? line.t : undefined;
      const r = isRecord(line) ? line.r : undefined;
      const table = typeof t === 'string' ? specs.get(t) : undefined;
      if (!table) throw new DumpError(`line ${lineNumber} names no table of this version (${JSON.stringify(t) ?? 'nothing'})`);
      if (!Array.isArray(r) || r.length !== table.columns.length || !r.every(isDumpValue)) {
        throw new DumpError(`line ${lineNumber}: a row of ${table.name} does not fit its table (${table.columns.length} values, each text, a number or null)`);
      }
      if (pending?.table !== table) {
        await flush();
        pending = { table, rows: [] };
      }
      pending.rows.push(r);
      // Bounded statements: SQLite allows 32,766 parameters per statement, PostgreSQL 65,535.
      if (pending.rows.length * table.columns.length >= 30_000 || pending.rows.length >= PAGE_ROWS) await flush();
    }
    await flush();
    for (const table of tables) {
      if (!table.derived) continue;
      await tx.run(`DELETE FROM ${table.name}`);
      await tx.run(table.derived[tx.dialect]);
    }
  });
  return counts;
}
