/**
 * A writer for records that callers do not wait on (feature events, graph edges): items gather in
 * memory and reach `write` in batches, one batch at a time, in the order they were pushed.
 *
 * A lone item is written at once (on the next turn of the event loop, so that items pushed in the
 * same turn share its batch). After each write the writer lingers for `lingerMs`, gathering what
 * arrives meanwhile into the next batch, unless that batch fills up first. Under a steady stream this
 * is one write per `lingerMs` rather than one per burst: on SQLite every commit is an fsync shared
 * with the ledger, and each transaction costs the same few statements whatever its size.
 *
 * Every push returns the promise of the batch it joined (shared by the batch's items, so an item costs
 * no promise of its own): it resolves once the batch is written and rejects with the write's error.
 * A failure is also handed to `onError`, so that nobody has to attach a handler for it to be seen.
 * Beyond `maxQueued` items waiting or being written, push throws the error `overloaded` makes.
 * Items still in memory when the process dies are lost: at most what arrived since the last write
 * began, which is what `lingerMs` bounds.
 */
export interface LingeringWriterOptions<T> {
  readonly lingerMs: number;
  readonly maxBatch: number;
  readonly maxQueued: number;
  readonly write: (batch: readonly T[]) => Promise<void>;
  readonly overloaded: () => Error;
  readonly onError?: (error: unknown, batch: readonly T[]) => void;
}

export interface LingeringWriter<T> {
  push(item: T): Promise<void>;
  /** Items waiting or being written. */
  readonly length: number;
  /**
   * Writes whatever is waiting, without lingering, and resolves when everything pushed before the
   * call is written or has failed (failures go to onError and to the pushers' promises).
   */
  flush(): Promise<void>;
}

interface Group<T> {
  readonly items: T[];
  readonly done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

function newGroup<T>(): Group<T> {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const done = new Promise<void>((ok, fail) => ((resolve = ok), (reject = fail)));
  // The failure reaches onError; a caller that ignores the promise must not crash the process.
  done.catch(() => {});
  return { items: [], done, resolve, reject };
}

export function createLingeringWriter<T>(options: LingeringWriterOptions<T>): LingeringWriter<T> {
  const waiting: Group<T>[] = [];
  let current: Group<T> | undefined;
  let count = 0;
  let scheduled = false;
  let lingering: NodeJS.Timeout | undefined;
  let flushing = 0;

  function schedule(): void {
    if (current || scheduled) return;
    const first = waiting[0];
    if (!first) return;
    // While lingering only a full batch goes ahead; a flush lets whatever is waiting go ahead.
    if (lingering && flushing === 0 && first.items.length < options.maxBatch) return;
    scheduled = true;
    setImmediate(runOne);
  }

  function runOne(): void {
    scheduled = false;
    if (current) return;
    const group = waiting.shift();
    if (!group) return;
    current = group;
    if (lingering) (clearTimeout(lingering), (lingering = undefined));
    const settle = (error?: unknown) => {
      count -= group.items.length;
      current = undefined;
      if (error === undefined) group.resolve();
      else {
        options.onError?.(error, group.items);
        group.reject(error);
      }
      lingering = setTimeout(() => {
        lingering = undefined;
        schedule();
      }, options.lingerMs);
      // An idle linger must not keep the process alive; one with items waiting must (see push).
      if (waiting.length === 0) lingering.unref();
      schedule();
    };
    let written: Promise<void>;
    try {
      written = options.write(group.items);
    } catch (error) {
      written = Promise.reject(error);
    }
    written.then(() => settle(), (error: unknown) => settle(error ?? new Error('the write failed')));
  }

  return {
    push(item) {
      if (count >= options.maxQueued) throw options.overloaded();
      let group = waiting[waiting.length - 1];
      if (!group && lingering) lingering.ref();
      if (!group || group.items.length >= options.maxBatch) waiting.push((group = newGroup<T>()));
      group.items.push(item);
      count += 1;
      schedule();
      return group.done;
    },
    get length() {
      return count;
    },
    async flush() {
      // Batches are written in order, so the newest one settling means every earlier one has.
      const last = waiting[waiting.length - 1] ?? current;
      if (!last) return;
      flushing += 1;
      schedule();
      try {
        await last.done.catch(() => {});
      } finally {
        flushing -= 1;
      }
    },
  };
}
