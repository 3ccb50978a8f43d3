import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { HashAlgorithm } from './hash.ts';
import { buildMerkleTree, emptyTreeHash, inclusionProof, leafHash, merkleRoot, nodeAt, nodeHash, treeHead, treeRoot, verifyInclusion, type MerkleTree } from './merkle.ts';
import { RFC6962_TREE } from './vectors.test-support.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const rfcLeaves = RFC6962_TREE.leaves.map((leaf) => new Uint8Array(Buffer.from(leaf, 'hex')));

/** MTH exactly as RFC 6962 §2.1 writes it, recursively, to check the bottom-up build against. */
function referenceRoot(algorithm: HashAlgorithm, leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return new Uint8Array(createHash(algorithm).digest());
  if (leaves.length === 1) return leafHash(algorithm, leaves[0] as Uint8Array);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(algorithm, referenceRoot(algorithm, leaves.slice(0, k)), referenceRoot(algorithm, leaves.slice(k)));
}

const leavesOf = (count: number, salt = 0): Uint8Array[] => Array.from({ length: count }, (_, index) => new TextEncoder().encode(`event-${salt}-${index}`));
const leafOf = (tree: MerkleTree, index: number): Uint8Array => nodeAt(tree, 0, index);

describe('Merkle tree hashing (RFC 6962 §2.1)', () => {
  it('defines the empty tree as the hash of nothing and a one-leaf tree as HASH(0x00 || leaf)', () => {
    expect(hex(emptyTreeHash('sha256'))).toBe(RFC6962_TREE.roots[0]);
    expect(merkleRoot([], 'sha256')).toBe(RFC6962_TREE.roots[0]);
    const single = new TextEncoder().encode('only');
    expect(merkleRoot([single])).toBe(createHash('sha256').update(Buffer.from([0])).update(single).digest('hex'));
    const [a, b] = [leafHash('sha256', 'a'), leafHash('sha256', 'b')];
    expect(hex(nodeHash('sha256', a, b))).toBe(createHash('sha256').update(Buffer.from([1])).update(a).update(b).digest('hex'));
  });

  it('matches the published root of every prefix of the reference tree, sizes 0 to 8', () => {
    RFC6962_TREE.roots.forEach((root, size) => expect(merkleRoot(rfcLeaves.slice(0, size))).toBe(root));
  });

  it('holds every complete subtree of the 8-leaf reference tree at its level', () => {
    const tree = buildMerkleTree(rfcLeaves);
    RFC6962_TREE.nodes.forEach((level, depth) => level.forEach((node, index) => expect(hex(nodeAt(tree, depth, index))).toBe(node)));
  });

  it('gives the reference audit paths for leaves 0 and 5 of the 8-leaf tree', () => {
    const tree = buildMerkleTree(rfcLeaves);
    const [l0, l1, l2] = RFC6962_TREE.nodes;
    expect(inclusionProof(tree, 0).path).toEqual([l0[1], l1[1], l2[1]]);
    expect(inclusionProof(tree, 5).path).toEqual([l0[4], l1[3], l2[0]]);
  });

  it.each<HashAlgorithm>(['sha256', 'sm3'])('builds the same root bottom-up as the RFC recursion, for any size (%s)', (algorithm) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 130 }), (size) => {
        const leaves = leavesOf(size);
        expect(hex(treeRoot(buildMerkleTree(leaves, algorithm)))).toBe(hex(referenceRoot(algorithm, leaves)));
      }),
      { numRuns: 60 },
    );
  });
});

