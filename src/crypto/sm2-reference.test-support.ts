import { createHash } from 'node:crypto';
import { weierstrass } from '@noble/curves/abstract/weierstrass.js';
import { SM2_CURVE } from './vectors.test-support.ts';

/**
 * SM2 signing and verification written straight from GB/T 32918.2-2016 §6.1 and §7.1, on the
 * generic short-Weierstrass arithmetic of @noble/curves and Node's SM3. It exists only to check
 * sm-crypto-v2 against: it shares none of that library's SM2 code (Z_A, e, r, s are computed here),
 * and is too slow and too trusting of its inputs for anything but tests.
 */
const Point = weierstrass({ p: SM2_CURVE.p, n: SM2_CURVE.n, h: 1n, a: SM2_CURVE.a, b: SM2_CURVE.b, Gx: SM2_CURVE.Gx, Gy: SM2_CURVE.Gy });
const n: bigint = SM2_CURVE.n;

const sm3 = (...parts: Uint8Array[]): Buffer => {
  const hash = createHash('sm3');
  for (const part of parts) hash.update(part);
  return hash.digest();
};
const be32 = (value: bigint): Buffer => Buffer.from(value.toString(16).padStart(64, '0'), 'hex');
const toBigInt = (bytes: Uint8Array): bigint => BigInt(`0x${Buffer.from(bytes).toString('hex')}`);
const mod = (value: bigint): bigint => ((value % n) + n) % n;

/** Z_A = SM3(ENTL_A || ID_A || a || b || x_G || y_G || x_A || y_A), ENTL_A the id length in bits. */
export function referenceZa(userId: string, publicKey: Uint8Array): Buffer {
  const id = Buffer.from(userId, 'utf8');
  const entl = Buffer.alloc(2);
  entl.writeUInt16BE(id.byteLength * 8);
  const point = Point.fromBytes(publicKey).toAffine();
  return sm3(entl, id, be32(SM2_CURVE.a), be32(SM2_CURVE.b), be32(SM2_CURVE.Gx), be32(SM2_CURVE.Gy), be32(point.x), be32(point.y));
}

export function referenceDigest(userId: string, publicKey: Uint8Array, message: Uint8Array): Buffer {
  return sm3(referenceZa(userId, publicKey), message);
}

/** §6.1 with a caller-chosen k, to reproduce published examples. Returns r || s. */
export function referenceSign(secretKey: bigint, message: Uint8Array, k: bigint, userId: string): Buffer {
  const publicKey = Point.BASE.multiply(secretKey).toBytes(false);
  const e = toBigInt(referenceDigest(userId, publicKey, message));
  const x1 = Point.BASE.multiply(k).toAffine().x;
  const r = mod(e + x1);
  if (r === 0n || r + k === n) throw new Error('this k gives no signature; choose another');
  const inverse = modInverse(1n + secretKey);
  const s = mod(inverse * (k - r * secretKey));
  return Buffer.concat([be32(r), be32(s)]);
}

/** §7.1 steps B1–B7. */
export function referenceVerify(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array, userId: string): boolean {
  if (signature.byteLength !== 64) return false;
  const r = toBigInt(signature.subarray(0, 32));
  const s = toBigInt(signature.subarray(32));
  if (r < 1n || r >= n || s < 1n || s >= n) return false;
  const e = toBigInt(referenceDigest(userId, publicKey, message));
  const t = mod(r + s);
  if (t === 0n) return false;
  const sum = Point.BASE.multiply(s).add(Point.fromBytes(publicKey).multiply(t));
  if (sum.equals(Point.ZERO)) return false;
  return mod(e + sum.toAffine().x) === r;
}

/** Extended Euclid modulo the group order n. */
function modInverse(value: bigint): bigint {
  let [oldR, r] = [mod(value), n];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const quotient = oldR / r;
    [oldR, r] = [r, oldR - quotient * r];
    [oldS, s] = [s, oldS - quotient * s];
  }
  return mod(oldS);
}
