import { LIMITS } from '../../kernel/index.ts';

/** Limits of the audit trail, each with the reason for its value. */
export const AUDIT_LIMITS = Object.freeze({
  /** Events per page of GET /v1/audit-events, as for every other list. */
  pageMaxItems: LIMITS.pageMaxItems,
  pageDefaultItems: LIMITS.pageDefaultItems,
  /**
   * The stored JSON of a route's path params. Fastify already cuts every param at 100 characters,
   * and no audited route has more than three; a longer text is stored cut short and marked.
   */
  paramsJsonMaxLength: 1_024,
  /** A target id longer than any id this API hands out is not an id; it is stored cut short. */
  targetIdMaxLength: 200,
  /**
   * An answer sent as text rather than an object is read for its top-level id only up to this size;
   * a longer one is recorded without a target rather than parsed on the request's path.
   */
  targetScanMaxBytes: 64 * 1024,
  /** The route prefix a listing filters on: longer than any route. */
  routeFilterMaxLength: 200,
  /** Events read per query when verifying the chain, so that a long trail is checked in bounded memory. */
  verifyPageRows: 1_000,
});
