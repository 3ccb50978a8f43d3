import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HashAlgorithm } from './hash.ts';
import { consistencyProof, rootAt, verifyConsistency } from './merkle-consistency.ts';
import { buildMerkleTree, merkleRoot, treeHead, type TreeHead } from './merkle.ts';
import { RFC6962_TREE } from './vectors.test-support.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const rfcLeaves = RFC6962_TREE.leaves.map((leaf) => new Uint8Array(Buffer.from(leaf, 'hex')));
const leavesOf = (count: number, salt = 0): Uint8Array[] => Array.from({ length: count }, (_, index) => new TextEncoder().encode(`entry-${salt}-${index}`));
const headOf = (leaves: readonly Uint8Array[], algorithm: HashAlgorithm = 'sha256'): TreeHead => treeHead(buildMerkleTree(leaves, algorithm));

describe('roots of earlier tree sizes', () => {
  it('recovers the root of every prefix of the reference tree from the full tree', () => {
    const tree = buildMerkleTree(rfcLeaves);
    RFC6962_TREE.roots.forEach((root, size) => expect(hex(rootAt(tree, size))).toBe(root));
  });

  it('equals the root of a tree built from the prefix alone', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size }))), ([size, prefix]) => {
        const leaves = leavesOf(size);
        expect(hex(rootAt(buildMerkleTree(leaves), prefix))).toBe(merkleRoot(leaves.slice(0, prefix)));
      }),
      { numRuns: 100 },
    );
  });
});

describe('consistency proofs (RFC 6962 §2.1.2)', () => {
  const [l0, l1, l2] = RFC6962_TREE.nodes;

  it('gives the reference proofs between sizes 1→8, 6→8 and 2→5 of the reference tree', () => {
    expect(consistencyProof(buildMerkleTree(rfcLeaves), 1)).toEqual([l0[1], l1[1], l2[1]]);
    expect(consistencyProof(buildMerkleTree(rfcLeaves), 6)).toEqual([l1[2], l1[3], l2[0]]);
    expect(consistencyProof(buildMerkleTree(rfcLeaves.slice(0, 5)), 2)).toEqual([l1[1], l0[4]]);
  });

  it.each<HashAlgorithm>(['sha256', 'sm3'])('every proof between two sizes of one growing log verifies (%s)', (algorithm) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }).chain((size) => fc.tuple(fc.integer({ min: 1, max: size }), fc.constant(size))), ([oldSize, newSize]) => {
        const leaves = leavesOf(newSize);
        const tree = buildMerkleTree(leaves, algorithm);
        const proof = consistencyProof(tree, oldSize);
        expect(verifyConsistency(headOf(leaves.slice(0, oldSize), algorithm), treeHead(tree), proof)).toBe(true);
      }),
      { numRuns: 120 },
    );
  });

  it('fails when the old tree was rewritten, the new one is another log, or the proof was altered', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 150 }).chain((size) => fc.tuple(fc.integer({ min: 1, max: size - 1 }), fc.constant(size))), ([oldSize, newSize]) => {
        const leaves = leavesOf(newSize);
        const tree = buildMerkleTree(leaves);
        const proof = consistencyProof(tree, oldSize);
        const oldHead = headOf(leaves.slice(0, oldSize));
        const rewritten = [...leaves.slice(0, oldSize - 1), new Uint8Array([9])];
        expect(verifyConsistency(headOf(rewritten), treeHead(tree), proof)).toBe(false);
        expect(verifyConsistency(oldHead, headOf(leavesOf(newSize, 1)), proof)).toBe(false);
        expect(verifyConsistency({ ...oldHead, treeSize: oldSize + 1 }, treeHead(tree), proof)).toBe(false);
        proof.forEach((_, position) => {
          const altered = proof.map((node, at) => (at === position ? `${node.slice(0, 63)}${node.endsWith('f') ? '0' : 'f'}` : node));
          expect(verifyConsistency(oldHead, treeHead(tree), altered)).toBe(false);
        });
        expect(verifyConsistency(oldHead, treeHead(tree), proof.slice(0, -1))).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it('treats equal sizes as consistent only with an empty proof and equal roots', () => {
    const head = headOf(leavesOf(7));
    expect(verifyConsistency(head, head, [])).toBe(true);
    expect(verifyConsistency(head, headOf(leavesOf(7, 1)), [])).toBe(false);
    expect(verifyConsistency(head, head, [head.root])).toBe(false);
  });

  it('answers false, never throws, for malformed input', () => {
    const oldHead = headOf(leavesOf(3));
    const newHead = headOf(leavesOf(9));
    const proof = consistencyProof(buildMerkleTree(leavesOf(9)), 3);
    expect(verifyConsistency(newHead, oldHead, proof)).toBe(false);
    expect(verifyConsistency({ ...oldHead, treeSize: 0 }, newHead, proof)).toBe(false);
    expect(verifyConsistency(oldHead, { ...newHead, algorithm: 'sm3' }, proof)).toBe(false);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(verifyConsistency(oldHead, newHead, value)).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(() => consistencyProof(buildMerkleTree(leavesOf(3)), 0)).toThrow(RangeError);
    expect(() => consistencyProof(buildMerkleTree(leavesOf(3)), 4)).toThrow(RangeError);
  });
});
