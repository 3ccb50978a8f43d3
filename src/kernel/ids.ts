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

function randomSixteen(): Buffer {
  if (poolOffset + 16 > POOL_BYTES) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = Buffer.from(pool.subarray(poolOffset, poolOffset + 16));
  poolOffset += 16;
  return bytes;
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
  const bytes = randomSixteen();
  const ms = lastMs;
  bytes[0] = Math.floor(ms / 2 ** 40) & 0xff;
  bytes[1] = Math.floor(ms / 2 ** 32) & 0xff;
  bytes[2] = (ms >>> 24) & 0xff;
  bytes[3] = (ms >>> 16) & 0xff;
  bytes[4] = (ms >>> 8) & 0xff;
  bytes[5] = ms & 0xff;
  bytes[6] = 0x70 | ((sequence >>> 8) & 0x0f);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
