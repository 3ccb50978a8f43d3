import { describe, expect, it } from 'vitest';
import { createLineDigest, hashHex } from './index.ts';
import { SM3_VECTORS } from './vectors.test-support.ts';

describe('SM3 known answers (GB/T 32905-2016 Appendix A)', () => {
  it.each(SM3_VECTORS)('hashes the example input of $input.length bytes to the published digest', ({ input, digest }) => {
    expect(hashHex('sm3', input)).toBe(digest);
  });

  it('gives the same digest when the input arrives in pieces', () => {
    const [, example] = SM3_VECTORS;
    expect(hashHex('sm3', ...(example.input.match(/.{1,7}/g) ?? []))).toBe(example.digest);
  });
});

describe('SHA-256 known answer (FIPS 180-4 example "abc")', () => {
  it('hashes "abc" to the published digest', () => {
    expect(hashHex('sha256', 'abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('line digest', () => {
  it('counts line boundaries, so moving a newline changes the digest', () => {
    const split = createLineDigest('sm3');
    split.add('ab');
    split.add('c');
    const joined = createLineDigest('sm3');
    joined.add('a');
    joined.add('bc');
    expect(split.hex()).not.toBe(joined.hex());
  });
});
