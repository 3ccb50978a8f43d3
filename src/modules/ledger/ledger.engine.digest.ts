import { assert } from '../../kernel/index.ts';
import { createLineDigest, type HashAlgorithm } from '../../crypto/index.ts';
import type { BatchEffects, LedgerSnapshot } from './ledger.apply.ts';
import { accountEventLine, accountLine, expiryLine, sortLines, transferText, type DigestLine } from './ledger.digest.ts';

/**
 * The digest of what one ledger batch wrote, which the engine puts in the batch's journal entry and
 * verification recomputes from the tables (ledger.verify.ts).
 */

/** One kind of record a batch wrote, in the order it was created, as digest lines. */
interface DigestSource {
  readonly length: number;
  timestamp(index: number): bigint;
  /** The line's text (without its timestamp wrapper, which a full batch would allocate 8,190 times). */
  line(index: number): string;
}

/**
 * Lines handed to the hash at once, joined by newlines. The line digest ends every piece it is given
 * with a newline, so a piece of several lines joined by newlines hashes exactly the same bytes as
 * those lines one by one, in a few dozen calls instead of two per line.
 */
const DIGEST_LINES_PER_UPDATE = 256;

export function digestSources(effects: BatchEffects, expired: readonly string[], snapshot: LedgerSnapshot): DigestSource[] {
  const { newAccounts, newTransfers, accountEvents } = effects;
  const expiries = expired.map((id) => {
    const state = snapshot.pending.get(id);
    assert(state, `expired pending ${id} not in snapshot`);
    return { id, timestamp: state.resolvedAt };
  });
  const at = <T>(list: readonly T[], index: number) => list[index] as T;
  return [
    { length: newAccounts.length, timestamp: (i) => at(newAccounts, i).timestamp, line: (i) => accountLine(at(newAccounts, i), at(newAccounts, i).flags).line },
    { length: newTransfers.length, timestamp: (i) => at(newTransfers, i).timestamp, line: (i) => transferText(at(newTransfers, i)) },
    { length: accountEvents.length, timestamp: (i) => at(accountEvents, i).timestamp, line: (i) => accountEventLine(at(accountEvents, i)).line },
    { length: expiries.length, timestamp: (i) => at(expiries, i).timestamp, line: (i) => expiryLine(at(expiries, i).id, at(expiries, i).timestamp).line },
  ];
}

/**
 * Hashes a batch's lines in timestamp order, the order in which the verifier recomputes them from
 * the tables. Each source is already in that order (records are created as the clock ticks), so the
 * lines are merged as they are hashed rather than built, kept and sorted all at once: a full batch
 * makes megabytes of line text, and holding all of it until the sort only gives the garbage
 * collector live data to copy. Should a source ever be out of order, the lines are sorted as before.
 */
export function digestInOrder(sources: readonly DigestSource[], algorithm: HashAlgorithm): { hex: string; first: bigint; last: bigint } {
  const digest = createLineDigest(algorithm);
  const piece: string[] = [];
  const add = (line: string) => {
    piece.push(line);
    if (piece.length === DIGEST_LINES_PER_UPDATE) digest.add(piece.splice(0).join('\n'));
  };
  const ascending = sources.every((source) => {
    for (let index = 1; index < source.length; index++) if (source.timestamp(index - 1) >= source.timestamp(index)) return false;
    return true;
  });
  if (!ascending) {
    const lines = sortLines(
      sources.flatMap((source) => Array.from({ length: source.length }, (_, index): DigestLine => ({ timestamp: source.timestamp(index), line: source.line(index) }))),
    );
    for (const line of lines) add(line.line);
    if (piece.length > 0) digest.add(piece.join('\n'));
    return { hex: digest.hex(), first: (lines[0] as DigestLine).timestamp, last: (lines[lines.length - 1] as DigestLine).timestamp };
  }
  const heads = sources.map(() => 0);
  let first: bigint | undefined;
  let last = 0n;
  for (;;) {
    let next = -1;
    let nextTimestamp = 0n;
    for (let index = 0; index < sources.length; index++) {
      const source = sources[index] as DigestSource;
      const head = heads[index] as number;
      if (head >= source.length) continue;
      const timestamp = source.timestamp(head);
      if (next < 0 || timestamp < nextTimestamp) {
        next = index;
        nextTimestamp = timestamp;
      }
    }
    if (next < 0) break;
    const head = heads[next] as number;
    add((sources[next] as DigestSource).line(head));
    heads[next] = head + 1;
    first ??= nextTimestamp;
    last = nextTimestamp;
  }
  assert(first !== undefined, 'a digest needs at least one line');
  if (piece.length > 0) digest.add(piece.join('\n'));
  return { hex: digest.hex(), first, last };
}
