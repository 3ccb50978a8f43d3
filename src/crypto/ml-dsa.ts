import { ml_dsa65 } from '@noble/post-quantum/ml-dsa.js';
import type { RawKeyPair, SignatureScheme } from './scheme.ts';

/**
 * ML-DSA-65 (FIPS 204, security category 3) through @noble/post-quantum, in the pure mode with an
 * empty context string: Sluice separates its uses of a key in the signed bytes themselves (see
 * signatures.ts), the same way for every algorithm, so that other FIPS 204 verifiers need no
 * Sluice-specific option to check a signature.
 *
 * The secret key kept is the 4,032-byte expanded form that signing uses directly; keeping only the
 * 32-byte seed would cost a key expansion (several milliseconds) on every checkpoint signed.
 * Signing is hedged (fresh randomness mixed into the nonce), as FIPS 204 recommends.
 */

const SEED_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 1952;
const SECRET_KEY_LENGTH = 4032;
const SIGNATURE_LENGTH = 3309;

/** Deterministic key generation (FIPS 204 ML-DSA.KeyGen_internal) for known-answer tests. */
export function mlDsa65KeyPairFromSeed(seed: Uint8Array): RawKeyPair {
  if (seed.byteLength !== SEED_LENGTH) throw new RangeError(`an ML-DSA seed has ${SEED_LENGTH} bytes`);
  const { publicKey, secretKey } = ml_dsa65.keygen(seed);
  return { publicKey, secretKey };
}

export const mlDsa65Scheme: SignatureScheme = {
  algorithm: 'ml-dsa-65',
  publicKeyLength: PUBLIC_KEY_LENGTH,
  secretKeyLength: SECRET_KEY_LENGTH,
  signatureLength: SIGNATURE_LENGTH,

  generateKeyPair() {
    const { publicKey, secretKey } = ml_dsa65.keygen();
    return { publicKey, secretKey };
  },

  keyPairFromSecretKey(secretKey) {
    if (secretKey.byteLength !== SECRET_KEY_LENGTH) return null;
    try {
      return { secretKey: new Uint8Array(secretKey), publicKey: ml_dsa65.getPublicKey(secretKey) };
    } catch {
      return null;
    }
  },

  isValidPublicKey(publicKey) {
    // Any 1,952 bytes decode to some public key: t1 packs 10-bit coefficients with no invalid value.
    return publicKey.byteLength === PUBLIC_KEY_LENGTH;
  },

  sign(message, keyPair) {
    return ml_dsa65.sign(message, keyPair.secretKey);
  },

  verify(signature, message, publicKey) {
    if (signature.byteLength !== SIGNATURE_LENGTH || publicKey.byteLength !== PUBLIC_KEY_LENGTH) return false;
    try {
      return ml_dsa65.verify(signature, message, publicKey);
    } catch {
      return false;
    }
  },
};