describe('inclusion proofs', () => {
  const sizeAndIndex = fc.integer({ min: 1, max: 300 }).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 })));

  it.each<HashAlgorithm>(['sha256', 'sm3'])('every proof verifies against the root, for random sizes and leaves (%s)', (algorithm) => {
    fc.assert(
      fc.property(sizeAndIndex, ([size, index]) => {
        const tree = buildMerkleTree(leavesOf(size), algorithm);
        const proof = inclusionProof(tree, index);
        expect(proof.path.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
        const head = treeHead(tree);
        expect(verifyInclusion(leafOf(tree, index), proof, head)).toBe(true);
        expect(verifyInclusion(hex(leafOf(tree, index)), JSON.parse(JSON.stringify(proof)), JSON.parse(JSON.stringify(head)))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('a proof does not verify for another leaf, another position, another size or another tree', () => {
    fc.assert(
      fc.property(sizeAndIndex.filter(([size]) => size > 1), ([size, index]) => {
        const tree = buildMerkleTree(leavesOf(size));
        const proof = inclusionProof(tree, index);
        const head = treeHead(tree);
        const other = (index + 1) % size;
        const leaf = leafOf(tree, index);
        expect(verifyInclusion(leafOf(tree, other), proof, head)).toBe(false);
        expect(verifyInclusion(leaf, { ...proof, index: other }, head)).toBe(false);
        // A proof claiming another size than the signed head's fails before any hashing.
        expect(verifyInclusion(leaf, { ...proof, treeSize: size + 1 }, head)).toBe(false);
        // The head of the same leaves one append later, and of a different log of the same size.
        const grown = buildMerkleTree([...leavesOf(size), new Uint8Array([1])]);
        expect(verifyInclusion(leaf, { ...proof, treeSize: size + 1 }, treeHead(grown))).toBe(false);
        expect(verifyInclusion(leaf, proof, treeHead(buildMerkleTree(leavesOf(size, 1))))).toBe(false);
        expect(verifyInclusion(leaf, proof, { ...head, algorithm: 'sm3' })).toBe(false);
      }),
      { numRuns: 120 },
    );
  });

  it('fails when any node of the path is altered, dropped or added', () => {
    const tree = buildMerkleTree(leavesOf(1000));
    const proof = inclusionProof(tree, 617);
    const head = treeHead(tree);
    const leaf = leafOf(tree, 617);
    expect(verifyInclusion(leaf, proof, head)).toBe(true);
    proof.path.forEach((_, position) => {
      const altered = proof.path.map((node, at) => (at === position ? `${node.slice(0, 63)}${node.endsWith('0') ? '1' : '0'}` : node));
      expect(verifyInclusion(leaf, { ...proof, path: altered }, head)).toBe(false);
    });
    expect(verifyInclusion(leaf, { ...proof, path: proof.path.slice(1) }, head)).toBe(false);
    expect(verifyInclusion(leaf, { ...proof, path: [...proof.path, proof.path[0]] }, head)).toBe(false);
  });

  it('leaf data made of two child hashes is not their parent: leaves and nodes are hashed apart', () => {
    const tree = buildMerkleTree(leavesOf(4));
    const [left, right, parent] = [nodeAt(tree, 0, 0), nodeAt(tree, 0, 1), nodeAt(tree, 1, 0)];
    const forged = leafHash('sha256', Buffer.concat([Buffer.from([1]), left, right]));
    expect(hex(forged)).not.toBe(hex(parent));
    // Nor does the parent pass as a leaf of the signed 4-leaf tree one level up.
    expect(verifyInclusion(parent, { index: 0, treeSize: 4, path: [hex(nodeAt(tree, 1, 1))] }, treeHead(tree))).toBe(false);
  });

  it('answers false, never throws, for malformed proofs, hashes and indices', () => {
    const tree = buildMerkleTree(leavesOf(5));
    const head = treeHead(tree);
    const leaf = leafOf(tree, 0);
    const good = inclusionProof(tree, 0);
    for (const bad of [null, 'proof', { ...good, index: -1 }, { ...good, index: 5 }, { ...good, index: 0.5 }, { ...good, path: 'x' }, { ...good, path: [1, 2, 3] }, { ...good, path: ['ZZ'] }, { ...good, path: Array(65).fill(good.path[0]) }]) {
      expect(verifyInclusion(leaf, bad, head)).toBe(false);
    }
    expect(verifyInclusion(leaf, good, head)).toBe(true);
    expect(verifyInclusion(leaf.subarray(1), good, head)).toBe(false);
    expect(verifyInclusion(hex(leaf).toUpperCase(), good, head)).toBe(false);
    expect(verifyInclusion(leaf, good, { ...head, root: 'not hex' })).toBe(false);
    expect(verifyInclusion(leaf, good, { ...head, algorithm: 'md5' as never })).toBe(false);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(verifyInclusion(leaf, value, head)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses to make a proof for a leaf the tree does not have', () => {
    const tree = buildMerkleTree(leavesOf(3));
    expect(() => inclusionProof(tree, 3)).toThrow(RangeError);
    expect(() => inclusionProof(tree, -1)).toThrow(RangeError);
    expect(() => inclusionProof(buildMerkleTree([]), 0)).toThrow(RangeError);
  });

  it('builds the tree itself when handed the leaves', () => {
    const leaves = leavesOf(9);
    const proof = inclusionProof(leaves, 8);
    expect(verifyInclusion(leafHash('sha256', leaves[8] as Uint8Array), proof, { treeSize: 9, root: merkleRoot(leaves), algorithm: 'sha256' })).toBe(true);
  });
});
