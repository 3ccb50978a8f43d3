/**
 * Transliteration keys: one spelling for the many ways a name from Arabic, Persian, Russian or Urdu
 * is written in Latin letters. Two keys of different strength:
 *
 * - the *skeleton* keeps the consonants and where the vowels are, every vowel run written "a":
 *   Mohammed, Muhammad, Mohamad and Mohamed all become "mahamad", Yusuf and Youssef "yasaf". It is
 *   what the index blocks on, to find spellings the scorer then judges.
 * - the *key* also keeps the class of each vowel run (a/e, i/y, o/u, by its first letter), so that
 *   Hassan ("hasan") and Hussein ("husan") stay apart while Mohammed and Muhammad ("muhamad") meet.
 *
 * Both fold what transliterations disagree on:
 *   1. digraphs for one sound become one letter: ph→f, kh→h, gh→g, dh→d, th→t, sh→s, zh→j, dj→j,
 *      ck→k, q→k, x→ks, w→v, and c→k (s before e, i, y);
 *   2. y before a vowel is a consonant (Yusuf, Ayub, Sayid); elsewhere it is a vowel (Husayn);
 *   3. an h between a vowel and a consonant or at the end is silent (Abdullah / Abdulla);
 *   4. doubled letters become one (Ayyub / Ayub, Jaaber / Jaber).
 * Mahmoud ("mamud") stays apart from Muhammad, because its h is followed by a consonant.
 */
const DIGRAPHS: readonly (readonly [string, string])[] = [
  ['tch', 'c'], ['dzh', 'j'], ['sch', 's'], ['ph', 'f'], ['kh', 'h'], ['gh', 'g'], ['dh', 'd'], ['th', 't'], ['sh', 's'],
  ['zh', 'j'], ['dj', 'j'], ['ch', 'c'], ['ck', 'k'],
];

const VOWELS = new Set(['a', 'e', 'i', 'o', 'u', 'y']);
const isVowel = (letter: string | undefined) => letter !== undefined && VOWELS.has(letter);

function foldDigraphs(spelt: string): string {
  const word = spelt.replace(/(.)\1+/g, '$1');
  let result = '';
  let index = 0;
  outer: while (index < word.length) {
    for (const [digraph, replacement] of DIGRAPHS) {
      if (word.startsWith(digraph, index)) {
        result += replacement;
        index += digraph.length;
        continue outer;
      }
    }
    const letter = word[index] as string;
    const next = word[index + 1];
    if (letter === 'q') result += 'k';
    else if (letter === 'x') result += 'ks';
    else if (letter === 'w') result += 'v';
    else if (letter === 'c') result += next === 'e' || next === 'i' || next === 'y' ? 's' : 'k';
    else result += letter;
    index++;
  }
  return result;
}

const VOWEL_CLASS: Readonly<Record<string, string>> = { a: 'a', e: 'a', i: 'i', y: 'i', o: 'u', u: 'u' };

function buildKey(token: string, vowelClasses: boolean): string {
  if (!/^[a-z]+$/.test(token)) return token;
  const folded = foldDigraphs(token);
  let key = '';
  let inVowelRun = false;
  for (let index = 0; index < folded.length; index++) {
    const letter = folded[index] as string;
    const previous = folded[index - 1];
    const next = folded[index + 1];
    const consonantY = letter === 'y' && isVowel(next);
    if (isVowel(letter) && !consonantY) {
      if (!inVowelRun) key += vowelClasses ? (VOWEL_CLASS[letter] as string) : 'a';
      inVowelRun = true;
      continue;
    }
    inVowelRun = false;
    if (letter === 'h' && isVowel(previous) && !isVowel(next)) continue;
    if (key.endsWith(letter)) continue;
    key += letter;
  }
  return key;
}

/** The key of one lower-case Latin token (vowel classes kept); tokens in other scripts are their own key. */
export const transliterationKey = (token: string): string => buildKey(token, true);

/** The coarser skeleton (every vowel run "a") that the index blocks on. */
export const skeletonKey = (token: string): string => buildKey(token, false);

/**
 * Every key one deletion away from `key` (and the key itself): two keys within one edit of each other
 * always share one of these, which lets the index find misspelt names without comparing against
 * every name on a list. Short keys give none: one letter less of "ali" is too common to block on.
 */
export const DELETION_KEY_MIN_LENGTH = 4;

export function deletionKeys(key: string): string[] {
  const keys = [key];
  if (key.length < DELETION_KEY_MIN_LENGTH || !/^[a-z]+$/.test(key)) return keys;
  for (let index = 0; index < key.length; index++) {
    const variant = key.slice(0, index) + key.slice(index + 1);
    if (!keys.includes(variant)) keys.push(variant);
  }
  return keys;
}
