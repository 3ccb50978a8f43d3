import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { boundedLines, type BoundedLine } from '../../kernel/index.ts';
import { verifyConsistencyFile, type ConsistencyVerification } from './journal.consistency.ts';
import { MAX_PROOF_ENTRIES, PROOF_FILE_FORMAT, startProofCheck, verifyProofFile, type ProofFile, type ProofVerification } from './journal.proof.ts';

/**
 * Offline verification of proof files that may be far larger than memory. A proof file is one JSON
 * document; written by Sluice it is laid out one entry per line (proofFileText), which is still the
 * same JSON for any other reader, and lets the verifier read it a line at a time: it holds one line
 * (at most MAX_PROOF_LINE_BYTES) and one read chunk, never the file. A file laid out otherwise (one
 * compact line, or pretty-printed) is read whole, up to the same limit.
 */

/**
 * The longest line read: one entry with all its records (at most MAX_PROOF_RECORDS of them, a few
 * MB), or a whole proof file that is not laid out one entry per line. Longer lines are findings.
 */
export const MAX_PROOF_LINE_BYTES = 16 * 1024 * 1024;
/** A keys file lists at most MAX_RING_KEYS keys of a few kilobytes each; anything larger is not one. */
export const MAX_KEYS_FILE_BYTES = 8 * 1024 * 1024;
/** A consistency file or a kept checkpoint: two signed checkpoints and at most 64 hashes fit many times over. */
export const MAX_CONSISTENCY_FILE_BYTES = 1024 * 1024;

/** The first line of a proof file laid out one entry per line ends with the opening of its entries. */
const ENTRIES_OPEN = '"entries":[';
/** Its last line closes them and the file. */
const ENTRIES_CLOSE = ']}';

export interface ProofStreamOptions {
  /** The longest line read; MAX_PROOF_LINE_BYTES unless a test needs a small one. */
  readonly maxLineBytes?: number;
}

/** A proof file as Sluice writes it: the head with the checkpoint on line 1, then one entry per line, then "]}". */
export function proofFileText(file: ProofFile): string {
  const head = JSON.stringify({ format: file.format, checkpoint: file.checkpoint, entries: [] });
  // The head ends with `"entries":[]}`: its last two characters reappear alone on the closing line.
  return `${head.slice(0, -ENTRIES_CLOSE.length)}\n${file.entries.map((entry) => JSON.stringify(entry)).join(',\n')}\n${ENTRIES_CLOSE}\n`;
}

const parseJson = (text: string): { value: unknown } | null => {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return null;
  }
};

const failed = (problem: string): ProofVerification => ({ ok: false, problems: [problem], entries: 0 });

/**
 * Checks a proof file read from `source` against a keys file, in bounded memory: what
 * verifyProofFile checks, plus that no line is longer than the limit and that the file is whole.
 * Never throws for what the file holds; a failing read (a missing file) throws.
 */
export async function verifyProofStream(source: AsyncIterable<Uint8Array | string>, keysValue: unknown, options: ProofStreamOptions = {}): Promise<ProofVerification> {
  const maxLineBytes = options.maxLineBytes ?? MAX_PROOF_LINE_BYTES;
  const tooLong = (number: number) => `line ${number} is longer than ${maxLineBytes} bytes, the most a line of a proof file may hold: it was not read`;
  const lines = boundedLines(source, maxLineBytes);
  const first = await lines.next();
  if (first.done) return failed('the proof file is empty');
  if (first.value.text === null) return failed(tooLong(1));
  const firstText = first.value.text.trimEnd();
  if (!firstText.endsWith(ENTRIES_OPEN)) return verifyWhole(firstText, lines, keysValue, maxLineBytes);

  const head = parseJson(`${firstText}${ENTRIES_CLOSE}`);
  if (!head) return failed(`line 1 is not the head of a ${PROOF_FILE_FORMAT} file`);
  const check = startProofCheck(head.value, keysValue);
  if (!('finish' in check)) return check;
  let closed = false;
  let entryLines = 0;
  for await (const line of lines) {
    const text = line.text?.trim() ?? null;
    if (text === '') continue;
    if (closed) {
      check.problem(`line ${line.number} follows the end of the proof file`);
      break;
    }
    if (text === ENTRIES_CLOSE) {
      closed = true;
      continue;
    }
    // Every other line holds an entry, read or not; past the most a file may carry, nothing more is read.
    entryLines += 1;
    if (entryLines > MAX_PROOF_ENTRIES) {
      check.problem(`the proof file carries more than ${MAX_PROOF_ENTRIES} entries (line ${line.number} holds one more); at most ${MAX_PROOF_ENTRIES} are checked`);
      return check.finish();
    }
    if (text === null) check.problem(tooLong(line.number));
    else check.entry(parseJson(text.endsWith(',') ? text.slice(0, -1) : text)?.value ?? null, `line ${line.number}`);
  }
  if (!closed) check.problem(`the proof file ends before its closing line "${ENTRIES_CLOSE}": it was cut short`);
  return check.finish();
}

/** A proof file not laid out one entry per line: read whole, as long as it stays within one line's limit. */
async function verifyWhole(firstText: string, rest: AsyncGenerator<BoundedLine>, keysValue: unknown, maxLineBytes: number): Promise<ProofVerification> {
  const texts = [firstText];
  let size = Buffer.byteLength(firstText);
  for await (const line of rest) {
    size += 1 + (line.text === null ? maxLineBytes : Buffer.byteLength(line.text));
    if (line.text === null || size > maxLineBytes) {
      return failed(`the proof file is not laid out one entry per line and is longer than ${maxLineBytes} bytes by line ${line.number}, the most such a file may hold: it was not read`);
    }
    texts.push(line.text);
  }
  const parsed = parseJson(texts.join('\n'));
  if (!parsed) return failed('the proof file is not JSON');
  return verifyProofFile(parsed.value, keysValue);
}

/** Reads a small JSON file whole, refusing one larger than `maxBytes`. */
async function readJsonFile(path: string, what: string, maxBytes: number): Promise<unknown> {
  const { size } = await stat(path);
  if (size > maxBytes) throw new Error(`${path} holds ${size} bytes; ${what} holds at most ${maxBytes}`);
  const text = await readFile(path, 'utf8');
  const parsed = parseJson(text);
  if (!parsed) throw new Error(`${path} is not JSON`);
  return parsed.value;
}

const readKeysFile = (path: string) => readJsonFile(path, 'a keys file', MAX_KEYS_FILE_BYTES);

/**
 * `sluice verify --proof FILE --keys FILE`: the keys file read whole (it is small), the proof file
 * streamed. Throws only when a file cannot be read, or the keys file is not one.
 */
export async function verifyProofFiles(proofPath: string, keysPath: string, options: ProofStreamOptions = {}): Promise<ProofVerification> {
  const keys = await readKeysFile(keysPath);
  return verifyProofStream(createReadStream(proofPath), keys, options);
}

/**
 * `sluice verify --consistency FILE --keys FILE [--checkpoint KEPT]`: all three are small and read
 * whole. Throws only when a file cannot be read or is not JSON.
 */
export async function verifyConsistencyFiles(consistencyPath: string, keysPath: string, keptPath?: string): Promise<ConsistencyVerification> {
  const keys = await readKeysFile(keysPath);
  const file = await readJsonFile(consistencyPath, 'a consistency file', MAX_CONSISTENCY_FILE_BYTES);
  const kept = keptPath === undefined ? undefined : await readJsonFile(keptPath, 'a checkpoint file', MAX_CONSISTENCY_FILE_BYTES);
  return verifyConsistencyFile(file, keys, kept);
}
