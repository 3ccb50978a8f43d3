import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { isoToNs, NANOSECONDS_PER_MILLISECOND } from '../../kernel/index.ts';
import { decodeBigintCursor, page } from '../../http/pagination.ts';
import { fieldProblem } from '../../http/problem.ts';
import { AUDIT_LIMITS } from './audit.limits.ts';
import type { AuditEvent } from './audit.ts';
import type { AuditService } from './audit.service.ts';

type App = FastifyInstance<any, any, any, any, TypeBoxTypeProvider>;

/** Only what the hook recorded; the params are the JSON text it stored, given back as an object. */
export const renderAuditEvent = (event: AuditEvent) => ({
  id: event.id, seq: String(event.seq), at: new Date(event.atMs).toISOString(), key_id: event.keyId, key_name: event.keyName, role: event.role,
  method: event.method, route: event.route, params: parseParams(event.params), target_id: event.targetId, status: event.status,
  request_id: event.requestId, prev_hash: event.prevHash, hash: event.hash,
});

function parseParams(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    // Only an edited row holds text that is not JSON; verification reports it.
    return { unreadable: text };
  }
}

const Query = Type.Object({
  key_id: Type.Optional(Type.String({ pattern: '^[0-9a-f]{16}$', description: 'Only events of this API key (its id, as key listings show it).' })),
  route: Type.Optional(Type.String({ minLength: 1, maxLength: AUDIT_LIMITS.routeFilterMaxLength, pattern: '^/', description: 'Only events whose route pattern starts with this, e.g. /v1/risk/rulesets.' })),
  since: Type.Optional(Type.String({ maxLength: 40, description: 'Only events at or after this ISO 8601 instant.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: AUDIT_LIMITS.pageMaxItems, default: AUDIT_LIMITS.pageDefaultItems, description: `Events per page, at most ${AUDIT_LIMITS.pageMaxItems}.` })),
  cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The next_cursor of the previous page.' })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc', description: 'desc (newest first, the default) or asc.' })),
}, { additionalProperties: false });

export function auditRoutes(audit: AuditService) {
  return async function register(app: App) {
    app.get('/audit-events', {
      config: { permission: 'verify' },
      schema: { tags: ['access'], summary: 'The audit trail: which API key did which control-plane action, newest first', querystring: Query },
    }, async (request) => {
      const { key_id: keyId, route, since, cursor } = request.query;
      const limit = request.query.limit ?? AUDIT_LIMITS.pageDefaultItems;
      const order = request.query.order ?? 'desc';
      let sinceMs: number | undefined;
      if (since !== undefined) {
        const ns = isoToNs(since);
        if (ns === undefined) throw fieldProblem(400, 'invalid_instant', '/query/since', `'${since}' is not an ISO 8601 instant`);
        sinceMs = Number(ns / NANOSECONDS_PER_MILLISECOND);
      }
      const events = await audit.list({ keyId, routePrefix: route, sinceMs, afterSeq: decodeBigintCursor(cursor), order, limit });
      return page(events, limit, (event) => event.seq, renderAuditEvent);
    });
  };
}
