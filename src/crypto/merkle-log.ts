import type { HashAlgorithm } from './hash.ts';
import { MAX_TREE_LEAVES, MERKLE_HASH_LENGTH, leafHash, nodeHash, type InclusionProof } from './merkle.ts';

/**
 * An append-only Merkle log (RFC 6962 shapes) that grows one leaf at a time. It stores only complete
 * subtrees: the node at level l and index j exists once all 2^l leaves below it do, and never changes
 * after. Any earlier tree size's root and audit paths are then computed from those nodes in
 * O(log² n), so a journal that grows by the second can be checkpointed and proven without rebuilding.
 */
export interface MerkleLog {
  readonly algorithm: HashAlgorithm;
  size(): number;
  /** Appends one leaf's data (the leaf hash is computed here). */
  append(data: Uint8Array | string): void;
  /** Root of the tree over the first `treeSize` leaves (default: all). */
  root(treeSize?: number): Uint8Array;
  /** Audit path for leaf `index` in the tree of the first `treeSize` leaves. */
  inclusionProof(index: number, treeSize?: number): InclusionProof;
  /**
   * Consistency proof (RFC 6962 §2.1.2) that the tree of the first `oldSize` leaves is a prefix of
   * the tree of the first `treeSize` (default: all), as lower-case hex nodes; verifyConsistency checks it.
   */
  consistencyProof(oldSize: number, treeSize?: number): string[];
}

/** Growable array of 32-byte nodes, one per level, doubling its buffer as it fills. */
interface Level {
  buffer: Buffer;
  count: number;
}

export function createMerkleLog(algorithm: HashAlgorithm): MerkleLog {
  const levels: Level[] = [];

  const node = (level: number, index: number): Uint8Array => {
    const row = levels[level];
    if (!row || index >= row.count) throw new RangeError(`node ${level}/${index} is not complete yet`);
    return row.buffer.subarray(index * MERKLE_HASH_LENGTH, (index + 1) * MERKLE_HASH_LENGTH);
  };

  const push = (level: number, hash: Uint8Array): void => {
    let row = levels[level];
    if (!row) {
      row = { buffer: Buffer.allocUnsafe(MERKLE_HASH_LENGTH * 64), count: 0 };
      levels[level] = row;
    }
    if ((row.count + 1) * MERKLE_HASH_LENGTH > row.buffer.byteLength) {
      const grown = Buffer.allocUnsafe(row.buffer.byteLength * 2);
      row.buffer.copy(grown, 0, 0, row.count * MERKLE_HASH_LENGTH);
      row.buffer = grown;
    }
    row.buffer.set(hash, row.count * MERKLE_HASH_LENGTH);
    row.count += 1;
  };

  /** MTH(D[start : start + width]) for the subtrees RFC 6962's recursion visits. */
  const subtreeRoot = (start: number, width: number): Uint8Array => {
    if ((width & (width - 1)) === 0 && start % width === 0) return node(Math.log2(width), start / width);
    const split = largestPowerOfTwoBelow(width);
    return nodeHash(algorithm, subtreeRoot(start, split), subtreeRoot(start + split, width - split));
  };

  /**
   * RFC 6962's recursions, iteratively: from the whole range of `width` leaves down towards position
   * `m`, keeping one half at each step (the left one while `keepLeft`) and collecting the root of the
   * other, top-down, until `done`. Returns where it stopped and whether it ever kept a right half.
   */
  const descend = (m: number, width: number, keepLeft: (m: number, split: number) => boolean, done: (m: number, width: number) => boolean) => {
    const siblings: Uint8Array[] = [];
    let start = 0;
    let wentRight = false;
    while (!done(m, width)) {
      const split = largestPowerOfTwoBelow(width);
      if (keepLeft(m, split)) {
        siblings.push(subtreeRoot(start + split, width - split));
        width = split;
      } else {
        siblings.push(subtreeRoot(start, split));
        start += split;
        m -= split;
        width -= split;
        wentRight = true;
      }
    }
    return { siblings, start, width, wentRight };
  };

  const checkSize = (treeSize: number): void => {
    if (!Number.isSafeInteger(treeSize) || treeSize < 1 || treeSize > (levels[0]?.count ?? 0)) {
      throw new RangeError(`tree size ${treeSize} is not between 1 and ${levels[0]?.count ?? 0}`);
    }
  };

  return {
    algorithm,
    size: () => levels[0]?.count ?? 0,
    append(data) {
      if ((levels[0]?.count ?? 0) >= MAX_TREE_LEAVES) throw new RangeError(`a log holds at most ${MAX_TREE_LEAVES} leaves`);
      push(0, leafHash(algorithm, data));
      // Each completed pair completes the parent: walk up while the new node is a right child.
      for (let level = 0; (levels[level]?.count ?? 0) % 2 === 0; level++) {
        const count = levels[level]?.count ?? 0;
        push(level + 1, nodeHash(algorithm, node(level, count - 2), node(level, count - 1)));
      }
    },
    root(treeSize = levels[0]?.count ?? 0) {
      checkSize(treeSize);
      return new Uint8Array(subtreeRoot(0, treeSize));
    },
    inclusionProof(index, treeSize = levels[0]?.count ?? 0) {
      checkSize(treeSize);
      if (!Number.isSafeInteger(index) || index < 0 || index >= treeSize) throw new RangeError(`leaf ${index} is not in a tree of ${treeSize}`);
      // PATH(m, D[start : start + width]) of RFC 6962 §2.1.1: down to the leaf itself.
      const { siblings } = descend(index, treeSize, (m, split) => m < split, (_m, width) => width <= 1);
      return { index, treeSize, path: siblings.reverse().map((hash) => Buffer.from(hash).toString('hex')) };
    },
    consistencyProof(oldSize, treeSize = levels[0]?.count ?? 0) {
      checkSize(treeSize);
      checkSize(oldSize);
      if (oldSize > treeSize) throw new RangeError(`tree size ${oldSize} is larger than ${treeSize}`);
      // SUBPROOF(m, D[start : start + width], complete) of RFC 6962 §2.1.2: down to the range the
      // old tree ends with; unless that range is the old tree's whole left edge, its root is a node too.
      const walked = descend(oldSize, treeSize, (m, split) => m <= split, (m, width) => m === width);
      const nodes = walked.wentRight ? [...walked.siblings, subtreeRoot(walked.start, walked.width)] : walked.siblings;
      return nodes.reverse().map((hash) => Buffer.from(hash).toString('hex'));
    },
  };
}

/** The largest power of two strictly below n (n ≥ 2). */
function largestPowerOfTwoBelow(n: number): number {
  let power = 1;
  while (power * 2 < n) power *= 2;
  return power;
}
