/**
 * One-dimensional arrays in PostgreSQL's binary format, for statements that take a whole batch's
 * column as one parameter (`SELECT … FROM UNNEST(?::uuid[], ?::bigint[], …)`, `WHERE id = ANY(?::uuid[])`).
 *
 * The driver sends a JavaScript array as a text literal: every element quoted and escaped, the
 * pieces concatenated, then measured and copied into the message, and the server parses every
 * element back (32 hexadecimal digits per UUID). For a batch of 8,190 transfers that was most of the
 * client's time outside the ledger rules. A Buffer parameter goes out as it is, in binary, and the
 * server's receive functions copy fixed-width values without parsing them.
 *
 * Each encoder returns undefined for input it cannot encode exactly as the server's text input
 * would read it (a UUID not in the usual 8-4-4-4-12 form, an integer outside int8, text with a NUL
 * character); the caller then passes the plain array, so the server accepts or refuses it as before.
 */

/** Element type OIDs (pg_type.oid), which the server checks against the parameter's type. */
const UUID_OID = 2950;
const INT8_OID = 20;
const TEXT_OID = 25;
const FLOAT8_OID = 701;

/** ndim, has-nulls flag, element type, then one dimension's length and lower bound. */
const HEADER_BYTES = 20;
const LENGTH_BYTES = 4;
const UUID_BYTES = 16;
const INT8_BYTES = 8;
const FLOAT8_BYTES = 8;
const UUID_TEXT_LENGTH = 36;
const INT8_MIN = -(2n ** 63n);
const INT8_MAX = 2n ** 63n - 1n;
const SAFE_MIN = BigInt(Number.MIN_SAFE_INTEGER);
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** Hexadecimal digit values by character code; -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let digit = 0; digit < 10; digit++) HEX[48 + digit] = digit;
for (let letter = 0; letter < 6; letter++) {
  HEX[65 + letter] = 10 + letter;
  HEX[97 + letter] = 10 + letter;
}

function header(buffer: Buffer, count: number, hasNulls: boolean, elementOid: number): void {
  buffer.writeInt32BE(1, 0);
  buffer.writeInt32BE(hasNulls ? 1 : 0, 4);
  buffer.writeUInt32BE(elementOid, 8);
  buffer.writeInt32BE(count, 12);
  buffer.writeInt32BE(1, 16);
}

/** Writes the 16 bytes of `text` at `offset`; false unless it is 8-4-4-4-12 hexadecimal digits. */
function writeUuid(buffer: Buffer, offset: number, text: string): boolean {
  if (text.length !== UUID_TEXT_LENGTH) return false;
  let at = offset;
  for (let index = 0; index < UUID_TEXT_LENGTH; ) {
    if (index === 8 || index === 13 || index === 18 || index === 23) {
      if (text.charCodeAt(index) !== 45) return false;
      index += 1;
      continue;
    }
    const high = HEX[text.charCodeAt(index)] ?? -1;
    const low = HEX[text.charCodeAt(index + 1)] ?? -1;
    if (high < 0 || low < 0) return false;
    buffer[at++] = (high << 4) | low;
    index += 2;
  }
  return true;
}

/**
 * An array of a fixed-width element type: `write` puts one non-null element's `width` bytes at
 * `offset` and says false when it cannot be encoded exactly (the whole array then goes as text).
 */
function fixedWidthArray<T>(values: readonly (T | null)[], elementOid: number, width: number, write: (buffer: Buffer, offset: number, value: T) => boolean): Buffer | undefined {
  let nulls = 0;
  for (const value of values) if (value === null) nulls++;
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + values.length * LENGTH_BYTES + (values.length - nulls) * width);
  header(buffer, values.length, nulls > 0, elementOid);
  let offset = HEADER_BYTES;
  for (const value of values) {
    if (value === null) {
      offset = buffer.writeInt32BE(-1, offset);
      continue;
    }
    offset = buffer.writeInt32BE(width, offset);
    if (!write(buffer, offset, value)) return undefined;
    offset += width;
  }
  return buffer;
}

/** Two 32-bit halves: exact for every safe integer, negative ones included, without a bigint. */
function writeSafeInteger(buffer: Buffer, offset: number, value: number): void {
  const high = Math.floor(value / 2 ** 32);
  buffer.writeInt32BE(high, offset);
  buffer.writeUInt32BE(value - high * 2 ** 32, offset + 4);
}

/** Writes an int8 at `offset`; false outside its range or for a number that is not a safe integer. */
function writeInt8(buffer: Buffer, offset: number, value: bigint | number): boolean {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) return false;
    writeSafeInteger(buffer, offset, value);
    return true;
  }
  if (value < INT8_MIN || value > INT8_MAX) return false;
  // Amounts and balances are mostly safe integers: converted, they are written without the bigint
  // arithmetic (and the bigints it allocates) that writeBigInt64BE does for every value.
  if (value >= SAFE_MIN && value <= SAFE_MAX) writeSafeInteger(buffer, offset, Number(value));
  else buffer.writeBigInt64BE(value, offset);
  return true;
}

/** A uuid[] parameter; null elements are SQL NULL. */
export function uuidArray(values: readonly (string | null)[]): Buffer | undefined {
  return fixedWidthArray(values, UUID_OID, UUID_BYTES, writeUuid);
}

/** A bigint[] (int8[]) parameter from bigints or integral numbers; null elements are SQL NULL. */
export function int8Array(values: readonly (bigint | number | null)[]): Buffer | undefined {
  return fixedWidthArray(values, INT8_OID, INT8_BYTES, writeInt8);
}

/** A double precision[] (float8[]) parameter from numbers, exactly as JavaScript holds them; null elements are SQL NULL. */
export function float8Array(values: readonly (number | null)[]): Buffer | undefined {
  return fixedWidthArray(values, FLOAT8_OID, FLOAT8_BYTES, (buffer, offset, value) => {
    if (typeof value !== 'number') return false;
    buffer.writeDoubleBE(value, offset);
    return true;
  });
}

/** A text[] parameter, UTF-8 encoded; null elements are SQL NULL. */
export function textArray(values: readonly (string | null)[]): Buffer | undefined {
  let bytes = 0;
  let nulls = 0;
  for (const value of values) {
    if (value === null) {
      nulls++;
      continue;
    }
    // The server's text input stops at a NUL character; its binary input refuses it. Leave such
    // text to the text path, which behaves as it always has.
    if (value.includes('\0')) return undefined;
    bytes += Buffer.byteLength(value, 'utf8');
  }
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + values.length * LENGTH_BYTES + bytes);
  header(buffer, values.length, nulls > 0, TEXT_OID);
  let offset = HEADER_BYTES;
  for (const value of values) {
    if (value === null) {
      offset = buffer.writeInt32BE(-1, offset);
      continue;
    }
    const length = buffer.write(value, offset + LENGTH_BYTES, 'utf8');
    offset = buffer.writeInt32BE(length, offset) + length;
  }
  return buffer;
}
