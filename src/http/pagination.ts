import { Type } from 'typebox';
import { AMOUNT_MAX, LIMITS } from '../kernel/index.ts';
import { fieldProblem } from './problem.ts';

/**
 * Cursor pagination. A cursor is the opaque position after the last item of a page (a timestamp or
 * id, base64url-encoded); clients pass it back unchanged and must not build one themselves.
 */
export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: LIMITS.pageMaxItems, default: LIMITS.pageDefaultItems, description: `Items per page, at most ${LIMITS.pageMaxItems}.` })),
  cursor: Type.Optional(Type.String({ maxLength: 128, pattern: '^[A-Za-z0-9_-]+$', description: 'The next_cursor of the previous page.' })),
  order: Type.Optional(Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'asc' })),
};

export function encodeCursor(position: bigint | string): string {
  return Buffer.from(`v1:${String(position)}`).toString('base64url');
}

/** `pointer` names the query field the cursor came in, for routes that call it something else than `cursor`. */
export function decodeBigintCursor(cursor: string | undefined, pointer = '/query/cursor'): bigint | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString();
  // Positions are signed 64-bit columns: a larger number cannot be one and would not bind as a parameter.
  if (!/^v1:\d{1,19}$/.test(text) || BigInt(text.slice(3)) > AMOUNT_MAX) throw fieldProblem(400, 'invalid_cursor', pointer, 'is not a cursor this API gave out');
  return BigInt(text.slice(3));
}

export function decodeTextCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const text = Buffer.from(cursor, 'base64url').toString();
  // Control characters never occur in a position this API gives out, and PostgreSQL refuses NUL in text.
  if (!text.startsWith('v1:') || text.length > 100 || /[\u0000-\u001f]/.test(text)) throw fieldProblem(400, 'invalid_cursor', '/query/cursor', 'is not a cursor this API gave out');
  return text.slice(3);
}

/** One page: the items and, when the page is full, the cursor to the next one. */
export function page<T, R>(items: readonly T[], limit: number, position: (item: T) => bigint | string, render: (item: T) => R) {
  const last = items[items.length - 1];
  return { data: items.map(render), next_cursor: items.length === limit && last !== undefined ? encodeCursor(position(last)) : null };
}
