import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPostgresUrl, postgresUrl } from '../../test/support/databases.ts';
import { describeWithPostgres } from '../../test/process/postgres-server.ts';
import { openPostgres } from './postgres.ts';
import type { Database, SqlValue } from './port.ts';
import { float8Array, int8Array, textArray, uuidArray } from './postgres.arrays.ts';

/**
 * The binary arrays must mean to the server exactly what the driver's text literals of the same
 * values mean: each property sends both and compares what the server made of them.
 */
const hex = fc.constantFrom(...'0123456789abcdefABCDEF'.split(''));
const uuidText = fc
  .array(hex, { minLength: 32, maxLength: 32 })
  .map((digits) => digits.join(''))
  .map((d) => `${d.slice(0, 8)}-${d.slice(8, 12)}-${d.slice(12, 16)}-${d.slice(16, 20)}-${d.slice(20)}`);
const int8 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  fc.constantFrom(-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n),
  // bigints a safe number holds are written as numbers: the edges of that range and either side.
  fc.bigInt({ min: -(2n ** 40n), max: 2n ** 40n }),
  fc.constantFrom(...[2n ** 53n - 1n, 2n ** 53n, -(2n ** 53n) + 1n, -(2n ** 53n), -(2n ** 32n), 2n ** 32n - 1n, 2n ** 32n].flatMap((edge) => [edge, edge - 1n, edge + 1n])),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.constantFrom(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, -0, -(2 ** 32), 2 ** 32, 2 ** 32 - 1),
);
const text = fc.string({ unit: 'grapheme', maxLength: 20 }).filter((value) => !value.includes('\0'));

describe('binary arrays refuse what only the text path takes', () => {
  it('leaves other UUID spellings, out-of-range integers and NUL characters to the text path', () => {
    expect(uuidArray(['0190a5c8-8a3b-7c2d-9e4f-0123456789ab'])).toBeInstanceOf(Buffer);
    expect(uuidArray(['0190a5c88a3b7c2d9e4f0123456789ab'])).toBeUndefined();
    expect(uuidArray(['{0190a5c8-8a3b-7c2d-9e4f-0123456789ab}'])).toBeUndefined();
    expect(uuidArray(['0190a5c8-8a3b-7c2d-9e4f-0123456789ag'])).toBeUndefined();
    expect(uuidArray(['0190a5c8+8a3b-7c2d-9e4f-0123456789ab'])).toBeUndefined();
    expect(int8Array([2n ** 63n])).toBeUndefined();
    expect(int8Array([-(2n ** 63n) - 1n])).toBeUndefined();
    expect(int8Array([2 ** 53])).toBeUndefined();
    expect(int8Array([1.5])).toBeUndefined();
    expect(textArray(['a\0b'])).toBeUndefined();
  });
});

describeWithPostgres('binary arrays', () => {
  let db: Database;
  beforeAll(async () => {
    db = openPostgres(postgresUrl() ? await freshPostgresUrl() : '');
  });
  afterAll(async () => {
    await db?.close();
  });

  const same = async (type: string, binary: Buffer | undefined, values: readonly unknown[]) => {
    expect(binary).toBeInstanceOf(Buffer);
    const row = await db.get<{ binary: string; plain: string; length: number | null }>(
      `SELECT (?::${type}[])::text AS binary, (?::${type}[])::text AS plain, cardinality(?::${type}[]) AS length`,
      [binary as Buffer, values as unknown as SqlValue, binary as Buffer],
    );
    expect(row?.binary).toBe(row?.plain);
    expect(row?.length).toBe(values.length);
  };

  it('uuid[] matches the text literal, NULLs included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(uuidText, { nil: null }), { maxLength: 40 }), async (values) => same('uuid', uuidArray(values), values)),
      { numRuns: 60 },
    );
  });

  it('bigint[] matches the text literal for bigints and safe integers at the edges of their ranges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(int8, { nil: null }), { maxLength: 40 }), async (values) => same('bigint', int8Array(values), values)),
      { numRuns: 60 },
    );
  });

  it('text[] matches the text literal for any Unicode text, quotes, backslashes and braces included', async () => {
    const tricky = fc.constantFrom('', '"', '\\', '{}', 'NULL', 'a,b', ' spaced ', '汇款', '😀');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.oneof(text, tricky), { nil: null }), { maxLength: 40 }), async (values) => same('text', textArray(values), values)),
      { numRuns: 60 },
    );
  });

  it('double precision[] holds exactly the numbers the text literal holds, infinities and NaN included', async () => {
    // Compared as values: the text forms differ in spelling (1e+21 against 1e21), not in value.
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(fc.double(), { nil: null }), { maxLength: 40 }), async (values) => {
        const binary = float8Array(values);
        expect(binary).toBeInstanceOf(Buffer);
        const row = await db.get<{ same: boolean; length: number | null }>(
          'SELECT (?::float8[]) IS NOT DISTINCT FROM (?::float8[]) AS same, cardinality(?::float8[]) AS length',
          [binary as Buffer, values as unknown as SqlValue, binary as Buffer],
        );
        expect(row?.same).toBe(true);
        expect(row?.length).toBe(values.length);
      }),
      { numRuns: 60 },
    );
  });

  it('an empty array is an empty array', async () => {
    await same('uuid', uuidArray([]), []);
    await same('bigint', int8Array([]), []);
    await same('text', textArray([]), []);
    await same('float8', float8Array([]), []);
  });
});
