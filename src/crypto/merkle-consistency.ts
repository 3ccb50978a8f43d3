import { equalBytes, toHex } from './bytes.ts';
import { HASH_ALGORITHMS } from './hash.ts';
import { emptyTreeHash, hashBytes, isTreeSize, MAX_PROOF_NODES, nodeAt, nodeHash, type MerkleTree, type TreeHead } from './merkle.ts';

/**
 * Consistency proofs (RFC 6962 §2.1.2, RFC 9162 §2.1.4): evidence that the tree of the first `n`
 * leaves is a prefix of a later, larger tree. A holder who kept an old signed checkpoint can check
 * that a newer one only appended to the journal and rewrote nothing.
 */

function largestPowerOfTwoBelow(value: number): number {
  let power = 1;
  while (power * 2 < value) power *= 2;
  return power;
}

/** Loops rather than Math.log2, whose result the language leaves approximate. */
function isPowerOfTwo(value: number): boolean {
  let power = 1;
  while (power < value) power *= 2;
  return power === value;
}

/**
 * MTH(D[start:start + size]) read from the built levels. Ranges the RFC recursion visits are either
 * complete subtrees aligned on their size or run to the end of the tree; both are single nodes at
 * level ceil(log2(size)) in a bottom-up tree that promotes lone nodes.
 */
function rangeHash(tree: MerkleTree, start: number, size: number): Uint8Array {
  let level = 0;
  while (2 ** level < size) level += 1;
  return nodeAt(tree, level, start / 2 ** level);
}

/** Root of the tree as it was when it held its first `size` leaves. */
export function rootAt(tree: MerkleTree, size: number): Uint8Array {
  if (!isTreeSize(size) || size > tree.size) throw new RangeError(`the tree never had ${size} leaves`);
  if (size === 0) return emptyTreeHash(tree.algorithm);
  // The first `size` leaves split into complete subtrees, one per set bit of `size`, largest first;
  // the RFC's left-heavy recursion combines them from the right.
  const subtrees: Uint8Array[] = [];
  let start = 0;
  let top = 0;
  while (2 ** (top + 1) <= size) top += 1;
  for (let level = top; level >= 0; level--) {
    if (Math.floor(size / 2 ** level) % 2 === 1) {
      subtrees.push(nodeAt(tree, level, start / 2 ** level));
      start += 2 ** level;
    }
  }
  let root = subtrees.pop() as Uint8Array;
  while (subtrees.length > 0) root = nodeHash(tree.algorithm, subtrees.pop() as Uint8Array, root);
  return root;
}

/** RFC 6962 SUBPROOF(m, D[start:start + size], complete) as an explicit recursion on ranges. */
function subproof(tree: MerkleTree, m: number, start: number, size: number, complete: boolean): Uint8Array[] {
  if (m === size) return complete ? [] : [rangeHash(tree, start, size)];
  const k = largestPowerOfTwoBelow(size);
  if (m <= k) return [...subproof(tree, m, start, k, complete), rangeHash(tree, start + k, size - k)];
  return [...subproof(tree, m - k, start + k, size - k, false), rangeHash(tree, start, k)];
}

/** Proof that the first `oldSize` leaves of this tree form the tree a holder saw earlier. */
export function consistencyProof(tree: MerkleTree, oldSize: number): string[] {
  if (!isTreeSize(oldSize) || oldSize < 1 || oldSize > tree.size) throw new RangeError(`no consistency proof from ${oldSize} to ${tree.size}`);
  if (oldSize === tree.size) return [];
  return subproof(tree, oldSize, 0, tree.size, true).map(toHex);
}

/**
 * Checks a consistency proof read from outside (RFC 9162 §2.1.4.2) between two trusted tree heads,
 * typically from two signed checkpoints; the proof itself may come from anyone. Never throws.
 */
export function verifyConsistency(oldHead: TreeHead, newHead: TreeHead, proof: unknown): boolean {
  const first = hashBytes(oldHead.root);
  const second = hashBytes(newHead.root);
  const oldSize = oldHead.treeSize;
  const newSize = newHead.treeSize;
  const algorithm = newHead.algorithm;
  if (!first || !second || oldHead.algorithm !== algorithm || !HASH_ALGORITHMS.includes(algorithm)) return false;
  if (!isTreeSize(oldSize) || !isTreeSize(newSize) || oldSize < 1 || oldSize > newSize) return false;
  if (!Array.isArray(proof) || proof.length > MAX_PROOF_NODES) return false;
  const path: Uint8Array[] = [];
  for (const entry of proof as unknown[]) {
    const node = hashBytes(entry);
    if (!node) return false;
    path.push(node);
  }
  if (oldSize === newSize) return path.length === 0 && equalBytes(first, second);
  // When the old tree is a complete subtree of the new one, its root is the proof's implicit start.
  if (isPowerOfTwo(oldSize)) path.unshift(first);
  if (path.length === 0) return false;

  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let firstResult = path[0] as Uint8Array;
  let secondResult = firstResult;
  for (const node of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      firstResult = nodeHash(algorithm, node, firstResult);
      secondResult = nodeHash(algorithm, node, secondResult);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      secondResult = nodeHash(algorithm, secondResult, node);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equalBytes(firstResult, first) && equalBytes(secondResult, second);
}
