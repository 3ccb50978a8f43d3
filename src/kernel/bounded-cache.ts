import { assert } from './assert.ts';

/**
 * A map that holds at most `maxEntries` entries and, when full, forgets the one inserted first:
 * exactly what a Map does with `delete(keys().next().value)` before each insert at the bound, which
 * is how the caches of this code base were written first. Setting a key it holds changes the value
 * and keeps its place, as Map.set does.
 *
 * Why not that one-liner: a Map deletes by marking its slot, and every fresh iterator starts at the
 * front of the table and walks past all the marked slots before the first live one, until the table
 * is rebuilt. At the bound each eviction therefore costs more the larger the bound: about 60 µs per
 * insert at 200,000 entries on the benchmark machine (see the `caches` benchmark). Here evictions go
 * on from one iterator that only moves forward, so a slot is walked past once per iterator: V8
 * carries a live iterator over the table's rebuilds, and a Map iterator sees entries added after it
 * was made.
 *
 * Why that iterator always yields the oldest live key: every entry before its position was yielded
 * by it and then deleted here, and a key inserted again after that goes to the end of the map. So
 * when the map is full, the next entry the iterator yields is the first live one, as keys().next()
 * would have found, and it cannot be exhausted while the map holds anything.
 *
 * Why it is let go after as many writes as the map holds entries: to carry an iterator over a
 * rebuild, V8 keeps the old table alive, linked to the new one, until the iterator next moves. An
 * iterator kept while the map churns without evicting (keys deleted and set again) held on to every
 * table since: 119 MB after two million such writes to a map of 100,000. Let go, the next eviction
 * starts a fresh one, whose walk past the marked slots at the front (at most the table's size) is
 * shared by the writes since the last one.
 */
export interface BoundedCache<K, V> {
  get(key: K): V | undefined;
  has(key: K): boolean;
  /** Stores the value; a new key at the bound first evicts the key inserted earliest. */
  set(key: K, value: V): void;
  delete(key: K): boolean;
  clear(): void;
  /** The entries held, oldest first. Deleting while iterating is allowed. */
  entries(): IterableIterator<[K, V]>;
  readonly size: number;
  readonly maxEntries: number;
}

export function createBoundedCache<K, V>(maxEntries: number): BoundedCache<K, V> {
  assert(Number.isSafeInteger(maxEntries) && maxEntries >= 1, `a bounded cache needs a whole bound of at least 1, not ${maxEntries}`);
  const map = new Map<K, V>();
  let oldest: IterableIterator<K> | undefined;
  let writesSinceIterator = 0;

  function wrote(): void {
    if (oldest && ++writesSinceIterator > map.size) oldest = undefined;
  }

  function evictOldest(): void {
    if (!oldest) {
      oldest = map.keys();
      writesSinceIterator = 0;
    }
    const next = oldest.next();
    assert(!next.done, 'the eviction iterator of a full bounded cache ran out');
    map.delete(next.value);
  }

  return {
    get: (key) => map.get(key),
    has: (key) => map.has(key),
    set(key, value) {
      if (map.size >= maxEntries && !map.has(key)) evictOldest();
      map.set(key, value);
      wrote();
    },
    delete(key) {
      const deleted = map.delete(key);
      if (deleted) wrote();
      return deleted;
    },
    clear() {
      map.clear();
      oldest = undefined;
    },
    entries: () => map.entries(),
    get size() {
      return map.size;
    },
    maxEntries,
  };
}
