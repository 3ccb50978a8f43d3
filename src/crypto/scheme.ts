/**
 * The signature algorithms Sluice signs with. Each is implemented in a file of its own behind the
 * same small interface, so that envelopes, key rings and key files treat them alike.
 *
 * - `ed25519`: RFC 8032 Ed25519 through node:crypto (OpenSSL).
 * - `sm2-sm3`: GB/T 32918.2 SM2 digital signature with SM3 and the default user id, through
 *   sm-crypto-v2. node:crypto knows the SM2 curve only as an EC curve: it signs ECDSA over it,
 *   without the Z_A preprocessing and signing equation of GB/T 32918, which no SM2 verifier accepts.
 * - `ml-dsa-65`: FIPS 204 ML-DSA-65, pure mode with an empty context string, through
 *   @noble/post-quantum.
 */
export const SIGNATURE_ALGORITHMS = ['ed25519', 'sm2-sm3', 'ml-dsa-65'] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

export function isSignatureAlgorithm(value: unknown): value is SignatureAlgorithm {
  return typeof value === 'string' && (SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}

export interface RawKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

export interface SignatureScheme {
  readonly algorithm: SignatureAlgorithm;
  readonly publicKeyLength: number;
  readonly secretKeyLength: number;
  /** Every scheme here has fixed-length signatures, which lets verifiers reject odd sizes early. */
  readonly signatureLength: number;
  generateKeyPair(): RawKeyPair;
  /** Rebuilds the pair from its secret half, or null when the bytes are not a valid secret key. */
  keyPairFromSecretKey(secretKey: Uint8Array): RawKeyPair | null;
  isValidPublicKey(publicKey: Uint8Array): boolean;
  sign(message: Uint8Array, keyPair: RawKeyPair): Uint8Array;
  /** False for a wrong signature and for malformed input alike: verifiers read untrusted bytes. */
  verify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}
