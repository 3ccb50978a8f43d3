/**
 * Name normalisation: what makes "José-María O’Neil", "JOSE MARIA ONEIL" and "Jose Maria O'Neil"
 * the same string before any comparison. Unicode compatibility decomposition (NFKD) splits accented
 * letters into a base letter and combining marks, which are dropped; letters that do not decompose
 * (ß, ø, ł …) and Cyrillic are spelt out in Latin; apostrophes join what they separate ("O'Neil" is
 * one word), every other punctuation mark separates words; titles such as "Dr" or "Sheikh" are
 * dropped. Han characters stay as they are, one token each: Chinese names are handled in
 * screening.chinese.ts.
 */

/** Letters NFKD does not decompose, spelt the way passports and sanctions lists spell them. */
const LATIN_LETTERS: Readonly<Record<string, string>> = {
  ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ð: 'd', ł: 'l', þ: 'th', ı: 'i', ŋ: 'n', ħ: 'h', ŧ: 't', ĸ: 'k', ſ: 's',
};

/**
 * Cyrillic to Latin, close to the BGN/PCGN spellings that sanctions lists use for Russian,
 * Ukrainian and Belarusian names. Soft and hard signs vanish.
 */
const CYRILLIC: Readonly<Record<string, string>> = {
  а: 'a', б: 'b', в: 'v', г: 'g', ґ: 'g', д: 'd', е: 'e', ё: 'e', є: 'ye', ж: 'zh', з: 'z', и: 'i', і: 'i', ї: 'yi', й: 'y',
  к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r', с: 's', т: 't', у: 'u', ў: 'u', ф: 'f', х: 'kh', ц: 'ts', ч: 'ch',
  ш: 'sh', щ: 'shch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};

/** Titles and generational suffixes: they say nothing about who someone is. */
const HONORIFICS = new Set([
  'mr', 'mrs', 'ms', 'miss', 'mx', 'dr', 'prof', 'professor', 'sir', 'dame', 'lord', 'lady', 'madam', 'mme', 'mlle', 'herr', 'frau',
  'sheikh', 'shaikh', 'shaykh', 'sheik', 'haji', 'hajji', 'alhaji', 'alhaj', 'mullah', 'mulla', 'maulana', 'maulvi', 'mawlawi', 'maulavi', 'mawlavi',
  'imam', 'qari', 'gen', 'general', 'col', 'colonel', 'capt', 'captain', 'maj', 'major', 'lt', 'sgt', 'rev', 'reverend', 'fr', 'hon',
  'jr', 'jnr', 'sr', 'snr', 'ii', 'iii', 'iv', 'esq', 'phd',
]);

/**
 * Particles and legal forms: "al", "bin", "van", "Ltd". They are kept, since they belong to the name,
 * but weigh little, because they are shared by thousands of unrelated names. Words that are also
 * common surnames ("Le", "Do", "An" in Vietnamese and Chinese) are deliberately not particles.
 */
const PARTICLES = new Set([
  'al', 'el', 'ul', 'ur', 'ud', 'ad', 'ed', 'as', 'ash', 'at', 'az', 'ar', 'bin', 'ibn', 'bint', 'ben', 'bou', 'ould', 'wuld', 'wa',
  'de', 'da', 'dos', 'das', 'di', 'del', 'della', 'der', 'den', 'van', 'von', 'la', 'du', 'des', 'st',
  'ltd', 'llc', 'inc', 'co', 'corp', 'company', 'corporation', 'limited', 'gmbh', 'ag', 'sa', 'plc', 'jsc', 'ojsc', 'pjsc', 'cjsc', 'ooo', 'oao', 'zao',
  'llp', 'lp', 'bv', 'nv', 'srl', 'spa', 'sarl', 'kg', 'ab', 'oy', 'pte', 'pty', 'bhd', 'sdn', 'the', 'and', 'of',
]);

/** Abbreviations written in place of a whole given name, mostly in Malaysia and South Asia. */
const ABBREVIATIONS: Readonly<Record<string, string>> = { mohd: 'mohammed', muhd: 'muhammad', md: 'muhammad', mhd: 'muhammad' };

const HAN = /\p{Script=Han}/u;
const COMBINING_MARKS = /\p{M}+/gu;
const APOSTROPHES = /['’‘ʼʻ`´?]/g;
const SEPARATORS = /[^\p{L}\p{N}\p{Script=Han}]+/gu;

export type TokenKind = 'word' | 'initial' | 'particle' | 'han';

export interface NormalisedToken {
  readonly text: string;
  readonly kind: TokenKind;
}

export const hasHan = (text: string): boolean => HAN.test(text);

/** Lower case, no accents, Latin letters for Cyrillic; Han and other scripts pass through. */
const PLAIN_ASCII = /^[\x20-\x7e]*$/;

export function foldText(text: string): string {
  // Most listed names are plain ASCII already; they need no decomposition.
  if (PLAIN_ASCII.test(text)) return text.toLowerCase();
  const decomposed = text.normalize('NFKD').replace(COMBINING_MARKS, '').toLowerCase();
  let folded = '';
  for (const character of decomposed) folded += LATIN_LETTERS[character] ?? CYRILLIC[character] ?? character;
  // NFKD may have split precomposed Hangul; NFC puts syllables back together for display and comparison.
  return folded.normalize('NFC');
}

/** Words of a name, Han characters one per token, with titles dropped and particles marked. */
export function tokenise(name: string): NormalisedToken[] {
  const words = foldText(name).replace(APOSTROPHES, '').replace(SEPARATORS, ' ').trim();
  if (words === '') return [];
  const tokens: NormalisedToken[] = [];
  for (const word of words.split(' ')) {
    if (hasHan(word)) {
      for (const character of word) tokens.push(hasHan(character) ? { text: character, kind: 'han' } : { text: character, kind: 'word' });
      continue;
    }
    const text = ABBREVIATIONS[word] ?? word;
    const kind: TokenKind = PARTICLES.has(text) ? 'particle' : text.length === 1 && /[a-z]/.test(text) ? 'initial' : 'word';
    tokens.push({ text, kind });
  }
  const withoutTitles = tokens.filter((token) => !HONORIFICS.has(token.text));
  // A name that is nothing but titles ("Sir") keeps them: an empty name would match nothing at all.
  return withoutTitles.length > 0 ? withoutTitles : tokens;
}

/** The simple normalisation the baseline uses: folded, punctuation removed, words in their order. */
export function simpleNormalise(name: string): string {
  return foldText(name).replace(APOSTROPHES, '').replace(SEPARATORS, ' ').trim();
}
