import { createHash, hash as oneShotHash } from 'node:crypto';
import { fromHex, toHex } from './bytes.ts';
import { HASH_ALGORITHMS, type HashAlgorithm } from './hash.ts';

/**
 * Merkle trees as RFC 6962 §2.1 (and RFC 9162 §2.1) define them, over SHA-256 or SM3:
 *   MTH({})      = HASH()
 *   MTH({d0})    = HASH(0x00 || d0)
 *   MTH(D[n])    = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two below n.
 * The 0x00 / 0x01 prefixes keep a leaf from ever being taken for an inner node (second preimages).
 *
 * The tree is built bottom-up, one contiguous buffer per level: pairs are hashed and a lone last node
 * moves up unchanged, which yields exactly the RFC's left-heavy shape for any n. A million leaves
 * take 64 MB (32 MB of leaf hashes and as much again for all levels above), and a proof is a read of
 * one node per level, well under a millisecond.
 */

export const MERKLE_HASH_LENGTH = 32;
/** 2^24 leaves is 1 GiB of levels; beyond that a tree should be built in pieces, not in one buffer. */
export const MAX_TREE_LEAVES = 1 << 24;
/** A proof has at most one node per level, and sizes are below 2^53 (safe integers). */
export const MAX_PROOF_NODES = 64;
const LEAF_PREFIX = 0x00;
const NODE_PREFIX = 0x01;

export interface MerkleTree {
  readonly algorithm: HashAlgorithm;
  readonly size: number;
  /** levels[0] holds the leaf hashes, levels[levels.length - 1] the root; each node is 32 bytes. */
  readonly levels: readonly Buffer[];
}

export interface InclusionProof {
  /** Zero-based position of the leaf. */
  readonly index: number;
  readonly treeSize: number;
  /** Sibling hashes from the leaf up to the root, lower-case hex (the RFC 6962 audit path). */
  readonly path: readonly string[];
}

/**
 * One hash of one buffer. crypto.hash skips the Hash object and is about twice as fast for SHA-256
 * on small inputs; for SM3 it is slower here (OpenSSL looks the digest up on every call), so SM3
 * keeps the object.
 */
export function digest(algorithm: HashAlgorithm, input: Uint8Array): Buffer {
  return algorithm === 'sha256' ? oneShotHash('sha256', input, 'buffer') : createHash(algorithm).update(input).digest();
}

export function emptyTreeHash(algorithm: HashAlgorithm): Uint8Array {
  return new Uint8Array(digest(algorithm, new Uint8Array(0)));
}

export function leafHash(algorithm: HashAlgorithm, data: Uint8Array | string): Uint8Array {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const input = Buffer.allocUnsafe(1 + body.byteLength);
  input[0] = LEAF_PREFIX;
  input.set(body, 1);
  return new Uint8Array(digest(algorithm, input));
}

export function nodeHash(algorithm: HashAlgorithm, left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = Buffer.allocUnsafe(1 + 2 * MERKLE_HASH_LENGTH);
  input[0] = NODE_PREFIX;
  input.set(left, 1);
  input.set(right, 1 + MERKLE_HASH_LENGTH);
  return new Uint8Array(digest(algorithm, input));
}

function assertHashAlgorithm(algorithm: HashAlgorithm): void {
  if (!HASH_ALGORITHMS.includes(algorithm)) throw new RangeError(`unknown hash algorithm ${String(algorithm)}`);
}

/** Builds the levels above already computed leaf hashes (each 32 bytes, concatenated). */
export function buildMerkleTreeFromLeafHashes(algorithm: HashAlgorithm, leafHashes: Buffer): MerkleTree {
  assertHashAlgorithm(algorithm);
  if (leafHashes.byteLength % MERKLE_HASH_LENGTH !== 0) throw new RangeError('leaf hashes must be whole 32-byte hashes');
  const size = leafHashes.byteLength / MERKLE_HASH_LENGTH;
  if (size > MAX_TREE_LEAVES) throw new RangeError(`a tree holds at most ${MAX_TREE_LEAVES} leaves`);
  const levels: Buffer[] = size === 0 ? [] : [leafHashes];
  const scratch = Buffer.allocUnsafe(1 + 2 * MERKLE_HASH_LENGTH);
  scratch[0] = NODE_PREFIX;
  let below = leafHashes;
  let count = size;
  while (count > 1) {
    const pairs = Math.floor(count / 2);
    const above = Buffer.allocUnsafe(Math.ceil(count / 2) * MERKLE_HASH_LENGTH);
    for (let pair = 0; pair < pairs; pair++) {
      below.copy(scratch, 1, 2 * pair * MERKLE_HASH_LENGTH, (2 * pair + 2) * MERKLE_HASH_LENGTH);
      digest(algorithm, scratch).copy(above, pair * MERKLE_HASH_LENGTH);
    }
    // A lone last node is promoted as it is: that is what makes the shape RFC 6962's for any n.
    if (count % 2 === 1) below.copy(above, pairs * MERKLE_HASH_LENGTH, (count - 1) * MERKLE_HASH_LENGTH, count * MERKLE_HASH_LENGTH);
    levels.push(above);
    below = above;
    count = Math.ceil(count / 2);
  }
  return { algorithm, size, levels };
}

