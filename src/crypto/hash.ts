import { createHash } from 'node:crypto';

/** Hash algorithms a journal may be chained with. SM3 (GB/T 32905) comes with Node's OpenSSL. */
export const HASH_ALGORITHMS = ['sha256', 'sm3'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

export function isHashAlgorithm(value: string): value is HashAlgorithm {
  return (HASH_ALGORITHMS as readonly string[]).includes(value);
}

export function hashHex(algorithm: HashAlgorithm, ...parts: (string | Uint8Array)[]): string {
  const hash = createHash(algorithm);
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** An incremental digest over lines, each terminated by a newline so that line boundaries count. */
export interface LineDigest {
  add(line: string): void;
  hex(): string;
  readonly count: number;
}

export function createLineDigest(algorithm: HashAlgorithm): LineDigest {
  const hash = createHash(algorithm);
  let count = 0;
  return {
    add(line) {
      hash.update(line);
      hash.update('\n');
      count += 1;
    },
    hex: () => hash.digest('hex'),
    get count() {
      return count;
    },
  };
}
