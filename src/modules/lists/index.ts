export * from './lists.ts';
export { createListsService, type ListsService, type ListsServiceDeps, type ListsResult, type Refusal as ListsRefusal, type ImportResult, type ImportProblem } from './lists.service.ts';
export { listsMigrations, listsTables } from './lists.migrations.ts';
export { listsRoutes, listsProblem, renderEntry, renderAudit } from './lists.routes.ts';
export { LIST_IMPORT_LINE_CODES, LISTS_ERROR_STATUS, type ListImportLineCode, type ListsError } from './lists.errors.ts';
export { LISTS_LIMITS } from './lists.limits.ts';
export { normalizeValue as normalizeListValue, isCountry } from './lists.values.ts';
export { parseIp, parseRange, formatRange, type IpAddress, type IpRange } from './lists.ip.ts';
export type { EntryQuery as ListEntryQuery, AuditQuery as ListAuditQuery } from './lists.repository.ts';