export function buildMerkleTree(leaves: readonly (Uint8Array | string)[], algorithm: HashAlgorithm = 'sha256'): MerkleTree {
  assertHashAlgorithm(algorithm);
  if (leaves.length > MAX_TREE_LEAVES) throw new RangeError(`a tree holds at most ${MAX_TREE_LEAVES} leaves`);
  const hashes = Buffer.allocUnsafe(leaves.length * MERKLE_HASH_LENGTH);
  leaves.forEach((leaf, index) => hashes.set(leafHash(algorithm, leaf), index * MERKLE_HASH_LENGTH));
  return buildMerkleTreeFromLeafHashes(algorithm, hashes);
}

/** A copy of the hash of the node at `level` and `index` (level 0 = leaves), so callers cannot alter the tree. */
export function nodeAt(tree: MerkleTree, level: number, index: number): Uint8Array {
  const nodes = tree.levels[level];
  if (!nodes || !Number.isSafeInteger(index) || index < 0 || (index + 1) * MERKLE_HASH_LENGTH > nodes.byteLength) {
    throw new RangeError(`no node ${index} at level ${level}`);
  }
  return new Uint8Array(nodes.subarray(index * MERKLE_HASH_LENGTH, (index + 1) * MERKLE_HASH_LENGTH));
}

export function treeRoot(tree: MerkleTree): Uint8Array {
  return tree.size === 0 ? emptyTreeHash(tree.algorithm) : nodeAt(tree, tree.levels.length - 1, 0);
}

export function merkleRoot(leaves: readonly (Uint8Array | string)[], algorithm: HashAlgorithm = 'sha256'): string {
  return toHex(treeRoot(buildMerkleTree(leaves, algorithm)));
}

/** The audit path of one leaf, read from a built tree (or built here from the leaves given). */
export function inclusionProof(source: MerkleTree | readonly (Uint8Array | string)[], index: number): InclusionProof {
  const tree = Array.isArray(source) ? buildMerkleTree(source as readonly (Uint8Array | string)[]) : (source as MerkleTree);
  if (!Number.isSafeInteger(index) || index < 0 || index >= tree.size) throw new RangeError(`leaf ${index} is not in a tree of ${tree.size}`);
  const path: string[] = [];
  let position = index;
  for (let level = 0; level < tree.levels.length - 1; level++) {
    const sibling = position ^ 1;
    // The last node of a level with an odd count has no sibling there: it was promoted unchanged.
    if (sibling * MERKLE_HASH_LENGTH < (tree.levels[level] as Buffer).byteLength) path.push(toHex(nodeAt(tree, level, sibling)));
    position >>= 1;
  }
  return { index, treeSize: tree.size, path };
}

/** Accepts a 32-byte hash given as bytes or as lower-case hex; null for anything else. */
export function hashBytes(value: unknown): Uint8Array | null {
  const bytes = value instanceof Uint8Array ? value : fromHex(value);
  return bytes && bytes.byteLength === MERKLE_HASH_LENGTH ? bytes : null;
}

export function isTreeSize(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * What a signed checkpoint vouches for: the size of the tree and its root, under one hash algorithm.
 * Proofs are checked against a tree head, never against a root alone: the same audit path can fit
 * trees of several sizes, and only the signed head says which tree the root belongs to.
 */
export interface TreeHead {
  readonly treeSize: number;
  /** 32 bytes, or their lower-case hex. */
  readonly root: Uint8Array | string;
  readonly algorithm: HashAlgorithm;
}

/**
 * Checks an inclusion proof read from outside (RFC 9162 §2.1.3.2) against a trusted tree head:
 * the proof's own tree size must be the head's. Never throws.
 */
export function verifyInclusion(leaf: Uint8Array | string, proof: unknown, head: TreeHead): boolean {
  const leafBytes = hashBytes(leaf);
  const rootBytes = hashBytes(head.root);
  if (!leafBytes || !rootBytes || typeof proof !== 'object' || proof === null || !HASH_ALGORITHMS.includes(head.algorithm)) return false;
  const { index, treeSize, path } = proof as Record<string, unknown>;
  if (treeSize !== head.treeSize || !isTreeSize(index) || !isTreeSize(treeSize) || index >= treeSize) return false;
  if (!Array.isArray(path) || path.length > MAX_PROOF_NODES) return false;
  let fn = index;
  let sn = treeSize - 1;
  let result = leafBytes;
  for (const entry of path as unknown[]) {
    const sibling = hashBytes(entry);
    if (!sibling || sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      result = nodeHash(head.algorithm, sibling, result);
      // Skip the levels where this node was promoted without a sibling.
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      result = nodeHash(head.algorithm, result, sibling);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && Buffer.from(result).equals(rootBytes);
}

/** The head of a built tree, as a checkpoint would sign it. */
export function treeHead(tree: MerkleTree): TreeHead & { readonly root: string } {
  return { treeSize: tree.size, root: toHex(treeRoot(tree)), algorithm: tree.algorithm };
}
