import { createHash } from 'node:crypto';
import { utf8 } from './bytes.ts';
import { ed25519Scheme } from './ed25519.ts';
import { mlDsa65Scheme } from './ml-dsa.ts';
import type { SignatureAlgorithm, SignatureScheme } from './scheme.ts';
import { sm2Scheme } from './sm2.ts';

/** A public key as verifiers hold it. */
export interface PublicKeyInfo {
  readonly algorithm: SignatureAlgorithm;
  /** First 16 hex digits of SHA-256(algorithm || publicKey); see keyIdOf. */
  readonly keyId: string;
  readonly publicKey: Uint8Array;
}

export interface KeyPair extends PublicKeyInfo {
  readonly secretKey: Uint8Array;
}

const KEY_ID_HEX_DIGITS = 16;

const SCHEMES: Readonly<Record<SignatureAlgorithm, SignatureScheme>> = {
  ed25519: ed25519Scheme,
  'sm2-sm3': sm2Scheme,
  'ml-dsa-65': mlDsa65Scheme,
};

export function schemeFor(algorithm: SignatureAlgorithm): SignatureScheme {
  return SCHEMES[algorithm];
}

/**
 * A key id names a key in envelopes and key files; it is derived, never chosen, so a verifier
 * recomputes it from the key bytes instead of trusting a label. The algorithm name is hashed in so
 * that equal bytes under two algorithms cannot share an id. 64 bits make accidental collisions
 * negligible among the handful of keys a deployment ever has; forging one gains nothing, because
 * verification uses the key bytes, not the id.
 */
export function keyIdOf(algorithm: SignatureAlgorithm, publicKey: Uint8Array): string {
  return createHash('sha256').update(utf8(algorithm)).update(publicKey).digest('hex').slice(0, KEY_ID_HEX_DIGITS);
}

export function generateKeyPair(algorithm: SignatureAlgorithm): KeyPair {
  const { publicKey, secretKey } = schemeFor(algorithm).generateKeyPair();
  return { algorithm, keyId: keyIdOf(algorithm, publicKey), publicKey, secretKey };
}

/** Rebuilds a key pair from stored secret bytes, or null when they are not a valid secret key. */
export function keyPairFromSecretKey(algorithm: SignatureAlgorithm, secretKey: Uint8Array): KeyPair | null {
  const pair = schemeFor(algorithm).keyPairFromSecretKey(secretKey);
  return pair && { algorithm, keyId: keyIdOf(algorithm, pair.publicKey), publicKey: pair.publicKey, secretKey: pair.secretKey };
}

/** Checks public key bytes from outside (a key file) and attaches their derived id. */
export function publicKeyInfo(algorithm: SignatureAlgorithm, publicKey: Uint8Array): PublicKeyInfo | null {
  if (!schemeFor(algorithm).isValidPublicKey(publicKey)) return null;
  return { algorithm, keyId: keyIdOf(algorithm, publicKey), publicKey: new Uint8Array(publicKey) };
}

/** The public half only, so that secret bytes do not travel further than they must. */
export function publicPart(key: PublicKeyInfo): PublicKeyInfo {
  return { algorithm: key.algorithm, keyId: key.keyId, publicKey: key.publicKey };
}
