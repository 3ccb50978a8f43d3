import { createHash } from 'node:crypto';

/** The hash the first event of the chain points back to. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/**
 * Permissions whose changing requests are recorded: the control plane. `write` (accounts,
 * transfers, payments, vouchers) is left out on purpose: those requests are many, and each already
 * leaves its own record (journal entries, payment rows, voucher operations).
 */
export const AUDITED_PERMISSIONS: ReadonlySet<string> = new Set(['manage', 'risk', 'admin', 'verify']);
/** Methods that change something; reads are never recorded. */
export const AUDITED_METHODS: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What the HTTP edge knows about one done action. No request or response body: they can hold secrets. */
export interface AuditAction {
  readonly keyId: string;
  readonly keyName: string;
  readonly role: string;
  readonly method: string;
  /** The route's pattern, e.g. `/v1/risk/rulesets/:id/promote`. */
  readonly route: string;
  /** The route's path params, as JSON text (bounded by AUDIT_LIMITS.paramsJsonMaxLength). */
  readonly params: string;
  /** The top-level string `id` of the answer, when it had one. */
  readonly targetId: string | null;
  readonly status: number;
  readonly requestId: string;
}

export interface AuditEvent extends AuditAction {
  readonly seq: bigint;
  readonly id: string;
  readonly atMs: number;
  readonly prevHash: string;
  readonly hash: string;
}

/**
 * SHA-256 over the previous event's hash and this event's fields, as a JSON array in a fixed order
 * (integers as decimal text, so that both databases give back the same bytes). Changing, removing
 * or inserting an event breaks the link to the next one.
 */
export function auditEventHash(prevHash: string, event: Omit<AuditEvent, 'prevHash' | 'hash'>): string {
  const fields = [
    String(event.seq), event.id, String(event.atMs), event.keyId, event.keyName, event.role, event.method,
    event.route, event.params, event.targetId, String(event.status), event.requestId,
  ];
  return createHash('sha256').update(`${prevHash}\n${JSON.stringify(fields)}`).digest('hex');
}
