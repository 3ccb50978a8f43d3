import OpenCC from 'opencc-js/t2cn';
import { pinyin } from 'pinyin-pro';

/**
 * Chinese names. A name written in Han characters is compared in two ways: character by character
 * after Traditional characters are turned into Simplified ones (習近平 and 习近平 are the same
 * name), and as Hanyu Pinyin, the romanisation of mainland passports and most lists (习近平 is
 * "xi jin ping"; the scorer joins neighbouring syllables, so "Xi Jinping" meets it too). Surnames
 * are read with their surname readings (曾 is "zeng" as a surname, not "ceng"; 单 is "shan").
 * Order does not matter to the scorer, so given-name-first spellings ("Wei Wang") match as well.
 */
type Converter = (text: string) => string;

let traditionalToSimplified: Converter | undefined;

/** Built on first use: the dictionaries take some tens of milliseconds to load. */
function converter(): Converter {
  const built = traditionalToSimplified ?? OpenCC.Converter({ from: 't', to: 'cn' });
  traditionalToSimplified = built;
  return built;
}

/** Simplified characters for any Traditional (Taiwan, Hong Kong or OpenCC standard) ones; the rest unchanged. */
export function toSimplified(text: string): string {
  return converter()(text);
}

/** The pinyin syllables of a run of Han characters, toneless, the first character read as a surname. */
export function pinyinSyllables(han: string): string[] {
  return pinyin(han, { toneType: 'none', type: 'array', mode: 'surname', surname: 'head' })
    .map((syllable) => syllable.normalize('NFKD').replace(/\p{M}+/gu, '').toLowerCase().trim())
    .filter((syllable) => /^[a-z]+$/.test(syllable));
}
