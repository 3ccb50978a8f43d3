import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AUDIT_LIMITS } from './audit.limits.ts';
import { AUDITED_METHODS, AUDITED_PERMISSIONS, type AuditAction } from './audit.ts';
import type { AuditService } from './audit.service.ts';

/** The principal the auth hook (src/http/auth.ts) puts on a request, as far as the trail needs it. */
interface Principal {
  readonly id: string;
  readonly name: string;
  readonly role: string;
}

const principalOf = (request: FastifyRequest): Principal | null => (request as unknown as { principal?: Principal | null }).principal ?? null;

/** Whether this request, answered with this status, is a done control-plane action to record. */
function audited(request: FastifyRequest, reply: FastifyReply): boolean {
  // The cheap tests first: most requests are reads, and Fastify builds routeOptions anew at each access.
  if (reply.statusCode < 200 || reply.statusCode >= 300 || !AUDITED_METHODS.has(request.method)) return false;
  const { config, url } = request.routeOptions as { config?: { permission?: string; audit?: boolean }; url?: string };
  // `audit: false` marks a POST that only checks and changes nothing (the rule editor calls one as its user types).
  return config?.audit !== false && config?.permission !== undefined && AUDITED_PERMISSIONS.has(config.permission) && url !== undefined && url.startsWith('/v1/');
}

/** The route's path params as JSON, each value and the whole bounded by AUDIT_LIMITS.paramsJsonMaxLength. */
export function paramsJson(params: unknown): string {
  const entries = typeof params === 'object' && params !== null ? Object.entries(params as Record<string, unknown>) : [];
  const text = JSON.stringify(Object.fromEntries(entries.map(([name, value]) => [name, String(value)])));
  if (text.length <= AUDIT_LIMITS.paramsJsonMaxLength) return text;
  // Cut short as JSON still: the text of the params, marked, within the limit.
  const room = AUDIT_LIMITS.paramsJsonMaxLength - JSON.stringify({ truncated: '' }).length;
  let cut = text.slice(0, room);
  while (JSON.stringify({ truncated: cut }).length > AUDIT_LIMITS.paramsJsonMaxLength) cut = cut.slice(0, -1);
  return JSON.stringify({ truncated: cut });
}

const idOf = (body: unknown): string | null => {
  const id = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as { id?: unknown }).id : undefined;
  return typeof id === 'string' ? id.slice(0, AUDIT_LIMITS.targetIdMaxLength) : null;
};

/** The top-level string `id` of an answer already serialised: read only when small. */
function idOfText(payload: unknown): string | null {
  const text = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload : undefined;
  if (text === undefined || text.length === 0 || text.length > AUDIT_LIMITS.targetScanMaxBytes) return null;
  try {
    return idOf(JSON.parse(text.toString()));
  } catch {
    return null;
  }
}

/**
 * Records every done control-plane action: a 2xx answer to POST, PUT, PATCH or DELETE under /v1 on
 * a route that needs the manage, risk, admin or verify permission. Only who (the key's id, name and
 * role), what (method, route pattern, path params, the answer's top-level id) and the outcome are
 * kept, never a body: bodies carry new API keys and webhook secrets.
 *
 * The event is written before the answer leaves (onSend, awaited), so a client that saw its action
 * done can find it in the trail. If the write fails, the action is done all the same and is
 * answered as done: turning it into an error would invite a retry of something that happened. The
 * failure is logged and counted (sluice_audit_events_total{result="failed"}) for the operator to act on.
 *
 * Call it on the root instance before the routes are registered, so that its hooks see every route;
 * auditRoutes serves the trail.
 */
export function registerAuditTrail(app: FastifyInstance, audit: AuditService): void {
  // Targets taken from answers before they are serialised, so that no answer is parsed back.
  const targets = new WeakMap<FastifyRequest, string>();
  // Callback hooks, not async ones: every request passes through them, the money routes most of
  // all, and an unaudited one should cost a few comparisons, not a promise per hook.
  app.addHook('preSerialization', (request, reply, payload, done) => {
    if (audited(request, reply)) {
      const id = idOf(payload);
      if (id !== null) targets.set(request, id);
    }
    done(null, payload);
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    const principal = audited(request, reply) ? principalOf(request) : null;
    if (!principal) return done(null, payload);
    const action: AuditAction = {
      keyId: principal.id, keyName: principal.name, role: principal.role, method: request.method, route: request.routeOptions.url ?? '',
      params: paramsJson(request.params), targetId: targets.get(request) ?? idOfText(payload), status: reply.statusCode, requestId: request.id,
    };
    audit.append(action).then(
      () => done(null, payload),
      (error: unknown) => {
        request.log.error({ err: error, audit: { method: action.method, route: action.route, status: action.status } }, 'the audit trail could not record a done action');
        done(null, payload);
      },
    );
  });
}
