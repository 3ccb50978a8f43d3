/**
 * The queue behind a group commit: callers push items; whatever has gathered is handed to `run` in
 * batches of at most `maxBatch`, one batch at a time, and items that arrive meanwhile wait for the
 * next one. `run` answers its own items; if it throws, the items of that batch are rejected with the
 * error, so no caller is left hanging and nothing escapes as an unhandled rejection.
 */
export interface QueuedItem {
  readonly reject: (error: unknown) => void;
}

export interface BatchQueue<T extends QueuedItem> {
  push(item: T): void;
  readonly length: number;
  /** Resolves when the batches queued so far have been run. */
  idle(): Promise<void>;
}

export function createBatchQueue<T extends QueuedItem>(options: { readonly maxBatch: number; readonly run: (batch: T[]) => Promise<void> }): BatchQueue<T> {
  const queue: T[] = [];
  let draining = false;
  let idle: Promise<void> = Promise.resolve();

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, options.maxBatch);
      try {
        await options.run(batch);
      } catch (error) {
        // Rejecting an item that run already answered changes nothing; the rest learn of the failure.
        for (const item of batch) item.reject(error);
      }
      // Let the event loop take in new work before the next batch closes.
      if (queue.length > 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  function kick(): void {
    if (draining) return;
    draining = true;
    idle = new Promise<void>((resolve) => setImmediate(resolve))
      .then(drain)
      .catch((error: unknown) => {
        for (const item of queue.splice(0)) item.reject(error);
      })
      .finally(() => {
        draining = false;
        // Work queued after the loop found the queue empty, but before this ran, still needs a run.
        if (queue.length > 0) kick();
      });
  }

  return {
    push(item) {
      queue.push(item);
      kick();
    },
    get length() {
      return queue.length;
    },
    idle: () => idle,
  };
}
