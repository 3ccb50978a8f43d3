import { assert } from '../kernel/index.ts';
import { float8Array, int8Array, textArray } from './postgres.arrays.ts';
import type { Queryable, SqlValue } from './port.ts';

/**
 * Many rows into one table at once, the way each dialect takes them best. Written for the tables
 * that take a row for every transfer risk control sees (the decision log, the feature events, the
 * graph's edges), whose rows arrive in batches of any size.
 *
 * SQLite: multi-row `INSERT … VALUES` statements of a few fixed sizes, largest first, so that only
 * a handful of statement texts is ever prepared however the batch sizes vary. Preparing one of 500
 * rows costs about 2 ms of CPU, more than writing its rows.
 *
 * PostgreSQL: `INSERT … SELECT unnest(?::text[]), unnest(?::bigint[]), …`, each column one array
 * parameter in PostgreSQL's binary format (postgres.arrays.ts). The statement text is the same for
 * every batch size, so the connection prepares it once (postgres.statements.ts) and a batch is one
 * statement. The multi-row VALUES form cut a batch into up to a dozen statements of up to 6,000
 * text parameters, every one of them formatted by the driver and parsed back by the server. The
 * arrays are unnested in the select list, where PostgreSQL steps through them together, rather than
 * by `FROM UNNEST(a, b, …)`, which gathers each array into a store of its own first: that cost about
 * 100 µs of server CPU a statement, more than 16 rows take to write (`npm run bench -- bulk-insert`).
 */
export type ColumnType = 'text' | 'int8' | 'float8';

export interface BulkInsert {
  readonly table: string;
  readonly columns: readonly string[];
  readonly types: readonly ColumnType[];
  /** SQLite: the statement for each of SQLITE_ROWS_PER_STATEMENT, by its number of rows. */
  readonly sqlite: ReadonlyMap<number, string>;
  /** PostgreSQL: one statement for any number of rows. */
  readonly postgres: string;
}

/** Rows per SQLite statement, largest first; a batch is cut into statements of these sizes only. */
const SQLITE_ROWS_PER_STATEMENT: readonly number[] = [500, 100, 20, 5, 1];
/** SQLite's default cap on the parameters of one statement (SQLITE_MAX_VARIABLE_NUMBER). */
const SQLITE_MAX_PARAMETERS = 32_766;
/**
 * Rows per PostgreSQL statement. The arrays could hold far more (a parameter may be up to 1 GB);
 * the bound keeps one statement's memory, on both ends, in proportion to the batches this code makes.
 */
export const POSTGRES_ROWS_PER_STATEMENT = 10_000;

const CAST: Record<ColumnType, string> = { text: 'text', int8: 'bigint', float8: 'float8' };

/**
 * Declares a bulk insert: `columns` pairs each column with its type on PostgreSQL. `skipConflicts`
 * skips rows that clash with a stored one: on any unique constraint ('any'), or only on the unique
 * index of the named columns, so that a clash on any other one still fails the statement. A row that
 * breaks NOT NULL or CHECK always fails it (SQLite's INSERT OR IGNORE would have dropped it).
 */
export function defineBulkInsert(table: string, columns: readonly (readonly [name: string, type: ColumnType])[], skipConflicts?: 'any' | readonly string[]): BulkInsert {
  assert(columns.length > 0, `a bulk insert into ${table} needs columns`);
  assert(columns.length * SQLITE_ROWS_PER_STATEMENT[0]! <= SQLITE_MAX_PARAMETERS, `a bulk insert into ${table} has too many columns for SQLite's statements`);
  const names = columns.map(([name]) => name);
  const list = names.join(', ');
  const conflict = skipConflicts === undefined ? '' : skipConflicts === 'any' ? ' ON CONFLICT DO NOTHING' : ` ON CONFLICT (${skipConflicts.join(', ')}) DO NOTHING`;
  const tuple = `(${names.map(() => '?').join(', ')})`;
  const sqlite = new Map(SQLITE_ROWS_PER_STATEMENT.map((rows) => [rows, `INSERT INTO ${table} (${list}) VALUES ${new Array(rows).fill(tuple).join(', ')}${conflict}`]));
  const arrays = columns.map(([, type]) => `unnest(?::${CAST[type]}[])`).join(', ');
  return { table, columns: names, types: columns.map(([, type]) => type), sqlite, postgres: `INSERT INTO ${table} (${list}) SELECT ${arrays}${conflict}` };
}

/** Inserts the rows, each with a value for every column in the declared order, in the caller's transaction. */
export async function insertMany(q: Queryable, insert: BulkInsert, rows: readonly (readonly SqlValue[])[]): Promise<void> {
  if (rows.length === 0) return;
  const width = insert.columns.length;
  for (const row of rows) assert(row.length === width, `a row for ${insert.table} has ${row.length} values for ${width} columns`);
  if (q.dialect === 'postgres') {
    for (let start = 0; start < rows.length; start += POSTGRES_ROWS_PER_STATEMENT) {
      const end = Math.min(rows.length, start + POSTGRES_ROWS_PER_STATEMENT);
      await q.run(insert.postgres, insert.types.map((type, column) => columnArray(type, rows, column, start, end)));
    }
    return;
  }
  let start = 0;
  for (const size of SQLITE_ROWS_PER_STATEMENT) {
    while (rows.length - start >= size) {
      const params: SqlValue[] = [];
      for (let index = start; index < start + size; index++) for (const value of rows[index]!) params.push(value);
      await q.run(insert.sqlite.get(size)!, params);
      start += size;
    }
  }
}

/**
 * One column of rows [start, end) as an array parameter: binary where every value can be encoded
 * exactly, else the plain array, which the driver sends as a text literal for the server to read
 * (or refuse) as it would any other.
 */
function columnArray(type: ColumnType, rows: readonly (readonly SqlValue[])[], column: number, start: number, end: number): SqlValue {
  const values: SqlValue[] = new Array(end - start);
  for (let index = start; index < end; index++) values[index - start] = rows[index]![column]!;
  const binary =
    type === 'text' ? (values.every(isTextOrNull) ? textArray(values as (string | null)[]) : undefined)
    : type === 'int8' ? (values.every(isIntegerOrNull) ? int8Array(values as (bigint | number | null)[]) : undefined)
    : values.every(isNumberOrNull) ? float8Array(values as (number | null)[]) : undefined;
  return binary ?? (values as unknown as SqlValue);
}

const isTextOrNull = (value: SqlValue): boolean => value === null || typeof value === 'string';
const isIntegerOrNull = (value: SqlValue): boolean => value === null || typeof value === 'bigint' || typeof value === 'number';
const isNumberOrNull = (value: SqlValue): boolean => value === null || typeof value === 'number';
