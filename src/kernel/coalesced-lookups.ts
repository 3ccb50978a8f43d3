/** Answers found for some of the keys asked; a key without an answer is absent. */
export type KeyedLookup<V> = (keys: readonly string[]) => Promise<Map<string, V>>;

/**
 * Look-ups by key asked for by many callers at once, answered by one query. With many requests in
 * flight, each asking for a key or two (earlier decisions of a transfer id, the owner of an account
 * not seen since a restart), one query per caller spent more on the statement than on the search.
 * Keys asked for during one turn of the event loop are looked up together when it ends (or at once
 * when `maxKeys` are waiting), and each caller gets the answers for its own keys. A failed query
 * fails every caller of that look-up.
 */
export function coalesceLookups<V>(lookup: KeyedLookup<V>, maxKeys: number): KeyedLookup<V> {
  interface Waiter {
    readonly keys: readonly string[];
    readonly resolve: (found: Map<string, V>) => void;
    readonly reject: (error: unknown) => void;
  }
  let pending: { keys: Set<string>; waiters: Waiter[] } | null = null;

  function run(batch: { keys: Set<string>; waiters: Waiter[] }): void {
    lookup([...batch.keys]).then(
      (found) => {
        for (const waiter of batch.waiters) {
          const mine = new Map<string, V>();
          for (const key of waiter.keys) {
            const value = found.get(key);
            if (value !== undefined) mine.set(key, value);
          }
          waiter.resolve(mine);
        }
      },
      (error: unknown) => {
        for (const waiter of batch.waiters) waiter.reject(error);
      },
    );
  }

  function takePending(): void {
    const batch = pending;
    pending = null;
    if (batch) run(batch);
  }

  return (keys) =>
    new Promise((resolve, reject) => {
      if (!pending) {
        pending = { keys: new Set(), waiters: [] };
        setImmediate(takePending);
      }
      for (const key of keys) pending.keys.add(key);
      pending.waiters.push({ keys, resolve, reject });
      if (pending.keys.size >= maxKeys) takePending();
    });
}
