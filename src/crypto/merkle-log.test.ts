import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildMerkleTree, inclusionProof, leafHash, merkleRoot, verifyInclusion } from './merkle.ts';
import { consistencyProof, verifyConsistency } from './merkle-consistency.ts';
import { createMerkleLog } from './merkle-log.ts';

const leaves = (n: number) => Array.from({ length: n }, (_, index) => `entry-${index}`);

describe('append-only Merkle log', () => {
  it('gives the same root as a tree built at once, for every prefix size', () => {
    const log = createMerkleLog('sha256');
    const all = leaves(70);
    all.forEach((leaf, index) => {
      log.append(leaf);
      expect(Buffer.from(log.root()).toString('hex')).toBe(merkleRoot(all.slice(0, index + 1)));
    });
    for (let size = 1; size <= 70; size++) expect(Buffer.from(log.root(size)).toString('hex')).toBe(merkleRoot(all.slice(0, size)));
  });

  it('gives the audit paths of a tree built at once, for any leaf of any earlier size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.constantFrom('sha256' as const, 'sm3' as const), (total, sizeSeed, indexSeed, algorithm) => {
        const all = leaves(total);
        const log = createMerkleLog(algorithm);
        all.forEach((leaf) => log.append(leaf));
        const size = 1 + (sizeSeed % total);
        const index = indexSeed % size;
        const proof = log.inclusionProof(index, size);
        expect(proof).toEqual(inclusionProof(buildMerkleTree(all.slice(0, size), algorithm), index));
        expect(verifyInclusion(leafHashOf(all[index] as string, algorithm), proof, { treeSize: size, root: log.root(size), algorithm })).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('gives the consistency proofs of a tree built at once, between any two sizes, and they verify', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.nat(), fc.constantFrom('sha256' as const, 'sm3' as const), (total, newSeed, oldSeed, algorithm) => {
        const all = leaves(total);
        const log = createMerkleLog(algorithm);
        all.forEach((leaf) => log.append(leaf));
        const newSize = 1 + (newSeed % total);
        const oldSize = 1 + (oldSeed % newSize);
        const proof = log.consistencyProof(oldSize, newSize);
        expect(proof).toEqual(consistencyProof(buildMerkleTree(all.slice(0, newSize), algorithm), oldSize));
        const head = (size: number) => ({ treeSize: size, root: log.root(size), algorithm });
        expect(verifyConsistency(head(oldSize), head(newSize), proof)).toBe(true);
        // A log whose first leaves were rewritten has no proof that passes against the old head.
        if (oldSize < newSize) {
          const forged = createMerkleLog(algorithm);
          all.forEach((leaf, index) => forged.append(index === 0 ? 'rewritten' : leaf));
          expect(verifyConsistency(head(oldSize), { treeSize: newSize, root: forged.root(newSize), algorithm }, forged.consistencyProof(oldSize, newSize))).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses sizes and leaves it does not have', () => {
    const log = createMerkleLog('sha256');
    expect(() => log.root(1)).toThrow(RangeError);
    log.append('a');
    expect(() => log.inclusionProof(1, 1)).toThrow(RangeError);
    expect(() => log.root(2)).toThrow(RangeError);
    expect(() => log.consistencyProof(2, 1)).toThrow(RangeError);
    expect(() => log.consistencyProof(0, 1)).toThrow(RangeError);
    expect(log.consistencyProof(1, 1)).toEqual([]);
  });
});

function leafHashOf(data: string, algorithm: 'sha256' | 'sm3'): Uint8Array {
  return leafHash(algorithm, data);
}
