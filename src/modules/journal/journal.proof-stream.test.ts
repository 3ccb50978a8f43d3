import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../db/index.ts';
import type { KeysFile } from '../../crypto/index.ts';
import type { Platform } from '../../platform.ts';
import { MAX_PROOF_ENTRIES, proofFileText, verifyProofFile, verifyProofFiles, type ProofFile } from './index.ts';
import { boundedLines } from '../../kernel/index.ts';
import { journaledPlatform } from './journal.test-support.ts';

const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
/** tsx compiles the sources on each run, and the machine may be busy with other test files. */
const RUN_TIMEOUT_MS = 60_000;
/** A line limit above any line of the files made here (the head, with its signatures, is about 5 KB) and far below their size. */
const SMALL_LINE_LIMIT = 8192;

const folder = mkdtempSync(join(tmpdir(), 'sluice-proof-stream-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let written = 0;
function fileOf(text: string): string {
  written += 1;
  const path = join(folder, `proof-${written}.json`);
  writeFileSync(path, text);
  return path;
}

/** Lines of a proof file laid out one entry per line, each entry line without its separating comma. */
const layout = (head: string, entryLines: readonly string[], close = ']}') => `${head}\n${entryLines.join(',\n')}\n${close}\n`;

describe('offline verification of proof files a line at a time', () => {
  let platform: Platform;
  let proof: ProofFile;
  let keys: KeysFile;
  let keysPath: string;
  let head: string;
  let entryLines: string[];

  beforeAll(async () => {
    platform = await journaledPlatform(await openSqlite(join(folder, 'sluice.db')), 3);
    proof = (await platform.checkpoints.proof([1n, 3n, 5n])) as ProofFile;
    keys = await platform.checkpoints.keysFile();
    keysPath = fileOf(JSON.stringify(keys));
    [head = '', ...entryLines] = proofFileText(proof).trimEnd().split('\n').slice(0, -1).map((line) => line.replace(/,$/, ''));
  });
  afterAll(async () => platform?.close());

  it('writes a proof file one entry per line that is the same JSON document, and verifies it', async () => {
    const text = proofFileText(proof);
    expect(JSON.parse(text)).toEqual(proof);
    expect(text.split('\n')).toHaveLength(proof.entries.length + 3);
    expect(await verifyProofFiles(fileOf(text), keysPath)).toEqual(verifyProofFile(proof, keys));
    expect(await verifyProofFiles(fileOf(text), keysPath)).toMatchObject({ ok: true, entries: 3, problems: [] });
  });

  it('verifies a generated file over fifty times its line limit, a line at a time', async () => {
    const many = Array.from({ length: MAX_PROOF_ENTRIES }, (_, index) => entryLines[index % entryLines.length] as string);
    const text = layout(head, many);
    expect(text.length).toBeGreaterThan(50 * SMALL_LINE_LIMIT);
    const result = await verifyProofFiles(fileOf(text), keysPath, { maxLineBytes: SMALL_LINE_LIMIT });
    expect(result).toMatchObject({ ok: true, entries: MAX_PROOF_ENTRIES, problems: [] });
    // The same file on one line is over the limit on its first line, and is not read.
    expect(await verifyProofFiles(fileOf(JSON.stringify(JSON.parse(text))), keysPath, { maxLineBytes: SMALL_LINE_LIMIT })).toEqual({
      ok: false, entries: 0, problems: [`line 1 is longer than ${SMALL_LINE_LIMIT} bytes, the most a line of a proof file may hold: it was not read`],
    });
  });

  it('names a line over the limit by its number, and still checks every other line', async () => {
    const padded = JSON.stringify({ ...JSON.parse(entryLines[1] as string), padding: 'x'.repeat(SMALL_LINE_LIMIT) });
    const result = await verifyProofFiles(fileOf(layout(head, [entryLines[0] as string, padded, entryLines[2] as string])), keysPath, { maxLineBytes: SMALL_LINE_LIMIT });
    expect(result).toMatchObject({ ok: false, entries: 2 });
    expect(result.problems).toEqual([`line 3 is longer than ${SMALL_LINE_LIMIT} bytes, the most a line of a proof file may hold: it was not read`]);
  });

  it('fails a file cut short, one that goes on after its end, one with an unreadable or edited line, and one with too many entries', async () => {
    const verify = async (text: string) => verifyProofFiles(fileOf(text), keysPath, { maxLineBytes: SMALL_LINE_LIMIT });
    expect((await verify(`${head}\n${entryLines.join(',\n')}\n`)).problems).toEqual(['the proof file ends before its closing line "]}": it was cut short']);
    expect((await verify(`${layout(head, entryLines)}{"more":1}\n`)).problems).toEqual(['line 6 follows the end of the proof file']);
    expect((await verify(layout(head, [entryLines[0] as string, '{"seq": 3', entryLines[2] as string]))).problems).toEqual(['line 3 is malformed']);
    const edited = JSON.stringify({ ...JSON.parse(entryLines[2] as string), payload: '{}' });
    expect((await verify(layout(head, [entryLines[0] as string, entryLines[1] as string, edited]))).problems).toEqual(['entry 5: its hash does not match its content']);
    const tooMany = Array.from({ length: MAX_PROOF_ENTRIES + 5 }, () => entryLines[0] as string);
    expect(await verify(layout(head, tooMany))).toMatchObject({
      ok: false, entries: MAX_PROOF_ENTRIES, problems: [`the proof file carries more than ${MAX_PROOF_ENTRIES} entries (line ${MAX_PROOF_ENTRIES + 2} holds one more); at most ${MAX_PROOF_ENTRIES} are checked`],
    });
    expect((await verify('')).problems).toEqual(['the proof file is empty']);
  });

  it('reads a proof file laid out otherwise whole, as long as it stays within one line\'s limit', async () => {
    const compact = JSON.stringify(proof);
    const pretty = JSON.stringify(proof, null, 2);
    for (const text of [compact, pretty]) expect(await verifyProofFiles(fileOf(text), keysPath, { maxLineBytes: text.length })).toMatchObject({ ok: true, entries: 3 });
    expect((await verifyProofFiles(fileOf(compact), keysPath, { maxLineBytes: compact.length - 1 })).problems).toEqual([
      `line 1 is longer than ${compact.length - 1} bytes, the most a line of a proof file may hold: it was not read`,
    ]);
    expect((await verifyProofFiles(fileOf(pretty), keysPath, { maxLineBytes: pretty.length - 1 })).problems).toEqual([
      `the proof file is not laid out one entry per line and is longer than ${pretty.length - 1} bytes by line ${pretty.split('\n').length}, the most such a file may hold: it was not read`,
    ]);
    expect((await verifyProofFiles(fileOf('{"format":'), keysPath)).problems).toEqual(['the proof file is not JSON']);
  });

  it('hands each line on before it reads the next chunk, and skips an endless line in bounded memory', async () => {
    const chunkLines = 10;
    let produced = 0;
    let mostAhead = 0;
    async function* source() {
      for (let chunk = 0; chunk < 100; chunk++) {
        yield `${'line\n'.repeat(chunkLines)}`;
        produced += chunkLines;
      }
    }
    let consumed = 0;
    for await (const line of boundedLines(source(), 16)) {
      consumed += 1;
      expect(line).toEqual({ number: consumed, text: 'line' });
      mostAhead = Math.max(mostAhead, produced - consumed);
    }
    expect(consumed).toBe(1000);
    expect(mostAhead).toBeLessThanOrEqual(chunkLines);

    // 64 MiB with no newline, against a 1 KiB limit: one line, reported as too long, then the next one.
    async function* endless() {
      const block = new Uint8Array(64 * 1024).fill(0x78);
      for (let chunk = 0; chunk < 1024; chunk++) yield block;
      yield 'tail\nafter';
    }
    const lines = [];
    for await (const line of boundedLines(endless(), 1024)) lines.push(line);
    expect(lines).toEqual([{ number: 1, text: null }, { number: 2, text: 'after' }]);
  });

  it('answers through sluice verify --proof, naming the line at fault', { timeout: RUN_TIMEOUT_MS }, () => {
    const sluice = (proofPath: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'verify', '--proof', proofPath, '--keys', keysPath], {
      cwd: REPO_ROOT, encoding: 'utf8', timeout: RUN_TIMEOUT_MS,
    });
    const good = sluice(fileOf(proofFileText(proof)));
    expect(good.stdout).toMatch(/^OK: 3 entries against checkpoint 5 of /);
    expect(good.status).toBe(0);
    const bad = sluice(fileOf(layout(head, [entryLines[0] as string, 'not json', entryLines[2] as string])));
    expect(bad.stdout).toMatch(/^FAILED: 3 entries against checkpoint 5 of .*\n {2}line 3 is malformed\n$/);
    expect(bad.status).toBe(1);
  });
});
