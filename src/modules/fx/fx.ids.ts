import { createHash } from 'node:crypto';

/**
 * A UUID derived from a name, shaped as an RFC 9562 version 8 (custom) UUID; the namespace keeps
 * the desk's ids apart from every other derivation on the platform.
 */
export function deriveFxId(...parts: readonly (string | number)[]): string {
  const hex = createHash('sha256').update(`sluice-fx:${parts.join(':')}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
}
