import { describe, expect, it } from 'vitest';
import { doubled } from './typed-arrays.ts';

describe('doubled', () => {
  it('keeps the type and the values and zeroes the new half', () => {
    const big = doubled(BigInt64Array.of(1n, -2n, 3n));
    expect(big).toBeInstanceOf(BigInt64Array);
    expect([...big]).toEqual([1n, -2n, 3n, 0n, 0n, 0n]);
    const small = doubled(Int32Array.of(7, 8));
    expect(small).toBeInstanceOf(Int32Array);
    expect([...small]).toEqual([7, 8, 0, 0]);
  });
});
