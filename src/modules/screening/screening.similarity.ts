/**
 * String similarity of two name tokens. Jaro-Winkler rewards a shared beginning, which is where
 * names agree most; Damerau-Levenshtein (optimal string alignment: insertions, deletions,
 * substitutions and swaps of neighbours) counts typing mistakes. Each misses something the other
 * catches, so the token similarity is their mean. Tokens are short (names rarely exceed 20
 * letters), so both work on plain arrays without any cleverness.
 */

/** Most tokens fit; longer ones allocate their own rows. */
const SCRATCH_LENGTH = 64;
const scratchA = new Int32Array(SCRATCH_LENGTH + 1);
const scratchB = new Int32Array(SCRATCH_LENGTH + 1);
const scratchC = new Int32Array(SCRATCH_LENGTH + 1);
const matchedA = new Uint8Array(SCRATCH_LENGTH);
const matchedB = new Uint8Array(SCRATCH_LENGTH);

/**
 * Jaro-Winkler similarity in [0, 1], with the usual prefix scale 0.1 over at most four characters.
 * The matching window is at least one character: the textbook window of zero for three-letter words
 * would not see "SKO" as "SOK" with two letters swapped.
 */
export function jaroWinkler(a: string, b: string): number {
  if (a === b) return 1;
  const lengthA = a.length;
  const lengthB = b.length;
  if (lengthA === 0 || lengthB === 0) return 0;
  const flagsA = lengthA <= SCRATCH_LENGTH ? matchedA : new Uint8Array(lengthA);
  const flagsB = lengthB <= SCRATCH_LENGTH ? matchedB : new Uint8Array(lengthB);
  flagsA.fill(0, 0, lengthA);
  flagsB.fill(0, 0, lengthB);
  const window = Math.max(1, Math.floor(Math.max(lengthA, lengthB) / 2) - 1);
  let matches = 0;
  for (let i = 0; i < lengthA; i++) {
    const from = Math.max(0, i - window);
    const to = Math.min(lengthB - 1, i + window);
    for (let j = from; j <= to; j++) {
      if (flagsB[j] || a.charCodeAt(i) !== b.charCodeAt(j)) continue;
      flagsA[i] = 1;
      flagsB[j] = 1;
      matches++;
      break;
    }
  }
  if (matches === 0) return 0;
  let transpositions = 0;
  let k = 0;
  for (let i = 0; i < lengthA; i++) {
    if (!flagsA[i]) continue;
    while (!flagsB[k]) k++;
    if (a.charCodeAt(i) !== b.charCodeAt(k)) transpositions++;
    k++;
  }
  const jaro = (matches / lengthA + matches / lengthB + (matches - transpositions / 2) / matches) / 3;
  let prefix = 0;
  while (prefix < 4 && prefix < lengthA && prefix < lengthB && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  return jaro + prefix * 0.1 * (1 - jaro);
}

/** Edits (insert, delete, substitute, swap neighbours) that turn `a` into `b`; optimal string alignment. */
export function damerauLevenshtein(a: string, b: string): number {
  if (a === b) return 0;
  const lengthA = a.length;
  const lengthB = b.length;
  if (lengthA === 0) return lengthB;
  if (lengthB === 0) return lengthA;
  const fits = lengthB <= SCRATCH_LENGTH;
  let twoBack = fits ? scratchA : new Int32Array(lengthB + 1);
  let previous = fits ? scratchB : new Int32Array(lengthB + 1);
  let current = fits ? scratchC : new Int32Array(lengthB + 1);
  for (let j = 0; j <= lengthB; j++) previous[j] = j;
  for (let i = 1; i <= lengthA; i++) {
    current[0] = i;
    const charA = a.charCodeAt(i - 1);
    for (let j = 1; j <= lengthB; j++) {
      const charB = b.charCodeAt(j - 1);
      const cost = charA === charB ? 0 : 1;
      let best = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, (previous[j - 1] as number) + cost);
      if (i > 1 && j > 1 && charA === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === charB) best = Math.min(best, (twoBack[j - 2] as number) + 1);
      current[j] = best;
    }
    [twoBack, previous, current] = [previous, current, twoBack];
  }
  return previous[lengthB] as number;
}

/** 1 − edits / longer length: 0.8 for one mistake in five letters. */
export function editSimilarity(a: string, b: string): number {
  const longer = Math.max(a.length, b.length);
  return longer === 0 ? 1 : 1 - damerauLevenshtein(a, b) / longer;
}

/**
 * The similarity of two tokens: the mean of Jaro-Winkler and edit similarity, or 0 when it cannot
 * reach `floor`. Callers check `similarityBound` first, which is much cheaper.
 */
export function tokenSimilarity(a: string, b: string, floor = 0): number {
  if (a === b) return 1;
  const similarity = (jaroWinkler(a, b) + editSimilarity(a, b)) / 2;
  return similarity < floor ? 0 : similarity;
}

/** The set of letters in a token, one bit per letter (case-folded Latin letters fold onto 32 bits). */
export function letterMask(text: string): number {
  let mask = 0;
  for (let index = 0; index < text.length; index++) mask |= 1 << (text.charCodeAt(index) & 31);
  return mask;
}

function lettersOutside(text: string, mask: number): number {
  let outside = 0;
  for (let index = 0; index < text.length; index++) if (!(mask & (1 << (text.charCodeAt(index) & 31)))) outside++;
  return outside;
}

/**
 * An upper bound of `tokenSimilarity(a, b)` from letter sets and lengths alone: letters of one token
 * that do not occur in the other can match nothing, which caps the characters in common (and so
 * Jaro-Winkler) and forces at least that many edits.
 */
export function similarityBound(a: string, maskA: number, b: string, maskB: number): number {
  const longer = Math.max(a.length, b.length);
  if (longer === 0) return 1;
  const common = Math.min(a.length - lettersOutside(a, maskB), b.length - lettersOutside(b, maskA));
  if (common <= 0) return 0;
  const jaro = (common / a.length + common / b.length + 1) / 3;
  const jaroWinklerBound = jaro + 4 * 0.1 * (1 - jaro);
  const editBound = Math.min(common / longer, 1 - Math.abs(a.length - b.length) / longer);
  return (jaroWinklerBound + editBound) / 2;
}
