import type { PriorDecision } from './risk.repository.ts';

export type PriorLookup = (eventIds: readonly string[]) => Promise<Map<string, PriorDecision>>;

/**
 * Look-ups of earlier decisions asked for by many requests at once, answered by one query. Every
 * evaluated transfer asks; with many single-transfer requests in flight, one query per request
 * spent more on the statement than on the search. Ids asked for during one turn of the event loop
 * are looked up together when it ends (or at once when `maxIds` are waiting), and each caller gets
 * the answers for its own ids. A failed query fails every caller of that look-up.
 */
export function coalescePriorLookups(lookup: PriorLookup, maxIds: number): PriorLookup {
  interface Waiter {
    readonly ids: readonly string[];
    readonly resolve: (found: Map<string, PriorDecision>) => void;
    readonly reject: (error: unknown) => void;
  }
  let pending: { ids: Set<string>; waiters: Waiter[] } | null = null;

  function run(batch: { ids: Set<string>; waiters: Waiter[] }): void {
    lookup([...batch.ids]).then(
      (found) => {
        for (const waiter of batch.waiters) {
          const mine = new Map<string, PriorDecision>();
          for (const id of waiter.ids) {
            const prior = found.get(id);
            if (prior) mine.set(id, prior);
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

  return (eventIds) =>
    new Promise((resolve, reject) => {
      if (!pending) {
        pending = { ids: new Set(), waiters: [] };
        setImmediate(takePending);
      }
      for (const id of eventIds) pending.ids.add(id);
      pending.waiters.push({ ids: eventIds, resolve, reject });
      if (pending.ids.size >= maxIds) takePending();
    });
}
