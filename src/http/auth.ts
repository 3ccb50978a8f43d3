import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createBoundedCache, LIMITS } from '../kernel/index.ts';
import { allows, type ApiKey, type AuthService, type Permission } from '../modules/auth/index.ts';
import { ProblemError } from './problem.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: ApiKey | null;
  }
  interface FastifyInstance {
    /** Drops a revoked key from this process's cache, so that revocation takes effect at once. */
    forgetApiKey(id: string): void;
  }
  interface FastifyContextConfig {
    /** The permission a route needs; routes without one are public (health, metrics, docs). */
    permission?: Permission;
    /** False for a POST that only checks and changes nothing: the audit trail leaves it out. */
    audit?: boolean;
  }
}

/** Keys seen recently, so that a busy client costs one hash per request and no database lookup. */
const CACHE_MAX_ENTRIES = 1024;
const CACHE_TTL_MS = 5_000;
/** Client addresses whose failed key attempts are counted; the oldest are forgotten first. */
const FAILURE_ADDRESSES_MAX = 16_384;

export function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  // The scheme's name is case-insensitive (RFC 9110, section 11.1): "bearer sk_…" is the same.
  if (typeof header === 'string' && header.slice(0, 7).toLowerCase() === 'bearer ') return header.slice(7).trim();
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey.trim() : undefined;
}

export function registerAuth(app: FastifyInstance, auth: AuthService): void {
  // A key forgotten here is authenticated again.
  const cache = createBoundedCache<string, { key: ApiKey; until: number }>(CACHE_MAX_ENTRIES);
  // The rate limit runs after authentication, keyed by the key, so refused keys never reach it; they
  // are counted here per address instead, or anyone could try keys (and load the database) without end.
  const failures = createBoundedCache<string, { count: number; until: number }>(FAILURE_ADDRESSES_MAX);
  app.decorateRequest('principal', null);
  // Other processes sharing the database still honour a revoked key until their entry expires
  // (CACHE_TTL_MS); the process that revoked it must not.
  // Counts revocations, so that a lookup that began before one does not cache a key it may have revoked.
  let revocations = 0;
  app.decorate('forgetApiKey', (id: string) => {
    revocations += 1;
    for (const [text, entry] of cache.entries()) if (entry.key.id === id) cache.delete(text);
  });
  app.addHook('onRequest', async (request) => {
    const permission = request.routeOptions.config?.permission;
    if (!permission) return;
    const text = presentedKey(request);
    if (!text) throw new ProblemError(401, 'unauthenticated', 'send an API key as "Authorization: Bearer <key>"', [{ pointer: '/headers/authorization', code: 'missing', detail: 'is required' }]);
    const now = Date.now();
    let key = cache.get(text);
    if (!key || key.until < now) {
      let failed = failures.get(request.ip);
      if (failed && failed.until < now) failed = undefined;
      // A stale entry is a key this process accepted before: it is looked up again (a revocation
      // elsewhere still takes effect) even from a throttled address, so keys in steady use keep working.
      if (!key && failed && failed.count >= LIMITS.authFailuresMaxPerWindow) {
        throw new ProblemError(429, 'rate_limited', `more than ${LIMITS.authFailuresMaxPerWindow} invalid API keys from this address in ${LIMITS.rateLimitWindowMs / 1000} seconds; slow down`);
      }
      const revocationsBefore = revocations;
      const found = await auth.authenticate(text);
      if (!found) {
        cache.delete(text);
        failures.set(request.ip, { count: (failed?.count ?? 0) + 1, until: failed?.until ?? now + LIMITS.rateLimitWindowMs });
        throw new ProblemError(401, 'unauthenticated', 'the API key is not valid or was revoked', [{ pointer: '/headers/authorization', code: 'invalid', detail: 'is not a valid API key' }]);
      }
      key = { key: found, until: now + CACHE_TTL_MS };
      if (revocations === revocationsBefore) cache.set(text, key);
    }
    // The request's later log lines (its completion, a refusal, an error) name the key that made it,
    // so an operator can tell from the logs which key did what. Its id only: the id is shown in key
    // listings and is no use without the key's text. Bound to the request's own logger, as the
    // trace ids are (tracing.ts), which costs less than a child logger.
    (request.log as { setBindings?: (bindings: Record<string, string>) => void }).setBindings?.({ key_id: key.key.id });
    if (!allows(key.key.role, permission)) throw new ProblemError(403, 'forbidden', `the ${key.key.role} role may not ${permission}`);
    request.principal = key.key;
  });
}

/**
 * The API key ids a request may see on records (who submitted a payment or a transfer, whose request
 * changed a status): staff keys, which oversee every party, every one; a participant key only its
 * own, so that it learns no other key's id (docs/security.md, "Which key did what").
 */
export function visibleKeyIds(request: FastifyRequest): (keyId: string | null) => string | null {
  const principal = request.principal;
  if (!principal) return () => null;
  if (allows(principal.role, 'oversee')) return (keyId) => keyId;
  return (keyId) => (keyId === principal.id ? keyId : null);
}

/** A participant acts only for its own parties; everyone else is unrestricted (null). */
export function partyScope(request: FastifyRequest): readonly string[] | null {
  return request.principal?.role === 'participant' ? request.principal.partyIds : null;
}
