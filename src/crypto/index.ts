export { HASH_ALGORITHMS, createLineDigest, hashHex, isHashAlgorithm, type HashAlgorithm, type LineDigest } from './hash.ts';
