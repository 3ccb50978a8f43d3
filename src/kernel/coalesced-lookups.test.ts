import { describe, expect, it } from 'vitest';
import { coalesceLookups } from './coalesced-lookups.ts';

const prior = (id: string) => ({ decisionId: `decision-of-${id}`, outcome: 'decline' });

describe('coalesced look-ups', () => {
  it('answers the calls of one turn with one look-up, each caller with its own ids only', async () => {
    const asked: string[][] = [];
    const lookup = coalesceLookups(async (ids) => (asked.push([...ids]), new Map(ids.filter((id) => id.startsWith('x')).map((id) => [id, prior(id)]))), 100);
    const [first, second, third] = await Promise.all([lookup(['x1', 'a']), lookup(['b', 'x2', 'x1']), lookup(['c'])]);
    expect(asked).toEqual([['x1', 'a', 'b', 'x2', 'c']]);
    expect([...first.entries()]).toEqual([['x1', prior('x1')]]);
    expect([...second.entries()]).toEqual([['x2', prior('x2')], ['x1', prior('x1')]]);
    expect(third.size).toBe(0);
    // A later turn asks again.
    await lookup(['x3']);
    expect(asked).toHaveLength(2);
  });

  it('looks up at once when the bound is reached, and fails every caller of a failed look-up', async () => {
    const asked: string[][] = [];
    let fail = false;
    const lookup = coalesceLookups(async (ids) => {
      asked.push([...ids]);
      if (fail) throw new Error('database gone');
      return new Map();
    }, 3);
    await Promise.all([lookup(['a', 'b']), lookup(['c']), lookup(['d'])]);
    expect(asked).toEqual([['a', 'b', 'c'], ['d']]);
    fail = true;
    const answers = await Promise.allSettled([lookup(['e']), lookup(['f'])]);
    expect(answers.map((answer) => answer.status)).toEqual(['rejected', 'rejected']);
    expect((answers[0] as PromiseRejectedResult).reason).toBeInstanceOf(Error);
  });
});
