import { describe, expect, it } from 'vitest';
import { createBatchQueue } from './batch-queue.ts';

type Item = { n: number; resolve: (batchSize: number) => void; reject: (error: unknown) => void };

describe('batch queue', () => {
  it('gathers what arrives meanwhile into bounded batches, one at a time, and answers every item', async () => {
    const batches: number[][] = [];
    let running = 0;
    const queue = createBatchQueue<Item>({
      maxBatch: 4,
      async run(batch) {
        running += 1;
        expect(running).toBe(1);
        batches.push(batch.map((item) => item.n));
        await new Promise((resolve) => setTimeout(resolve, 1));
        running -= 1;
        for (const item of batch) item.resolve(batch.length);
      },
    });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, n) => new Promise<number>((resolve, reject) => queue.push({ n, resolve, reject }))));
    expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(batches.every((batch) => batch.length <= 4)).toBe(true);
    expect(answers.every((size) => size >= 1 && size <= 4)).toBe(true);
    await queue.idle();
    expect(queue.length).toBe(0);
  });

  it('rejects every waiting item when a run throws, instead of leaving callers hanging', async () => {
    const queue = createBatchQueue<Item>({ maxBatch: 2, run: async () => Promise.reject(new Error('disk gone')) });
    const pending = Array.from({ length: 5 }, (_, n) => new Promise<number>((resolve, reject) => queue.push({ n, resolve, reject })));
    const settled = await Promise.allSettled(pending);
    expect(settled.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected', 'rejected']);
  });
});
