/** What the hook stores of a route's params stays JSON and within its named limit, however long the params are. */
import { describe, expect, it } from 'vitest';
import { paramsJson } from './audit.hook.ts';
import { AUDIT_LIMITS } from './audit.limits.ts';

describe('stored route params', () => {
  it('keeps short params as they are, as text', () => {
    expect(JSON.parse(paramsJson({ id: 'abc', n: 7 }))).toEqual({ id: 'abc', n: '7' });
    expect(paramsJson(undefined)).toBe('{}');
  });

  it('cuts params longer than the limit to marked JSON within it', () => {
    const long = { a: 'x'.repeat(AUDIT_LIMITS.paramsJsonMaxLength), b: '"\\'.repeat(AUDIT_LIMITS.paramsJsonMaxLength) };
    const stored = paramsJson(long);
    expect(stored.length).toBeLessThanOrEqual(AUDIT_LIMITS.paramsJsonMaxLength);
    const parsed = JSON.parse(stored) as { truncated: string };
    expect(JSON.stringify(long).startsWith(parsed.truncated)).toBe(true);
  });
});
