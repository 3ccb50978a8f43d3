export { AUDIT_GENESIS_HASH, AUDITED_METHODS, AUDITED_PERMISSIONS, auditEventHash, type AuditAction, type AuditEvent } from './audit.ts';
export { AUDIT_LIMITS } from './audit.limits.ts';
export { auditMigrations, auditTables } from './audit.migrations.ts';
export { createAuditService, type AuditService, type AuditServiceDeps, type AuditStats } from './audit.service.ts';
export type { AuditQuery } from './audit.repository.ts';
export { auditRoutes, renderAuditEvent } from './audit.routes.ts';
export { registerAuditTrail } from './audit.hook.ts';
