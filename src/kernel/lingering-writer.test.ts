import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createLingeringWriter } from './lingering-writer.ts';

class Overloaded extends Error {}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function recordingWriter(options: { lingerMs?: number; maxBatch?: number; maxQueued?: number; failOn?: (batch: readonly number[]) => boolean } = {}) {
  const batches: number[][] = [];
  const errors: { message: string; items: number[] }[] = [];
  let running = 0;
  let overlapped = false;
  const writer = createLingeringWriter<number>({
    lingerMs: options.lingerMs ?? 20,
    maxBatch: options.maxBatch ?? 4,
    maxQueued: options.maxQueued ?? 1_000,
    async write(batch) {
      running += 1;
      if (running > 1) overlapped = true;
      await sleep(1);
      running -= 1;
      if (options.failOn?.(batch)) throw new Error(`disk gone at ${batch[0]}`);
      batches.push([...batch]);
    },
    overloaded: () => new Overloaded('too many waiting'),
    onError: (error, items) => errors.push({ message: (error as Error).message, items: [...items] }),
  });
  return { writer, batches, errors, overlapped: () => overlapped };
}

describe('lingering writer', () => {
  it('writes a lone item at once, without waiting for the linger', async () => {
    const { writer, batches } = recordingWriter({ lingerMs: 60_000 });
    await writer.push(1);
    expect(batches).toEqual([[1]]);
    expect(writer.length).toBe(0);
  });

  it('gathers what arrives while it lingers into one batch, and a full batch does not wait', async () => {
    const { writer, batches } = recordingWriter({ lingerMs: 60_000, maxBatch: 3 });
    await writer.push(0);
    // The writer now lingers for a minute: two items wait, a third fills the batch and goes.
    const early = [writer.push(1), writer.push(2)];
    await sleep(20);
    expect(batches).toEqual([[0]]);
    await Promise.all([...early, writer.push(3)]);
    expect(batches).toEqual([[0], [1, 2, 3]]);
  });

  it('writes whatever is waiting when flushed, in order, nothing lost', async () => {
    const { writer, batches } = recordingWriter({ lingerMs: 60_000, maxBatch: 4 });
    await writer.push(0);
    for (let n = 1; n <= 10; n += 1) void writer.push(n);
    expect(writer.length).toBe(10);
    await writer.flush();
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(batches.every((batch) => batch.length <= 4)).toBe(true);
    expect(writer.length).toBe(0);
    await writer.flush();
  });

  it('refuses beyond its bound and accepts again once written', async () => {
    const { writer } = recordingWriter({ lingerMs: 60_000, maxBatch: 2, maxQueued: 3 });
    const accepted = [writer.push(1), writer.push(2), writer.push(3)];
    expect(() => writer.push(4)).toThrow(Overloaded);
    await writer.flush();
    await Promise.all(accepted);
    const later = writer.push(5);
    await writer.flush();
    await expect(later).resolves.toBeUndefined();
  });

  it('rejects the items of a failed batch, reports them, and goes on with the next', async () => {
    const { writer, batches, errors } = recordingWriter({ lingerMs: 5, maxBatch: 2, failOn: (batch) => batch.includes(3) });
    const promises = [1, 2, 3, 4, 5].map((n) => writer.push(n));
    const settled = await Promise.allSettled(promises);
    expect(settled.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(batches).toEqual([[1, 2], [5]]);
    expect(errors).toEqual([{ message: 'disk gone at 3', items: [3, 4] }]);
  });

  it('never lets a failure that nobody waits for escape as an unhandled rejection', async () => {
    const { writer, errors } = recordingWriter({ lingerMs: 1, failOn: () => true });
    void writer.push(1);
    await writer.flush();
    expect(errors).toHaveLength(1);
  });

  it('writes every item exactly once, in order, one batch at a time, whatever the timing (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ pause: fc.integer({ min: 0, max: 3 }), count: fc.integer({ min: 1, max: 6 }) }), { maxLength: 12 }), fc.integer({ min: 1, max: 5 }), async (bursts, maxBatch) => {
        const { writer, batches, overlapped } = recordingWriter({ lingerMs: 2, maxBatch });
        let next = 0;
        for (const burst of bursts) {
          for (let i = 0; i < burst.count; i += 1) void writer.push(next++);
          if (burst.pause > 0) await sleep(burst.pause);
        }
        await writer.flush();
        expect(batches.flat()).toEqual(Array.from({ length: next }, (_, n) => n));
        expect(batches.every((batch) => batch.length >= 1 && batch.length <= maxBatch)).toBe(true);
        expect(overlapped()).toBe(false);
        expect(writer.length).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});
