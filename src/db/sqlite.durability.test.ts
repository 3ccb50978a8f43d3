import { describe, expect, it } from 'vitest';
import { createWalDurability, type WalFlusher } from './sqlite.durability.ts';
import { DatabaseUnavailableError } from './port.ts';

/** A flusher the test finishes by hand, recording how many flushes were asked for. */
function manualFlusher() {
  const pending: { resolve: () => void; reject: (error: Error) => void }[] = [];
  const flusher: WalFlusher & { started: () => number; finish: () => void; fail: (error: Error) => void } = {
    flush: () => new Promise<void>((resolve, reject) => pending.push({ resolve, reject })),
    close: async () => {},
    started: () => pending.length,
    finish: () => pending.shift()!.resolve(),
    fail: (error) => pending.shift()!.reject(error),
  };
  return flusher;
}

const settled = async (promise: Promise<unknown>) => {
  let state = 'pending';
  promise.then(() => (state = 'resolved'), () => (state = 'rejected'));
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
  return state;
};

describe('WAL durability off the event loop', () => {
  it('settles no commit before a flush that began after it has finished', async () => {
    const flusher = manualFlusher();
    const durability = createWalDurability(flusher);
    const first = durability.durable(durability.committed());
    expect(await settled(first)).toBe('pending');
    expect(flusher.started()).toBe(1);
    // A commit made while that flush runs is not covered by it.
    const second = durability.durable(durability.committed());
    flusher.finish();
    expect(await settled(first)).toBe('resolved');
    expect(await settled(second)).toBe('pending');
    expect(flusher.started()).toBe(1);
    flusher.finish();
    expect(await settled(second)).toBe('resolved');
  });

  it('covers every commit made during one flush with a single next flush', async () => {
    const flusher = manualFlusher();
    const durability = createWalDurability(flusher);
    const first = durability.durable(durability.committed());
    const waiting = [1, 2, 3].map(() => durability.durable(durability.committed()));
    flusher.finish();
    expect(await settled(first)).toBe('resolved');
    expect(flusher.started()).toBe(1);
    flusher.finish();
    await Promise.all(waiting);
    expect(flusher.started()).toBe(0);
    // Everything is durable now: asking again needs no flush.
    await durability.durable();
    expect(flusher.started()).toBe(0);
  });

  it('fails every later commit once the disk did not confirm a flush', async () => {
    const flusher = manualFlusher();
    const durability = createWalDurability(flusher);
    const first = durability.durable(durability.committed());
    flusher.fail(new Error('EIO'));
    await expect(first).rejects.toBeInstanceOf(DatabaseUnavailableError);
    await expect(durability.durable(durability.committed())).rejects.toBeInstanceOf(DatabaseUnavailableError);
  });
});
