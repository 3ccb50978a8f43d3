import { randomFillSync } from 'node:crypto';

/**
 * Ids are 128-bit UUIDs. Sluice makes UUIDv7 (time-ordered) so that inserts append to indexes;
 * clients may supply any non-nil UUID for things that move money, and that id is the idempotency key.
 */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const UUID_PATTERN = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';
export const MAX_UUID = 'ffffffff-ffff-ffff-ffff-ffffffffffff';

export function isUuid(text: string): boolean {
  return UUID.test(text.toLowerCase());
}

/** A UUID in the form both databases give back (lower case, 8-4-4-4-12): found under the key it was asked by. */
export function isCanonicalUuid(text: string): boolean {
  return UUID.test(text);
}

/** Canonical form: lower case. Two spellings of one id must be one key. */
export function normalizeUuid(text: string): string {
  return text.toLowerCase();
}

let lastMs = 0;
let sequence = 0;

/**
 * Random bits come from a pool refilled 4 KiB at a time: one system call per 256 ids instead of one
 * per id, which showed up at several percent of CPU when every transfer and leg takes an id.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let poolOffset = POOL_BYTES;

const HEX_DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** Where each byte's two digits go among the 36 characters, which keep their dashes at 8, 13, 18 and 23. */
const DIGITS_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
/**
 * The text of the id being made, written in place: its 16 bytes go straight in as hexadecimal digits
 * and the string is read out once. Copying the bytes into a Buffer of their own, printing it as hex
 * and joining five slices with dashes made several objects per id and took about 700 ns, against
 * about 150 ns.
 */
const text = Buffer.alloc(36, '-', 'latin1');

function putByte(index: number, value: number): void {
  const at = DIGITS_AT[index] as number;
  text[at] = HEX_DIGITS[value >>> 4] as number;
  text[at + 1] = HEX_DIGITS[value & 0x0f] as number;
}

/**
 * A UUIDv7 whose 12-bit sequence field keeps ids from one process strictly increasing within a
 * millisecond (RFC 9562, method 1). If the sequence runs out, the timestamp is advanced by one.
 */
export function uuidv7(nowMs: number = Date.now()): string {
  if (nowMs > lastMs) {
    lastMs = nowMs;
    sequence = 0;
  } else {
    sequence += 1;
    if (sequence > 0xfff) {
      lastMs += 1;
      sequence = 0;
    }
  }
  if (poolOffset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const ms = lastMs;
  putByte(0, Math.floor(ms / 2 ** 40) & 0xff);
  putByte(1, Math.floor(ms / 2 ** 32) & 0xff);
  putByte(2, (ms >>> 24) & 0xff);
  putByte(3, (ms >>> 16) & 0xff);
  putByte(4, (ms >>> 8) & 0xff);
  putByte(5, ms & 0xff);
  putByte(6, 0x70 | ((sequence >>> 8) & 0x0f));
  putByte(7, sequence & 0xff);
  // The variant (10) in the top two bits, then 62 random bits.
  putByte(8, 0x80 | ((pool[poolOffset + 8] as number) & 0x3f));
  for (let index = 9; index < 16; index++) putByte(index, pool[poolOffset + index] as number);
  poolOffset += 16;
  return text.toString('latin1', 0, 36);
}
