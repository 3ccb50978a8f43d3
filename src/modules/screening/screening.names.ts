import { SCREENING_LIMITS } from './screening.limits.ts';
import { hasHan, tokenise, type NormalisedToken, type TokenKind } from './screening.normalise.ts';
import { skeletonKey, transliterationKey } from './screening.phonetic.ts';
import { letterMask } from './screening.similarity.ts';
import { pinyinSyllables, toSimplified } from './screening.chinese.ts';

/**
 * A name ready for matching: its tokens with their keys and weights, in one or more forms. A Latin
 * name has one form; a name in Han characters has two, the Simplified characters and their pinyin.
 */
export interface Token {
  /** Unique within the index that made it (see TokenCache); -1 for a query's own tokens. */
  readonly id: number;
  readonly text: string;
  readonly kind: TokenKind;
  /** Transliteration key with vowel classes (see screening.phonetic.ts); the text itself for Han. */
  readonly key: string;
  /** The coarser key the index blocks on. */
  readonly skeleton: string;
  /** How much of the name's spelling the token carries: its length, bounded. */
  readonly weight: number;
  /** How much it counts as a word of the name: particles and initials count half. */
  readonly count: number;
  /** Its letters as a bit set, for the cheap similarity bound. */
  readonly letters: number;
}

export interface NameForm {
  readonly tokens: readonly Token[];
  /**
   * Each token joined with the next one (undefined where joining makes no sense), so that
   * "Jin Ping" can meet "Jinping" and "Al Dari" meet "Aldari".
   */
  readonly joined: readonly (Token | undefined)[];
  /** How the form was derived from the name as written, for the explanation; absent for the name itself. */
  readonly derivation?: string;
}

/** Token weights: a word weighs its length within these bounds; an initial, particle or Han character a fixed amount. */
const WORD_WEIGHT_MIN = 2;
const WORD_WEIGHT_MAX = 10;
const INITIAL_WEIGHT = 1;
const PARTICLE_WEIGHT = 1;
/** One Han character is a syllable, about as much of a name as a three-letter word. */
const HAN_WEIGHT = 3;
/** Particles and initials count half a word: an unmatched middle initial or "al" says little. */
const HALF_WORD_COUNT = 0.5;

function weightOf(text: string, kind: TokenKind): number {
  if (kind === 'initial') return INITIAL_WEIGHT;
  if (kind === 'particle') return PARTICLE_WEIGHT;
  if (kind === 'han') return HAN_WEIGHT;
  return Math.min(WORD_WEIGHT_MAX, Math.max(WORD_WEIGHT_MIN, text.length));
}

export function makeToken(text: string, kind: TokenKind, id = -1): Token {
  const latin = kind !== 'han';
  return {
    id,
    text,
    kind,
    key: latin ? transliterationKey(text) : text,
    skeleton: latin ? skeletonKey(text) : text,
    weight: weightOf(text, kind),
    count: kind === 'particle' || kind === 'initial' ? HALF_WORD_COUNT : 1,
    letters: letterMask(text),
  };
}

/**
 * Tokens are shared between names through this cache, which the index owns (names repeat words a
 * lot); one map per kind, so that a lookup needs no composed key. Joined pairs are not cached: nearly
 * every pair is unique to its name, and caching them would only grow the map.
 */
export interface TokenCache {
  readonly byKind: Record<TokenKind, Map<string, Token>>;
  size: number;
}

export const createTokenCache = (): TokenCache => ({ byKind: { word: new Map(), initial: new Map(), particle: new Map(), han: new Map() }, size: 0 });

function cachedToken(cache: TokenCache | undefined, text: string, kind: TokenKind): Token {
  if (!cache) return makeToken(text, kind);
  const tokens = cache.byKind[kind];
  let token = tokens.get(text);
  if (!token) {
    token = makeToken(text, kind, cache.size++);
    tokens.set(text, token);
  }
  return token;
}

function form(tokens: readonly NormalisedToken[], cache: TokenCache | undefined, derivation?: string): NameForm {
  const bounded = tokens.slice(0, SCREENING_LIMITS.tokensPerNameMax).map((token) => cachedToken(cache, token.text, token.kind));
  const joined = bounded.map((token, index) => {
    const next = bounded[index + 1];
    if (!next || token.kind === 'han' || next.kind === 'han' || token.kind === 'initial' || next.kind === 'initial') return undefined;
    return makeToken(token.text + next.text, 'word');
  });
  return derivation === undefined ? { tokens: bounded, joined } : { tokens: bounded, joined, derivation };
}

/** Replaces every run of Han characters by its pinyin syllables, each run read with a surname first. */
function pinyinTokens(tokens: readonly NormalisedToken[]): { tokens: NormalisedToken[]; spelt: string[] } {
  const result: NormalisedToken[] = [];
  const spelt: string[] = [];
  let run = '';
  const flush = () => {
    if (run === '') return;
    const syllables = pinyinSyllables(run);
    spelt.push(`${run} = ${syllables.join(' ')}`);
    for (const syllable of syllables) result.push({ text: syllable, kind: 'word' });
    run = '';
  };
  for (const token of tokens) {
    if (token.kind === 'han') {
      run += token.text;
      continue;
    }
    flush();
    result.push(token);
  }
  flush();
  return { tokens: result, spelt };
}

/** The forms of one name; none when nothing of it is left after normalisation. */
export function nameForms(name: string, cache?: TokenCache): NameForm[] {
  if (!hasHan(name)) {
    const tokens = tokenise(name);
    return tokens.length > 0 ? [form(tokens, cache)] : [];
  }
  const simplified = toSimplified(name);
  const tokens = tokenise(simplified);
  if (tokens.length === 0) return [];
  const characters = simplified === name ? undefined : `Simplified form ${simplified.trim()} of ${name.trim()}`;
  const { tokens: romanised, spelt } = pinyinTokens(tokens);
  return [form(tokens, cache, characters), form(romanised, cache, `pinyin of ${spelt.join(', ')}`)];
}

/** The readable text of a form's tokens, for explanations. */
export const formText = (nameForm: NameForm): string => nameForm.tokens.map((token) => token.text).join(' ');
