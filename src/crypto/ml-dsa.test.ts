import { createHash } from 'node:crypto';
import { createMLDSA65 } from '@oqs/liboqs-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mlDsa65KeyPairFromSeed, mlDsa65Scheme } from './ml-dsa.ts';
import { ML_DSA_65_ACVP_KEYGEN } from './vectors.test-support.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('ML-DSA-65 known answers', () => {
  it('derives the ACVP keyGen test case 26 key pair from its seed (FIPS 204 final)', () => {
    const pair = mlDsa65KeyPairFromSeed(Buffer.from(ML_DSA_65_ACVP_KEYGEN.seed, 'hex'));
    expect(pair.publicKey.byteLength).toBe(1952);
    expect(pair.secretKey.byteLength).toBe(4032);
    expect(hex(pair.publicKey.subarray(0, 32))).toBe(ML_DSA_65_ACVP_KEYGEN.publicKeyRho);
    expect(sha256(pair.publicKey)).toBe(ML_DSA_65_ACVP_KEYGEN.publicKeySha256);
    expect(hex(pair.secretKey.subarray(0, 128))).toBe(ML_DSA_65_ACVP_KEYGEN.secretKeyPrefix);
  });

  it('derives the same key pair from the same seed every time, and another from another seed', () => {
    const seed = new Uint8Array(32).map((_, index) => index);
    const first = mlDsa65KeyPairFromSeed(seed);
    expect(hex(mlDsa65KeyPairFromSeed(seed).publicKey)).toBe(hex(first.publicKey));
    seed[0] = 0xff;
    expect(hex(mlDsa65KeyPairFromSeed(seed).publicKey)).not.toBe(hex(first.publicKey));
  });

  it('rebuilds the public key from the stored secret key', () => {
    const pair = mlDsa65Scheme.generateKeyPair();
    expect(hex(mlDsa65Scheme.keyPairFromSecretKey(pair.secretKey)?.publicKey ?? new Uint8Array())).toBe(hex(pair.publicKey));
    expect(mlDsa65Scheme.keyPairFromSecretKey(pair.secretKey.subarray(1))).toBeNull();
  });
});

describe('ML-DSA-65 signatures made here', () => {
  const pair = mlDsa65Scheme.generateKeyPair();
  const message = new TextEncoder().encode('sluice checkpoint 7');
  const signature = mlDsa65Scheme.sign(message, pair);

  it('are 3,309 bytes and verify', () => {
    expect(signature.byteLength).toBe(3309);
    expect(mlDsa65Scheme.verify(signature, message, pair.publicKey)).toBe(true);
  });

  it('fail for a flipped bit in the signature, the message or the key, without throwing', () => {
    for (const position of [0, 100, 3308]) {
      const bad = new Uint8Array(signature);
      bad[position] = (bad[position] as number) ^ 1;
      expect(mlDsa65Scheme.verify(bad, message, pair.publicKey)).toBe(false);
    }
    const otherMessage = new Uint8Array(message);
    otherMessage[0] = (otherMessage[0] as number) ^ 1;
    expect(mlDsa65Scheme.verify(signature, otherMessage, pair.publicKey)).toBe(false);
    const otherKey = new Uint8Array(pair.publicKey);
    otherKey[40] = (otherKey[40] as number) ^ 1;
    expect(mlDsa65Scheme.verify(signature, message, otherKey)).toBe(false);
    expect(mlDsa65Scheme.verify(signature.subarray(1), message, pair.publicKey)).toBe(false);
    expect(mlDsa65Scheme.verify(signature, message, pair.publicKey.subarray(1))).toBe(false);
  });
});

describe('ML-DSA-65 across implementations (liboqs, the pq-crystals reference code compiled to WebAssembly)', () => {
  let liboqs: Awaited<ReturnType<typeof createMLDSA65>>;
  beforeAll(async () => {
    liboqs = await createMLDSA65();
  });
  afterAll(() => liboqs.destroy());

  it('liboqs verifies signatures made here, and rejects a tampered one', () => {
    const pair = mlDsa65Scheme.generateKeyPair();
    for (let round = 0; round < 3; round++) {
      const message = new TextEncoder().encode(`round ${round}: 供应链金融`);
      const signature = mlDsa65Scheme.sign(message, pair);
      expect(liboqs.verify(message, signature, pair.publicKey)).toBe(true);
      const bad = new Uint8Array(signature);
      bad[2000] = (bad[2000] as number) ^ 1;
      expect(liboqs.verify(message, bad, pair.publicKey)).toBe(false);
    }
  });

  it('signatures made by liboqs, with keys made by liboqs, verify here', () => {
    const theirs = liboqs.generateKeyPair();
    const message = new TextEncoder().encode('made elsewhere');
    expect(mlDsa65Scheme.verify(liboqs.sign(message, theirs.secretKey), message, theirs.publicKey)).toBe(true);
    // And liboqs signs with a secret key made here: both sides encode keys as FIPS 204 says.
    const ours = mlDsa65Scheme.generateKeyPair();
    expect(mlDsa65Scheme.verify(liboqs.sign(message, ours.secretKey), message, ours.publicKey)).toBe(true);
  });
});
