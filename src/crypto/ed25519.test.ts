import { ed25519 as nobleEd25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import { ed25519Scheme } from './ed25519.ts';
import { ED25519_RFC8032 } from './vectors.test-support.ts';

const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('Ed25519 known answers (RFC 8032 §7.1)', () => {
  it.each(ED25519_RFC8032)('$name: derives the public key and reproduces the published signature', (vector) => {
    const pair = ed25519Scheme.keyPairFromSecretKey(hex(vector.secretKey));
    expect(toHex(pair?.publicKey ?? new Uint8Array())).toBe(vector.publicKey);
    // Ed25519 signatures are deterministic, so the published one must come out exactly.
    const signature = ed25519Scheme.sign(hex(vector.message), { secretKey: hex(vector.secretKey), publicKey: hex(vector.publicKey) });
    expect(toHex(signature)).toBe(vector.signature);
    expect(ed25519Scheme.verify(hex(vector.signature), hex(vector.message), hex(vector.publicKey))).toBe(true);
  });
});

describe('Ed25519 signatures made here', () => {
  it('fail for a flipped bit and for malformed input, without throwing', () => {
    const pair = ed25519Scheme.generateKeyPair();
    const message = new TextEncoder().encode('checkpoint');
    const signature = ed25519Scheme.sign(message, pair);
    expect(ed25519Scheme.verify(signature, message, pair.publicKey)).toBe(true);
    const bad = new Uint8Array(signature);
    bad[10] = (bad[10] as number) ^ 1;
    expect(ed25519Scheme.verify(bad, message, pair.publicKey)).toBe(false);
    expect(ed25519Scheme.verify(signature.subarray(1), message, pair.publicKey)).toBe(false);
    expect(ed25519Scheme.verify(signature, message, new Uint8Array(31))).toBe(false);
    expect(ed25519Scheme.verify(signature, message, new Uint8Array(32).fill(0xff))).toBe(false);
  });
});

describe('Ed25519 across implementations (node:crypto / OpenSSL and @noble/curves)', () => {
  it('signatures by node:crypto verify with noble, and noble signatures verify with node:crypto', () => {
    for (let round = 0; round < 16; round++) {
      const message = crypto.getRandomValues(new Uint8Array(round * 7));
      const ours = ed25519Scheme.generateKeyPair();
      expect(nobleEd25519.verify(ed25519Scheme.sign(message, ours), message, ours.publicKey)).toBe(true);
      const secretKey = nobleEd25519.utils.randomSecretKey();
      const publicKey = nobleEd25519.getPublicKey(secretKey);
      expect(ed25519Scheme.verify(nobleEd25519.sign(message, secretKey), message, publicKey)).toBe(true);
      expect(toHex(ed25519Scheme.keyPairFromSecretKey(secretKey)?.publicKey ?? new Uint8Array())).toBe(toHex(publicKey));
    }
  });
});
