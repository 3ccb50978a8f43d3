import { createRequire } from 'node:module';
import { sm2 as smCryptoV2 } from 'sm-crypto-v2';
import { describe, expect, it } from 'vitest';
import { SM2_DEFAULT_USER_ID, sm2Scheme } from './sm2.ts';
import { referenceDigest, referenceSign, referenceVerify, referenceZa } from './sm2-reference.test-support.ts';
import { SM2_ANNEX_A } from './vectors.test-support.ts';

/**
 * sm-crypto (the original, jsbn-based implementation) as a second opinion. It ships no types, so
 * only the two functions used here are described.
 */
interface SmCrypto {
  sm2: {
    doSignature(message: number[] | string, privateKey: string, options: { hash: boolean; userId: string; publicKey?: string }): string;
    doVerifySignature(message: number[] | string, signature: string, publicKey: string, options: { hash: boolean; userId: string }): boolean;
  };
}
const smCrypto = createRequire(import.meta.url)('sm-crypto') as SmCrypto;

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const bytesOf = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'utf8'));
const annexSignature = hex(SM2_ANNEX_A.r + SM2_ANNEX_A.s);
const annexPublicKey = hex(SM2_ANNEX_A.publicKey);
const annexMessage = bytesOf(SM2_ANNEX_A.message);

describe('SM2 known answers (GM/T 0003.5-2012 Annex A, recommended curve, default user id)', () => {
  it('uses the default distinguishing identifier of GM/T 0009-2012', () => {
    expect(SM2_DEFAULT_USER_ID).toBe(SM2_ANNEX_A.userId);
  });

  it('derives the published public key from the published private key', () => {
    const pair = sm2Scheme.keyPairFromSecretKey(hex(SM2_ANNEX_A.privateKey));
    expect(Buffer.from(pair?.publicKey ?? []).toString('hex')).toBe(SM2_ANNEX_A.publicKey);
  });

  it('has a reference implementation that reproduces Z_A, e and the signature of the annex', () => {
    expect(referenceZa(SM2_ANNEX_A.userId, annexPublicKey).toString('hex')).toBe(SM2_ANNEX_A.za);
    expect(referenceDigest(SM2_ANNEX_A.userId, annexPublicKey, annexMessage).toString('hex')).toBe(SM2_ANNEX_A.e);
    const signature = referenceSign(BigInt(`0x${SM2_ANNEX_A.privateKey}`), annexMessage, BigInt(`0x${SM2_ANNEX_A.k}`), SM2_ANNEX_A.userId);
    expect(signature.toString('hex')).toBe(SM2_ANNEX_A.r + SM2_ANNEX_A.s);
  });

  it('accepts the published signature', () => {
    expect(sm2Scheme.verify(annexSignature, annexMessage, annexPublicKey)).toBe(true);
  });

  it('produces the published signature when the library is handed the published k', () => {
    // sm-crypto-v2 takes precomputed (k, x1 of [k]G) points; with the annex's k the signature is fixed.
    const x1 = smCryptoV2.getPublicKeyFromPrivateKey(SM2_ANNEX_A.k).slice(2, 66);
    expect(x1).toBe(SM2_ANNEX_A.x1);
    const signature = smCryptoV2.doSignature(annexMessage, SM2_ANNEX_A.privateKey, {
      hash: true,
      userId: SM2_DEFAULT_USER_ID,
      publicKey: SM2_ANNEX_A.publicKey,
      pointPool: [{ k: BigInt(`0x${SM2_ANNEX_A.k}`), x1: BigInt(`0x${x1}`) }],
    });
    expect(signature).toBe(SM2_ANNEX_A.r + SM2_ANNEX_A.s);
  });

  it('rejects the published signature over another message, under another user id, or with r and s swapped', () => {
    expect(sm2Scheme.verify(annexSignature, bytesOf('message digesT'), annexPublicKey)).toBe(false);
    expect(referenceVerify(annexSignature, annexMessage, annexPublicKey, 'ALICE123@YAHOO.COM')).toBe(false);
    expect(sm2Scheme.verify(hex(SM2_ANNEX_A.s + SM2_ANNEX_A.r), annexMessage, annexPublicKey)).toBe(false);
  });
});

