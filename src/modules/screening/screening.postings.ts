import { doubled } from '../../kernel/index.ts';

/**
 * Posting lists in compressed-row form: every key gets a number, and the names filed under key k are
 * `ids[offsets[k] .. offsets[k + 1])`. Two flat integer arrays instead of a JavaScript array per key
 * keep a list of a million names within a few hundred megabytes and out of the garbage collector's way.
 */
export interface Postings {
  /** Names filed under `key`, in the order they were added; empty when none. */
  lookup(key: string): Int32Array;
  /** Names filed under the key numbered `keyId`. */
  byId(keyId: number): Int32Array;
  keyId(key: string): number | undefined;
  readonly keyCount: number;
}

export interface PostingsBuilder {
  /** The number of `key`, assigned on first sight. */
  intern(key: string): number;
  add(keyId: number, nameId: number): void;
  build(): Postings;
}

const INITIAL_CAPACITY = 1024;
const EMPTY = new Int32Array(0);

export function createPostingsBuilder(): PostingsBuilder {
  const keyIds = new Map<string, number>();
  let keys = new Int32Array(INITIAL_CAPACITY);
  let names = new Int32Array(INITIAL_CAPACITY);
  let count = 0;
  const grow = () => {
    keys = doubled(keys);
    names = doubled(names);
  };
  return {
    intern(key) {
      let id = keyIds.get(key);
      if (id === undefined) keyIds.set(key, (id = keyIds.size));
      return id;
    },
    add(keyId, nameId) {
      if (count === keys.length) grow();
      keys[count] = keyId;
      names[count] = nameId;
      count++;
    },
    build() {
      const keyCount = keyIds.size;
      const offsets = new Int32Array(keyCount + 1);
      for (let index = 0; index < count; index++) {
        const slot = (keys[index] as number) + 1;
        offsets[slot] = (offsets[slot] as number) + 1;
      }
      for (let key = 0; key < keyCount; key++) offsets[key + 1] = (offsets[key + 1] as number) + (offsets[key] as number);
      const ids = new Int32Array(count);
      const next = offsets.slice(0, keyCount);
      for (let index = 0; index < count; index++) {
        const key = keys[index] as number;
        ids[next[key] as number] = names[index] as number;
        next[key] = (next[key] as number) + 1;
      }
      const byId = (keyId: number) => ids.subarray(offsets[keyId] as number, offsets[keyId + 1] as number);
      return {
        keyCount,
        keyId: (key) => keyIds.get(key),
        byId,
        lookup(key) {
          const id = keyIds.get(key);
          return id === undefined ? EMPTY : byId(id);
        },
      };
    },
  };
}
