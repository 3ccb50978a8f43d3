import type { NameForm, Token } from './screening.names.ts';
import { similarityBound, tokenSimilarity } from './screening.similarity.ts';

/**
 * How alike two names are, whatever the order of their words. Every word of the query is compared
 * with every word of the listed name, and single words with neighbouring pairs joined ("Jin Ping"
 * meets "Jinping", "Al Dari" meets "Aldari"); the best pairs are taken greedily, each word used once.
 * The score is the mean of two coverages, both weighted by similarity:
 *   - of the letters: matched weight over the weight of both names, so long words count more;
 *   - of the words: matched words over the words of both names, so a first name alone, however
 *     long, does not make "Mohammed" a match for "Mohammed Ali Hassan".
 */
export type PairReason = 'same' | 'initial' | 'transliteration' | 'similar_spelling' | 'spelling';

export interface TokenMatch {
  readonly similarity: number;
  readonly reason: PairReason;
}

export interface AlignedPair extends TokenMatch {
  /** Positions covered in the query form and the listed form: one, or two joined neighbours. */
  readonly query: readonly number[];
  readonly candidate: readonly number[];
  readonly queryText: string;
  readonly candidateText: string;
}

export interface Alignment {
  readonly score: number;
  readonly pairs: readonly AlignedPair[];
  readonly orderDiffers: boolean;
  readonly unmatchedQuery: readonly number[];
  readonly unmatchedCandidate: readonly number[];
}

/** Two words below this similarity are different words, not one word misspelt. */
export const TOKEN_MATCH_FLOOR = 0.75;
/** An initial agrees with any word it could abbreviate, but is less sure than the word itself. */
export const INITIAL_SIMILARITY = 0.85;
/** Same transliteration key: the same name spelt another way. */
export const TRANSLITERATION_SIMILARITY = 0.95;
/** Same consonant skeleton, vowels differ: possibly the same name (Abdel / Abdul). */
export const SKELETON_SIMILARITY = 0.85;

const NO_MATCH: TokenMatch = Object.freeze({ similarity: 0, reason: 'spelling' });
const SAME: TokenMatch = Object.freeze({ similarity: 1, reason: 'same' });
const INITIAL: TokenMatch = Object.freeze({ similarity: INITIAL_SIMILARITY, reason: 'initial' });
const TRANSLITERATION: TokenMatch = Object.freeze({ similarity: TRANSLITERATION_SIMILARITY, reason: 'transliteration' });
const SKELETON: TokenMatch = Object.freeze({ similarity: SKELETON_SIMILARITY, reason: 'similar_spelling' });

/**
 * Compares two tokens. The cheap verdicts come first (same text, initials, same keys, letter-set
 * bound); only pairs that might be misspellings of each other reach the string metrics, whose
 * results `cache` keeps for the rest of the screen.
 */
export function compareTokens(a: Token, b: Token, cache?: Map<number, TokenMatch>): TokenMatch {
  if (a.text === b.text) return SAME;
  if (a.kind === 'han' || b.kind === 'han') return NO_MATCH;
  if (a.kind === 'initial' || b.kind === 'initial') {
    if (a.kind === b.kind) return NO_MATCH;
    const [initial, word] = a.kind === 'initial' ? [a, b] : [b, a];
    // Particles can be given names too: "A. Green" is Al Green, "B. Sasse" is Ben Sasse.
    return word.text.startsWith(initial.text) ? INITIAL : NO_MATCH;
  }
  if (a.key === b.key) return TRANSLITERATION;
  // A particle ("al", "bin") only meets a word when they are spelt alike; "al" is not "ali".
  if ((a.kind === 'particle') !== (b.kind === 'particle')) return NO_MATCH;
  const sameSkeleton = a.skeleton === b.skeleton;
  if (!sameSkeleton && similarityBound(a.text, a.letters, b.text, b.letters) < TOKEN_MATCH_FLOOR) return NO_MATCH;
  const cached = b.id >= 0 ? cache?.get(b.id) : undefined;
  if (cached) return cached;
  const similarity = tokenSimilarity(a.text, b.text);
  const match = sameSkeleton && similarity < SKELETON_SIMILARITY ? SKELETON : similarity >= TOKEN_MATCH_FLOOR ? { similarity, reason: 'spelling' as const } : NO_MATCH;
  if (b.id >= 0) cache?.set(b.id, match);
  return match;
}

