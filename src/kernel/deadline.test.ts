import { describe, expect, it } from 'vitest';
import { withDeadline } from './deadline.ts';

describe('withDeadline', () => {
  it('answers with the work when it answers in time, and rejects when it does not', async () => {
    expect(await withDeadline(async () => 42, 1_000)).toBe(42);
    await expect(withDeadline(() => Promise.reject(new Error('refused')), 1_000)).rejects.toThrow('refused');
    await expect(withDeadline(() => new Promise(() => {}), 20)).rejects.toThrow('no answer within 20 ms');
  });
});
