import { timingSafeEqual } from 'node:crypto';

/**
 * Byte encodings used on the wire (envelopes, proofs, key files). Decoders are strict: Node's own
 * decoders skip characters they do not understand, which would let two different strings stand for
 * the same bytes, and a verifier must reject what a signer could never have produced.
 */

const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEX_PATTERN = /^(?:[0-9a-f]{2})*$/;

export function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** Canonical padded base64 only; returns null for anything else. */
export function fromBase64(text: unknown): Uint8Array | null {
  if (typeof text !== 'string' || !BASE64_PATTERN.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Unused low bits in the last character must be zero, so that each byte string has one spelling.
  return bytes.toString('base64') === text ? new Uint8Array(bytes) : null;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Lower-case hex of whole bytes only; returns null for anything else. */
export function fromHex(text: unknown): Uint8Array | null {
  if (typeof text !== 'string' || !HEX_PATTERN.test(text)) return null;
  return new Uint8Array(Buffer.from(text, 'hex'));
}

export function utf8(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'utf8'));
}

export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

/** Compares in time independent of where the inputs differ, for MACs and key identifiers alike. */
export function equalBytes(left: Uint8Array, right: Uint8Array): boolean {
  return left.byteLength === right.byteLength && timingSafeEqual(left, right);
}