/** A query form made ready once for the many names it is aligned with. */
export interface PreparedQuery {
  readonly form: NameForm;
  /** Each unit: a token or a joined pair, with the positions it covers and its comparison cache. */
  readonly units: readonly { readonly token: Token; readonly start: number; readonly length: 1 | 2; readonly cache: Map<number, TokenMatch> }[];
  readonly totalWeight: number;
  readonly totalCount: number;
}

export function prepareQuery(form: NameForm): PreparedQuery {
  const units: PreparedQuery['units'][number][] = form.tokens.map((token, start) => ({ token, start, length: 1, cache: new Map() }));
  form.joined.forEach((token, start) => token && units.push({ token, start, length: 2, cache: new Map() }));
  let totalWeight = 0;
  let totalCount = 0;
  for (const token of form.tokens) (totalWeight += token.weight), (totalCount += token.count);
  return { form, units, totalWeight, totalCount };
}

/** Candidate pairs of one alignment, in scratch arrays reused by every alignment (they never overlap). */
const PAIRS_MAX = 4096;
const pairSimilarity = new Float64Array(PAIRS_MAX);
const pairUnit = new Int32Array(PAIRS_MAX);
const pairStart = new Int32Array(PAIRS_MAX);
const pairLength = new Int8Array(PAIRS_MAX);
const pairMatch: TokenMatch[] = new Array(PAIRS_MAX);
const pairListed: Token[] = new Array(PAIRS_MAX);
const pairQueryText: string[] = new Array(PAIRS_MAX);

type Unit = PreparedQuery['units'][number];

/** Files every pair of a query unit and a listed unit that might be the same word; answers how many. */
function collectPairs(query: PreparedQuery, candidate: NameForm): number {
  let count = 0;
  for (let unitIndex = 0; unitIndex < query.units.length; unitIndex++) {
    const unit = query.units[unitIndex] as Unit;
    // Joined words meet single words only: two joined pairs would be the same as their parts.
    const listedUnits = unit.length === 2 ? 1 : 2;
    for (let length = 1; length <= listedUnits; length++) {
      const listedTokens = length === 1 ? candidate.tokens : candidate.joined;
      for (let start = 0; start < listedTokens.length; start++) {
        const listed = listedTokens[start];
        if (listed === undefined) continue;
        const match = compareTokens(unit.token, listed, unit.cache);
        if (match.similarity === 0 || count >= PAIRS_MAX) continue;
        // The tiny bonus puts the pair covering more words first among equals: "al dari" = "aldari" beats "dari" ≈ "aldari".
        pairSimilarity[count] = match.similarity + (length + unit.length) * 1e-9;
        pairUnit[count] = unitIndex;
        pairStart[count] = start;
        pairLength[count] = length;
        pairMatch[count] = match;
        pairListed[count] = listed;
        pairQueryText[count] = unit.token.text;
        count++;
      }
    }
  }
  return count;
}

/**
 * Best pair first. Ties are broken by the query word's text and the listed word's position, never by
 * the query's word order, so that "Wang Wei" and "Wei Wang" align the same way.
 */
function byPairSimilarity(x: number, y: number): number {
  const difference = (pairSimilarity[y] as number) - (pairSimilarity[x] as number);
  if (difference !== 0) return difference;
  const textX = pairQueryText[x] as string;
  const textY = pairQueryText[y] as string;
  if (textX !== textY) return textX < textY ? -1 : 1;
  return (pairStart[x] as number) - (pairStart[y] as number);
}

const pairOrder = new Int32Array(PAIRS_MAX);
const chosenPairs = new Int32Array(PAIRS_MAX);
const usedQueryScratch = new Uint8Array(PAIRS_MAX);
const usedListedScratch = new Uint8Array(PAIRS_MAX);

/**
 * The greedy selection both entry points share: fills `chosenPairs` with the pairs taken, best
 * first, marks the words used in the scratch flags, and answers how many pairs were taken.
 */
