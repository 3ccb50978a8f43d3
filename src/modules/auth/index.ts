export { createAuthService, isWellFormedKey, type AuthService } from './auth.service.ts';
export { authMigrations, authTables } from './auth.migrations.ts';
export { ROLES, PERMISSIONS, allows, apiKeyNameProblem, type ApiKey, type Permission, type Role } from './auth.ts';
