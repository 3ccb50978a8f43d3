export type { Database, Dialect, Queryable, Row, SqlValue } from './port.ts';
export { DatabaseUnavailableError } from './port.ts';
export { openSqlite, PRIVATE_DIRECTORY_MODE, PRIVATE_FILE_MODE } from './sqlite.ts';
export { openPostgres, isConnectionError, numberPlaceholders } from './postgres.ts';
export { float8Array, int8Array, textArray, uuidArray } from './postgres.arrays.ts';
export { defineBulkInsert, insertMany, type BulkInsert, type ColumnType } from './insert-many.ts';
export { migrate, type Migration } from './migrate.ts';
export { openDatabase } from './open.ts';
export { exportDump, importDump, DumpError, type TableSpec } from './dump.ts';