function select(query: PreparedQuery, candidate: NameForm): number {
  const count = collectPairs(query, candidate);
  for (let index = 0; index < count; index++) pairOrder[index] = index;
  const order = pairOrder.subarray(0, count).sort(byPairSimilarity);
  usedQueryScratch.fill(0, 0, query.form.tokens.length);
  usedListedScratch.fill(0, 0, candidate.tokens.length);
  let chosen = 0;
  for (let at = 0; at < count; at++) {
    const index = order[at] as number;
    const unit = query.units[pairUnit[index] as number] as Unit;
    const start = pairStart[index] as number;
    const length = pairLength[index] as number;
    if (usedQueryScratch[unit.start] || (unit.length === 2 && usedQueryScratch[unit.start + 1])) continue;
    if (usedListedScratch[start] || (length === 2 && usedListedScratch[start + 1])) continue;
    usedQueryScratch[unit.start] = 1;
    if (unit.length === 2) usedQueryScratch[unit.start + 1] = 1;
    usedListedScratch[start] = 1;
    if (length === 2) usedListedScratch[start + 1] = 1;
    chosenPairs[chosen++] = index;
  }
  return chosen;
}

/**
 * The score alone, allocating nothing: what a screen computes for every candidate. `align` gives the
 * pairs as well, for the few names a screen reports.
 */
export function alignmentScore(query: PreparedQuery, candidate: NameForm): number {
  return scoreOfChosen(query, candidate, select(query, candidate));
}

function scoreOfChosen(query: PreparedQuery, candidate: NameForm, chosen: number): number {
  let totalWeight = query.totalWeight;
  let totalCount = query.totalCount;
  for (const token of candidate.tokens) (totalWeight += token.weight), (totalCount += token.count);
  if (totalWeight === 0) return 0;
  let matchedWeight = 0;
  let matchedCount = 0;
  for (let at = 0; at < chosen; at++) {
    const index = chosenPairs[at] as number;
    const unit = query.units[pairUnit[index] as number] as Unit;
    const similarity = (pairMatch[index] as TokenMatch).similarity;
    let weight = 0;
    let count = 0;
    for (let position = unit.start; position < unit.start + unit.length; position++) {
      const token = query.form.tokens[position] as Token;
      weight += token.weight;
      count += token.count;
    }
    const start = pairStart[index] as number;
    for (let position = start; position < start + (pairLength[index] as number); position++) {
      const token = candidate.tokens[position] as Token;
      weight += token.weight;
      count += token.count;
    }
    matchedWeight += similarity * weight;
    matchedCount += similarity * count;
  }
  return 0.5 * (matchedWeight / totalWeight) + 0.5 * (matchedCount / totalCount);
}

/** Compares a prepared query with one listed name form, with every pair taken and every word left over. */
export function align(query: PreparedQuery, candidate: NameForm): Alignment {
  const chosen = select(query, candidate);
  const score = scoreOfChosen(query, candidate, chosen);
  const pairs: AlignedPair[] = [];
  for (let at = 0; at < chosen; at++) {
    const index = chosenPairs[at] as number;
    const unit = query.units[pairUnit[index] as number] as Unit;
    const start = pairStart[index] as number;
    const match = pairMatch[index] as TokenMatch;
    pairs.push({
      similarity: match.similarity, reason: match.reason, query: unit.length === 2 ? [unit.start, unit.start + 1] : [unit.start],
      candidate: pairLength[index] === 2 ? [start, start + 1] : [start], queryText: unit.token.text, candidateText: (pairListed[index] as Token).text,
    });
  }
  const unmatchedQuery = unused(usedQueryScratch, query.form.tokens.length);
  const unmatchedCandidate = unused(usedListedScratch, candidate.tokens.length);
  return { score, pairs, orderDiffers: orderDiffers(pairs), unmatchedQuery, unmatchedCandidate };
}

const byQueryPosition = (x: AlignedPair, y: AlignedPair) => (x.query[0] as number) - (y.query[0] as number);

function orderDiffers(pairs: readonly AlignedPair[]): boolean {
  const ordered = [...pairs].sort(byQueryPosition);
  for (let index = 1; index < ordered.length; index++) if ((ordered[index]?.candidate[0] as number) < (ordered[index - 1]?.candidate[0] as number)) return true;
  return false;
}

function unused(flags: Uint8Array, length: number): number[] {
  const positions: number[] = [];
  for (let position = 0; position < length; position++) if (!flags[position]) positions.push(position);
  return positions;
}
