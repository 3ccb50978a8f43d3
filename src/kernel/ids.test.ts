import { describe, expect, it } from 'vitest';
import { isCanonicalUuid, isUuid, uuidv7 } from './ids.ts';

describe('UUIDv7 ids', () => {
  it('are well-formed version 7 UUIDs, all distinct and strictly increasing within one process', () => {
    const ids = Array.from({ length: 20_000 }, () => uuidv7(1_767_225_600_000));
    expect(ids.every((id) => isUuid(id) && id[14] === '7' && '89ab'.includes(id[19] as string))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    // The 62 random bits: every variant digit turns up, and the last twelve digits almost never repeat.
    expect(new Set(ids.map((id) => id[19])).size).toBe(4);
    expect(new Set(ids.map((id) => id.slice(24))).size).toBeGreaterThan(ids.length - 5);
  });

  it('carry the time they were made in their first 48 bits', () => {
    const at = Date.UTC(2030, 0, 1);
    const id = uuidv7(at + 10_000);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBeGreaterThanOrEqual(at + 10_000);
  });

  it('tell any spelling of a UUID from the canonical one the databases give back', () => {
    const id = uuidv7();
    expect([isUuid(id), isCanonicalUuid(id)]).toEqual([true, true]);
    expect([isUuid(id.toUpperCase()), isCanonicalUuid(id.toUpperCase())]).toEqual([true, false]);
    expect([isUuid(id.replace(/-/g, '')), isCanonicalUuid(`{${id}}`), isCanonicalUuid('not-an-id')]).toEqual([false, false, false]);
  });
});
