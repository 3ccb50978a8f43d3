import type { FastifyRequest } from 'fastify';

/**
 * Endpoints that take one item or a batch ({"transfers": [...]}) wrap a single item into a batch of
 * one before validation, so both share one schema and one path; pointers in problems and the answer
 * are unwrapped again for the single form.
 */
const SINGLE_KEY = Symbol('singleBodyKey');
type Marked = FastifyRequest & { [SINGLE_KEY]?: string };

export function acceptSingleOrBatch(key: string) {
  return async (request: FastifyRequest) => {
    const body = request.body as Record<string, unknown> | null;
    if (body && typeof body === 'object' && !Array.isArray(body) && !(key in body)) {
      request.body = { [key]: [body] };
      (request as Marked)[SINGLE_KEY] = key;
    }
  };
}

export function isSingle(request: FastifyRequest): boolean {
  return (request as Marked)[SINGLE_KEY] !== undefined;
}

/** "/transfers/0/amount" → "/amount" when the client sent a single transfer. */
export function unwrapPointer(request: FastifyRequest, pointer: string): string {
  const key = (request as Marked)[SINGLE_KEY];
  if (key === undefined) return pointer;
  const prefix = `/${key}/0`;
  return pointer.startsWith(prefix) ? pointer.slice(prefix.length) || '/' : pointer;
}