describe('SM2 signatures made here', () => {
  const pair = sm2Scheme.generateKeyPair();
  const message = bytesOf('sluice checkpoint 42');

  it('verify, and fail for any flipped bit of the signature or the message', () => {
    const signature = sm2Scheme.sign(message, pair);
    expect(signature.byteLength).toBe(64);
    expect(sm2Scheme.verify(signature, message, pair.publicKey)).toBe(true);
    for (const position of [0, 31, 32, 63]) {
      const bad = new Uint8Array(signature);
      bad[position] = (bad[position] as number) ^ 1;
      expect(sm2Scheme.verify(bad, message, pair.publicKey)).toBe(false);
    }
    const otherMessage = new Uint8Array(message);
    otherMessage[0] = (otherMessage[0] as number) ^ 0x80;
    expect(sm2Scheme.verify(signature, otherMessage, pair.publicKey)).toBe(false);
  });

  it('answers no, without throwing, for out-of-range scalars, odd lengths and points off the curve', () => {
    const signature = sm2Scheme.sign(message, pair);
    const order = hex('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54123');
    expect(sm2Scheme.verify(new Uint8Array(64), message, pair.publicKey)).toBe(false);
    expect(sm2Scheme.verify(Buffer.concat([order, signature.subarray(32)]), message, pair.publicKey)).toBe(false);
    expect(sm2Scheme.verify(Buffer.concat([signature.subarray(0, 32), order]), message, pair.publicKey)).toBe(false);
    expect(sm2Scheme.verify(signature.subarray(0, 63), message, pair.publicKey)).toBe(false);
    const offCurve = new Uint8Array(pair.publicKey);
    offCurve[64] = (offCurve[64] as number) ^ 1;
    expect(sm2Scheme.isValidPublicKey(offCurve)).toBe(false);
    expect(sm2Scheme.verify(signature, message, offCurve)).toBe(false);
  });

  it('refuses secret keys outside [1, n - 2]', () => {
    expect(sm2Scheme.keyPairFromSecretKey(new Uint8Array(32))).toBeNull();
    expect(sm2Scheme.keyPairFromSecretKey(hex('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54122'))).toBeNull();
    expect(sm2Scheme.keyPairFromSecretKey(hex('fffffffeffffffffffffffffffffffff7203df6b21c6052b53bbf40939d54121'))).not.toBeNull();
  });
});

describe('SM2 across implementations', () => {
  const rounds = 8;

  it('signatures by sm-crypto-v2 verify with sm-crypto and with the reference written from the standard', () => {
    for (let round = 0; round < rounds; round++) {
      const pair = sm2Scheme.generateKeyPair();
      const message = bytesOf(`cross-check ${round} 中文`);
      const signature = sm2Scheme.sign(message, pair);
      const signatureHex = Buffer.from(signature).toString('hex');
      const publicHex = Buffer.from(pair.publicKey).toString('hex');
      expect(smCrypto.sm2.doVerifySignature(Array.from(message), signatureHex, publicHex, { hash: true, userId: SM2_DEFAULT_USER_ID })).toBe(true);
      expect(referenceVerify(signature, message, pair.publicKey, SM2_DEFAULT_USER_ID)).toBe(true);
    }
  });

  it('signatures by sm-crypto and by the reference verify here', () => {
    for (let round = 0; round < rounds; round++) {
      const pair = sm2Scheme.generateKeyPair();
      const message = bytesOf(`the other way ${round}`);
      const secretHex = Buffer.from(pair.secretKey).toString('hex');
      const publicHex = Buffer.from(pair.publicKey).toString('hex');
      const theirs = smCrypto.sm2.doSignature(Array.from(message), secretHex, { hash: true, userId: SM2_DEFAULT_USER_ID, publicKey: publicHex });
      expect(sm2Scheme.verify(hex(theirs), message, pair.publicKey)).toBe(true);
      const k = BigInt(`0x${Buffer.from(crypto.getRandomValues(new Uint8Array(31))).toString('hex')}`) + 1n;
      const reference = referenceSign(BigInt(`0x${secretHex}`), message, k, SM2_DEFAULT_USER_ID);
      expect(sm2Scheme.verify(reference, message, pair.publicKey)).toBe(true);
    }
  });
});
