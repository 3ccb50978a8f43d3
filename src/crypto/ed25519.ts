import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { RawKeyPair, SignatureScheme } from './scheme.ts';

/**
 * Ed25519 (RFC 8032) through node:crypto. Keys travel as raw bytes: the 32-byte seed as the secret
 * key and the 32-byte encoded point as the public key, the forms every other Ed25519 library reads.
 * Node only takes keys wrapped in DER, so each raw key is given the fixed PKCS #8 or SPKI header
 * that RFC 8410 defines for Ed25519.
 */

const KEY_LENGTH = 32;
const SIGNATURE_LENGTH = 64;
const PKCS8_HEADER = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_HEADER = Buffer.from('302a300506032b6570032100', 'hex');

function privateKeyObject(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_HEADER, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_HEADER, publicKey]), format: 'der', type: 'spki' });
}

function rawPublicKey(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(SPKI_HEADER.length));
}

function rawSeed(key: KeyObject): Uint8Array {
  const der = key.export({ format: 'der', type: 'pkcs8' });
  return new Uint8Array(der.subarray(PKCS8_HEADER.length));
}

export const ed25519Scheme: SignatureScheme = {
  algorithm: 'ed25519',
  publicKeyLength: KEY_LENGTH,
  secretKeyLength: KEY_LENGTH,
  signatureLength: SIGNATURE_LENGTH,

  generateKeyPair(): RawKeyPair {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    return { secretKey: rawSeed(privateKey), publicKey: rawPublicKey(publicKey) };
  },

  keyPairFromSecretKey(secretKey) {
    if (secretKey.byteLength !== KEY_LENGTH) return null;
    return { secretKey: new Uint8Array(secretKey), publicKey: rawPublicKey(createPublicKey(privateKeyObject(secretKey))) };
  },

  isValidPublicKey(publicKey) {
    if (publicKey.byteLength !== KEY_LENGTH) return false;
    try {
      publicKeyObject(publicKey);
      return true;
    } catch {
      return false;
    }
  },

  sign(message, keyPair) {
    return new Uint8Array(sign(null, message, privateKeyObject(keyPair.secretKey)));
  },

  verify(signature, message, publicKey) {
    if (signature.byteLength !== SIGNATURE_LENGTH || publicKey.byteLength !== KEY_LENGTH) return false;
    try {
      return verify(null, message, publicKeyObject(publicKey), signature);
    } catch {
      // OpenSSL refuses some encodings (a point not on the curve) by throwing rather than saying no.
      return false;
    }
  },
};
