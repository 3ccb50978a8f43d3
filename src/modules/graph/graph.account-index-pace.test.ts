import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nextAccountIndexBatch } from './graph.account-index-pace.ts';

const pace = { min: 256, max: 4096, targetMs: 8 };

describe('pace of the moves into the by-account indexes', () => {
  it('halves a move that took much longer than the target, down to the least, and doubles a quick one, up to the most', () => {
    expect(nextAccountIndexBatch(4096, 4096, 50, pace)).toBe(2048);
    expect(nextAccountIndexBatch(2048, 2048, 10, pace)).toBe(1638);
    expect(nextAccountIndexBatch(300, 300, 100, pace)).toBe(256);
    expect(nextAccountIndexBatch(1024, 1024, 1, pace)).toBe(2048);
    expect(nextAccountIndexBatch(3000, 3000, 0, pace)).toBe(4096);
    expect(nextAccountIndexBatch(1000, 1000, 8, pace)).toBe(1000);
  });

  it('keeps the size after a move that found fewer edges than it could take', () => {
    expect(nextAccountIndexBatch(1024, 10, 200, pace)).toBe(1024);
    expect(nextAccountIndexBatch(1024, 1023, 0.1, pace)).toBe(1024);
  });

  it('stays within its bounds and changes by at most a factor of two', () => {
    fc.assert(
      fc.property(fc.integer({ min: 256, max: 4096 }), fc.double({ min: 0, max: 1_000, noNaN: true }), (current, tookMs) => {
        const next = nextAccountIndexBatch(current, current, tookMs, pace);
        expect(next).toBeGreaterThanOrEqual(pace.min);
        expect(next).toBeLessThanOrEqual(pace.max);
        expect(next).toBeLessThanOrEqual(current * 2);
        expect(next).toBeGreaterThanOrEqual(Math.min(current, Math.max(pace.min, Math.floor(current / 2))));
      }),
    );
  });
});
