import { Buffer } from 'node:buffer';

/** A line of a stream, numbered from 1; text null when it was longer than the bound and was skipped. */
export type BoundedLine = { readonly number: number; readonly text: string } | { readonly number: number; readonly text: null };

const NEWLINE = 0x0a;

/**
 * Reads files of lines that may be far larger than memory (proof files, dumps). Splits a byte
 * stream into UTF-8 lines (without "\n" or a trailing "\r"), numbered from 1. A line
 * longer than `maxLineBytes` is skipped as it streams past and comes out with text null, so no more
 * than one line and one chunk are ever held.
 */
export async function* boundedLines(source: AsyncIterable<Uint8Array | string>, maxLineBytes: number): AsyncGenerator<BoundedLine> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let number = 1;
  const take = (): BoundedLine => {
    const line: BoundedLine = tooLong ? { number, text: null } : { number, text: Buffer.concat(parts, size).toString('utf8').replace(/\r$/, '') };
    parts = [];
    size = 0;
    tooLong = false;
    number += 1;
    return line;
  };
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    for (let start = 0; start <= bytes.length;) {
      const newline = bytes.indexOf(NEWLINE, start);
      const end = newline === -1 ? bytes.length : newline;
      if (!tooLong && size + (end - start) > maxLineBytes) {
        tooLong = true;
        parts = [];
        size = 0;
      }
      if (!tooLong && end > start) {
        parts.push(bytes.subarray(start, end));
        size += end - start;
      }
      if (newline === -1) break;
      yield take();
      start = newline + 1;
    }
  }
  if (size > 0 || tooLong) yield take();
}
