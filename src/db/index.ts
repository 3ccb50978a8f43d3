export type { Database, Dialect, Queryable, Row, SqlValue } from './port.ts';
export { DatabaseUnavailableError } from './port.ts';
export { openSqlite } from './sqlite.ts';
export { openPostgres, isConnectionError, numberPlaceholders } from './postgres.ts';
export { int8Array, textArray, uuidArray } from './postgres.arrays.ts';
export { migrate, type Migration } from './migrate.ts';
export { openDatabase } from './open.ts';
export { exportDump, importDump, DumpError, type TableSpec } from './dump.ts';
