export { createRiskService, alertScoreOf, type RiskService, type RiskServiceDeps, type RiskStats, type SettingsInput } from './risk.service.ts';
export { riskMigrations, riskTables } from './risk.migrations.ts';
export { RISK_LIMITS } from './risk.limits.ts';
export { RISK_ERROR_STATUS, type RiskError } from './risk.errors.ts';
export { RiskOverloadedError, RiskStoppedError } from './risk.log.ts';
export { NO_RULES, NO_FEATURES, NO_LISTS } from './risk.null.ts';
export type { HoldResolver, ResolveOutcome, Holds } from './risk.holds.ts';
export type { PriorDecision, HoldFilter, OpenHolds } from './risk.repository.ts';
export type { DecisionFilter } from './risk.decisions.ts';
export {
  DEFAULT_SETTINGS, FAIL_MODES, DECISION_SOURCES, HOLD_KINDS, HOLD_STATUSES, GUARDING_STATUSES, combine, coverageOf, stricter,
  type Decision, type DecisionSource, type FailMode, type Hold, type HoldItem, type HoldKind, type HoldStatus, type RiskSettings, type ShadowResult,
} from './risk.ts';
export { riskRoutes } from './risk.routes.ts';
