export * from './cases.ts';
export { createCasesService, CasesOverloadedError, type BlockOutcome, type BlockRequest, type CasesService, type CasesServiceDeps, type LinkField, type LinkInput, type LinkOutcome, type LinkRefusal, type ManualCaseInput, type TransitionInput, type TransitionOutcome } from './cases.service.ts';
export { casesMigrations, casesTables } from './cases.migrations.ts';
export { CASES_ERROR_STATUS, type CasesError } from './cases.errors.ts';
export { CASES_LIMITS } from './cases.limits.ts';
export type { CaseQuery } from './cases.repository.ts';
export { buildReport, reportHtml, reportMarkdown, REPORT_FORMAT, REPORT_VERSION, type CaseReport, type ReportContext } from './cases.report.ts';
export { renderAlert, renderAudit, renderCase, renderLinks, renderNote, renderView } from './cases.render.ts';
export { casesRoutes, casesProblem, CASE_GRAPH_DEPTH_MAX, CASE_GRAPH_NODES_MAX, type CaseGraphSource } from './cases.routes.ts';
