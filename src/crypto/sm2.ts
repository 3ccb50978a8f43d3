import { sm2 } from 'sm-crypto-v2';
import { toHex } from './bytes.ts';
import type { RawKeyPair, SignatureScheme } from './scheme.ts';

/**
 * SM2 signatures (GB/T 32918.2-2016) over the recommended 256-bit curve (GB/T 32918.5), hashed with
 * SM3 (GB/T 32905) as the standard prescribes: e = SM3(Z_A || M), where
 * Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A) binds the signer's identity and
 * public key into every signature.
 *
 * ID_A is the default distinguishing identifier "1234567812345678" (ENTL_A = 128 bits) that
 * GM/T 0009-2012 §10 specifies when parties have agreed on no other. Every Sluice signature uses it,
 * so any SM2 verifier that follows GB/T 32918 with the default id accepts them. It is passed
 * explicitly rather than left to the library's default so that a change there cannot silently
 * change what we sign.
 *
 * Encodings: secret key = 32-byte big-endian scalar d; public key = 65-byte uncompressed point
 * 04 || x || y; signature = 64 bytes r || s (each 32-byte big-endian), not DER, so that every valid
 * signature has exactly one encoding.
 */
export const SM2_DEFAULT_USER_ID = '1234567812345678';

/** Order n of the base point of the recommended curve (GB/T 32918.5). */
const CURVE_ORDER = 0xfffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123n;
const SECRET_KEY_LENGTH = 32;
const PUBLIC_KEY_LENGTH = 65;
const SIGNATURE_LENGTH = 64;
const UNCOMPRESSED_POINT = 0x04;
const SIGN_OPTIONS = { hash: true, userId: SM2_DEFAULT_USER_ID } as const;

function scalar(bytes: Uint8Array): bigint {
  return BigInt(`0x${toHex(bytes) || '0'}`);
}

/** d must lie in [1, n - 2]: signing divides by (1 + d), which is zero modulo n for d = n - 1. */
function isValidSecretKey(secretKey: Uint8Array): boolean {
  if (secretKey.byteLength !== SECRET_KEY_LENGTH) return false;
  const d = scalar(secretKey);
  return d >= 1n && d <= CURVE_ORDER - 2n;
}

function hexToBytes(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

export const sm2Scheme: SignatureScheme = {
  algorithm: 'sm2-sm3',
  publicKeyLength: PUBLIC_KEY_LENGTH,
  secretKeyLength: SECRET_KEY_LENGTH,
  signatureLength: SIGNATURE_LENGTH,

  generateKeyPair(): RawKeyPair {
    // The library draws d uniformly from [1, n - 1]; drawing n - 1 is astronomically unlikely, but
    // it would make a key that cannot sign, so such a draw is simply repeated.
    for (;;) {
      const pair = sm2.generateKeyPairHex();
      const secretKey = hexToBytes(pair.privateKey);
      if (isValidSecretKey(secretKey)) return { secretKey, publicKey: hexToBytes(pair.publicKey) };
    }
  },

  keyPairFromSecretKey(secretKey) {
    if (!isValidSecretKey(secretKey)) return null;
    return { secretKey: new Uint8Array(secretKey), publicKey: hexToBytes(sm2.getPublicKeyFromPrivateKey(toHex(secretKey))) };
  },

  isValidPublicKey(publicKey) {
    if (publicKey.byteLength !== PUBLIC_KEY_LENGTH || publicKey[0] !== UNCOMPRESSED_POINT) return false;
    try {
      return sm2.verifyPublicKey(toHex(publicKey));
    } catch {
      return false;
    }
  },

  sign(message, keyPair) {
    // Handing over the public key spares the library deriving it again for Z_A on every signature.
    const signatureHex = sm2.doSignature(message, toHex(keyPair.secretKey), { ...SIGN_OPTIONS, publicKey: toHex(keyPair.publicKey) });
    return hexToBytes(signatureHex);
  },

  verify(signature, message, publicKey) {
    if (signature.byteLength !== SIGNATURE_LENGTH || !sm2Scheme.isValidPublicKey(publicKey)) return false;
    // GB/T 32918.2 §7.1 B1–B2: r and s must lie in [1, n - 1]. The library leaves this to its curve
    // arithmetic, which throws for some out-of-range values instead of answering no.
    const r = scalar(signature.subarray(0, 32));
    const s = scalar(signature.subarray(32));
    if (r < 1n || r >= CURVE_ORDER || s < 1n || s >= CURVE_ORDER) return false;
    try {
      return sm2.doVerifySignature(message, toHex(signature), toHex(publicKey), SIGN_OPTIONS);
    } catch {
      return false;
    }
  },
};
