import type { MessageKey } from '../../i18n/en-US.ts';

/** One event of the audit trail, as GET /v1/audit-events answers it. */
export interface AuditEvent {
  readonly id: string;
  readonly seq: string;
  readonly at: string;
  readonly key_id: string;
  readonly key_name: string;
  readonly role: string;
  readonly method: string;
  /** The route pattern, as `/v1/risk/rulesets/:id/promote`. */
  readonly route: string;
  /** The route's path params; an event stored with unreadable params has `{ unreadable: text }`. */
  readonly params: Readonly<Record<string, unknown>> | null;
  readonly target_id: string | null;
  readonly status: number;
  readonly request_id: string | null;
  readonly prev_hash: string;
  readonly hash: string;
}

/** The server's bounds on the filters (src/modules/audit: the query schema and AUDIT_LIMITS.routeFilterMaxLength). */
export const KEY_ID_PATTERN = /^[0-9a-f]{16}$/;
export const ROUTE_PREFIX_PATTERN = /^\//;
export const ROUTE_PREFIX_MAX_LENGTH = 200;

/**
 * Short names of the common actions, by method and route pattern. The console shows the name beside
 * the method and pattern, never instead of them: auditors quote the exact route. An action without
 * a name here (a route added later) shows its method and pattern alone.
 */
export const ACTION_NAMES: Readonly<Record<string, MessageKey>> = {
  'POST /v1/api-keys': 'audit.actionName.createKey',
  'DELETE /v1/api-keys/:id': 'audit.actionName.revokeKey',
  'POST /v1/risk/rulesets': 'audit.actionName.createRuleset',
  'PUT /v1/risk/rulesets/:id': 'audit.actionName.editRuleset',
  'POST /v1/risk/rulesets/:id/backtest': 'audit.actionName.backtestRuleset',
  'POST /v1/risk/rulesets/:id/promote': 'audit.actionName.promoteRuleset',
  'PUT /v1/risk/settings': 'audit.actionName.riskSettings',
  'POST /v1/risk/lists/entries': 'audit.actionName.addListEntry',
  'DELETE /v1/risk/lists/entries/:id': 'audit.actionName.removeListEntry',
  'POST /v1/risk/lists/import': 'audit.actionName.importList',
  'POST /v1/risk/screening/lists': 'audit.actionName.addWatchList',
  'DELETE /v1/risk/screening/lists/:name': 'audit.actionName.removeWatchList',
  'POST /v1/risk/cases': 'audit.actionName.openCase',
  'POST /v1/risk/cases/:id/transition': 'audit.actionName.moveCase',
  'POST /v1/risk/cases/:id/assign': 'audit.actionName.assignCase',
  'POST /v1/risk/cases/:id/notes': 'audit.actionName.noteCase',
  'POST /v1/risk/cases/:id/links': 'audit.actionName.linkToCase',
  'POST /v1/risk/holds/:id/release': 'audit.actionName.releaseHold',
  'POST /v1/risk/holds/:id/reject': 'audit.actionName.rejectHold',
  'POST /v1/payments/webhooks': 'audit.actionName.addWebhook',
  'DELETE /v1/payments/webhooks/:id': 'audit.actionName.removeWebhook',
  'POST /v1/payments/participants': 'audit.actionName.addParticipant',
  'POST /v1/fx/rates': 'audit.actionName.setFxRate',
  'PUT /v1/fx/rates/:base/:quote': 'audit.actionName.setFxRate',
  'POST /v1/ledgers': 'audit.actionName.createLedger',
  'POST /v1/parties': 'audit.actionName.createParty',
  'POST /v1/accounts/:id/close': 'audit.actionName.closeAccount',
  'POST /v1/accounts/:id/reopen': 'audit.actionName.reopenAccount',
  'POST /v1/scf/programs': 'audit.actionName.createProgram',
  'POST /v1/journal/keys/rotate': 'audit.actionName.rotateKey',
  'POST /v1/journal/checkpoints': 'audit.actionName.signCheckpoint',
  'POST /v1/journal/verify-jobs': 'audit.actionName.verifyJournal',
};

/** The message naming an event's action, or undefined for an action without a short name. */
export function actionNameKey(event: Pick<AuditEvent, 'method' | 'route'>): MessageKey | undefined {
  return ACTION_NAMES[`${event.method} ${event.route}`];
}

/** An event's path params as `name=value` pairs, in the order the server gave them. */
export function paramPairs(params: AuditEvent['params']): readonly string[] {
  if (!params || typeof params !== 'object') return [];
  return Object.entries(params).map(([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
}
