import { describe, expect, it } from 'vitest';
import { createSerialRunner } from './serially.ts';

describe('createSerialRunner', () => {
  it('runs work one piece at a time, in order, and goes on after a failure', async () => {
    const serially = createSerialRunner();
    const log: string[] = [];
    let running = 0;
    const step = (name: string, fail = false) => async () => {
      running += 1;
      expect(running).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 2));
      log.push(name);
      running -= 1;
      if (fail) throw new Error(name);
    };
    const results = await Promise.allSettled([serially(step('a')), serially(step('b', true)), serially(step('c'))]);
    expect(log).toEqual(['a', 'b', 'c']);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});
