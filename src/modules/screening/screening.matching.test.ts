import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { prepareQuery, align } from './screening.align.ts';
import { buildListIndex, type ListIndex } from './screening.index.ts';
import { SCREENING_DEFAULT_THRESHOLD } from './screening.limits.ts';
import { screenAgainst } from './screening.matcher.ts';
import { nameForms } from './screening.names.ts';
import { tokenise } from './screening.normalise.ts';
import { deletionKeys, skeletonKey, transliterationKey } from './screening.phonetic.ts';
import { damerauLevenshtein, jaroWinkler, similarityBound, tokenSimilarity } from './screening.similarity.ts';
import type { WatchListEntity } from './screening.ts';

const entity = (id: string, names: string[], extra: Partial<WatchListEntity> = {}): WatchListEntity => ({
  id, schema: 'Person', names, aliases: [], weakAliases: [], birthDates: [], countries: [], datasets: [], ...extra,
});

/** Score of `query` against `listed` alone, through the same path a screen takes. */
function score(query: string, listed: string): number {
  const listedForms = nameForms(listed);
  const scores = nameForms(query).flatMap((queryForm) => listedForms.map((form) => align(prepareQuery(queryForm), form).score));
  return Math.max(0, ...scores);
}

describe('string similarity', () => {
  it('computes Jaro-Winkler and Damerau-Levenshtein as published', () => {
    expect(jaroWinkler('martha', 'marhta')).toBeCloseTo(0.9611, 4);
    expect(jaroWinkler('dwayne', 'duane')).toBeCloseTo(0.84, 2);
    expect(jaroWinkler('abc', 'xyz')).toBe(0);
    expect(damerauLevenshtein('abdul', 'abudl')).toBe(1);
    expect(damerauLevenshtein('kitten', 'sitting')).toBe(3);
    expect(damerauLevenshtein('', 'abc')).toBe(3);
  });

  it('never lets the cheap bound fall below the similarity it bounds', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnoprstuy'), minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(word, word, (a, b) => {
        const mask = (text: string) => [...text].reduce((bits, letter) => bits | (1 << (letter.charCodeAt(0) & 31)), 0);
        expect(similarityBound(a, mask(a), b, mask(b))).toBeGreaterThanOrEqual(tokenSimilarity(a, b) - 1e-12);
        expect(tokenSimilarity(a, b)).toBeCloseTo(tokenSimilarity(b, a), 12);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('normalisation and transliteration keys', () => {
  it('folds case, accents, apostrophes, Cyrillic and titles', () => {
    expect(tokenise('Dr. José-María O’Neil Jr.').map((token) => token.text)).toEqual(['jose', 'maria', 'oneil']);
    expect(tokenise('Владимир Путин').map((token) => token.text)).toEqual(['vladimir', 'putin']);
    expect(tokenise('ABD AL-RAHMAN').map((token) => token.kind)).toEqual(['word', 'particle', 'word']);
    expect(tokenise('J. L. McClellan').map((token) => token.kind)).toEqual(['initial', 'initial', 'word']);
  });

  it('gives the spellings of one name one key, and keeps different names apart', () => {
    const keyOf = (names: string[]) => new Set(names.map(transliterationKey));
    expect(keyOf(['mohammed', 'muhammad', 'mohamad', 'mohamed', 'muhammed'])).toEqual(new Set(['muhamad']));
    expect(keyOf(['hussein', 'husain', 'husayn', 'hossein']).size).toBe(1);
    expect(keyOf(['youssef', 'yousef']).size).toBe(1);
    expect(keyOf(['abdullah', 'abdulla']).size).toBe(1);
    expect(transliterationKey('hassan')).not.toBe(transliterationKey('hussein'));
    expect(transliterationKey('mahmoud')).not.toBe(transliterationKey('mohammed'));
    expect(skeletonKey('yusuf')).toBe(skeletonKey('youssef'));
  });

  it('makes any two keys one edit apart share a deletion key', () => {
    const key = fc.string({ unit: fc.constantFrom(...'abdfghjklmnrstvz'), minLength: 4, maxLength: 10 });
    fc.assert(
      fc.property(key, fc.nat(), fc.constantFrom('delete', 'substitute', 'swap'), (original, at, edit) => {
        const position = at % (original.length - 1);
        const edited =
          edit === 'delete' ? original.slice(0, position) + original.slice(position + 1)
          : edit === 'substitute' ? `${original.slice(0, position)}q${original.slice(position + 1)}`
          : original.slice(0, position) + original.charAt(position + 1) + original.charAt(position) + original.slice(position + 2);
        if (edited.length < 4) return;
        const shared = deletionKeys(original).filter((variant) => deletionKeys(edited).includes(variant));
        expect(shared.length).toBeGreaterThan(0);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('name matching', () => {
  const threshold = SCREENING_DEFAULT_THRESHOLD;

  it('matches typing mistakes', () => {
    expect(score('ABUDL SALAM BHUTTAVI', 'ABDUL SALAM BHUTTAVI')).toBeGreaterThanOrEqual(threshold);
    expect(score('AMGHOMED ABDURAKHMANOV', 'MAGHOMED ABDURAKHMANOV')).toBeGreaterThanOrEqual(threshold);
    expect(score('Jenifer McClelan', 'Jennifer L. McClellan')).toBeGreaterThanOrEqual(threshold);
    expect(score('KIM SKO CHOL', 'KIM SOK CHOL')).toBeGreaterThanOrEqual(threshold);
  });

  it('ignores word order, "Last, First" included', () => {
    expect(score('SALEK, ABDULHAI', 'ABDULHAI SALEK')).toBe(1);
    expect(score('Hanafi Habibullah Rustum', 'RUSTUM HANAFI HABIBULLAH')).toBe(1);
  });

  it('takes initials for the names they abbreviate', () => {
    expect(score('J. L. McClellan', 'Jennifer L. McClellan')).toBeGreaterThanOrEqual(threshold);
    expect(score('A. Green', 'Al Green')).toBeGreaterThanOrEqual(threshold);
    expect(score('X. L. McClellan', 'Jennifer L. McClellan')).toBeLessThan(threshold);
  });

  it('folds transliterations and joined words', () => {
    expect(score('Mohamed Ali Hussain', 'Muhammad Ali Hussein')).toBeGreaterThanOrEqual(threshold);
    expect(score('Abdul Rahman Aldari', 'ABD AL-RAHMAN AL-DARI')).toBeGreaterThanOrEqual(threshold);
    expect(score('Vladimir Putin', 'Владимир Путин')).toBe(1);
  });

  it('matches Chinese names across scripts and orders', () => {
    expect(score('習近平', '习近平')).toBe(1);
    expect(score('习近平', '習近平')).toBe(1);
    expect(score('Wang Wei', '王伟')).toBe(1);
    expect(score('Wei Wang', '王偉')).toBe(1);
    expect(score('王伟', 'Wang Wei')).toBe(1);
    expect(score('Xi Jinping', '习近平')).toBe(1);
    expect(score('Jinping Xi', '習近平')).toBe(1);
    expect(score('Zeng Zhiwei', '曾志伟')).toBe(1);
  });

  it('does not let a common first name or a shared surname alone make a match', () => {
    for (const [query, listed] of [
      ['John', 'John Smith'], ['Smith', 'John Smith'], ['Mohammed', 'Mohammed Ali Hassan'], ['Wang', '王伟'], ['Wang Fang', '王伟'],
      ['Mary Jones', 'Mary E. Miller'], ['Kathryn Barr', 'Andy Barr'], ['Hassan Rouhani', 'Hussein Rouhani Qasim'], ['李伟', '王伟'],
    ] as const) {
      expect(score(query, listed), `${query} vs ${listed}`).toBeLessThan(threshold);
    }
  });

  it('scores any name between 0 and 1, and itself 1', () => {
    const word = fc.string({ unit: fc.constantFrom(...'abdeghiklmnorstuy'), minLength: 1, maxLength: 9 });
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 5 }), fc.array(word, { minLength: 1, maxLength: 5 }), (queryWords, listedWords) => {
        const listed = listedWords.join(' ');
        expect(score(listed, listed)).toBeCloseTo(1, 9);
        const value = score(queryWords.join(' '), listed);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  });

  it("gives any order of a name's own words the full score", () => {
    // Real names, none the two others joined (joining neighbours is the one thing that depends on order).
    const pool = ['wang', 'wei', 'mohammed', 'ali', 'hassan', 'jennifer', 'mcclellan', 'kim', 'sok', 'chol', 'abdul', 'rahman', 'salek', 'habibullah'];
    fc.assert(
      fc.property(fc.shuffledSubarray(pool, { minLength: 1, maxLength: 6 }), fc.infiniteStream(fc.nat()), (words, random) => {
        const shuffled = [...words].map((item) => [random.next().value as number, item] as const).sort((a, b) => a[0] - b[0]).map(([, item]) => item);
        expect(score(shuffled.join(' '), words.join(' '))).toBeCloseTo(1, 9);
      }),
      { numRuns: 300 },
    );
  });
});

describe('screening against an index', () => {
  let index: ListIndex;
  beforeAll(async () => {
    index = await buildListIndex('test_list', [
      entity('mcclellan', ['Jennifer L. McClellan'], { birthDates: ['1972'], countries: ['us'] }),
      entity('wang', ['王伟'], { countries: ['cn'] }),
      entity('xi', ['習近平']),
      entity('hassan', ['Muhammad Ali Hassan'], { aliases: ['Abu Ali'], birthDates: ['1960-05-01'] }),
      entity('nickname', ['Ignacio Vargas Lopez'], { weakAliases: ['El Tigre'] }),
    ]);
  });

  it('answers matches best first, each with an explanation in words', () => {
    const result = screenAgainst([index], 'Mohamed Ali Hasan', {}, SCREENING_DEFAULT_THRESHOLD);
    expect(result.matches.map((match) => match.entityId)).toEqual(['hassan']);
    const [match] = result.matches;
    expect(match?.listName).toBe('test_list');
    expect(match?.explanation).toContain('query "Mohamed Ali Hasan" normalised to "mohamed ali hasan"');
    expect(match?.explanation.some((step) => step.includes('"mohamed" and "muhammad" are spellings of one name'))).toBe(true);
    expect(match?.explanation.at(-1)).toMatch(/^name score 0\.\d\d$/);
    expect(result.topScore).toBe(match?.score);
  });

  it('says when the word order differs, and what a pinyin spelling came from', () => {
    const [match] = screenAgainst([index], 'Wei Wang', {}, SCREENING_DEFAULT_THRESHOLD).matches;
    expect(match?.entityId).toBe('wang');
    expect(match?.explanation).toContain('listed name: pinyin of 王伟 = wang wei');
    expect(match?.explanation).toContain('word order differs');
    const [traditional] = screenAgainst([index], '习近平', {}, SCREENING_DEFAULT_THRESHOLD).matches;
    expect(traditional?.explanation).toContain('listed name: Simplified form 习近平 of 習近平');
  });

  it('moves the score with the birth year and country, and says so', () => {
    const agreeing = screenAgainst([index], 'J. L. McClellan', { birthYear: 1973, country: 'US' }, 0.5).matches[0];
    const differing = screenAgainst([index], 'J. L. McClellan', { birthYear: 1990, country: 'FR' }, 0.5).matches[0];
    expect(agreeing!.score).toBeGreaterThan(differing!.score);
    expect(agreeing!.explanation).toContain('birth year 1973 agrees with listed 1972 (+0.03)');
    expect(differing!.explanation).toContain('birth year 1990 differs from listed 1972 (−0.10)');
    expect(differing!.explanation).toContain('country fr is not among the listed countries us (−0.02)');
  });

  it('scales down weak aliases, and reports nothing under the threshold while still giving the top score', () => {
    const weak = screenAgainst([index], 'El Tigre', {}, SCREENING_DEFAULT_THRESHOLD);
    expect(weak.matches[0]?.entityId).toBe('nickname');
    expect(weak.matches[0]?.score).toBeCloseTo(0.9, 5);
    const none = screenAgainst([index], 'Jennifer', {}, SCREENING_DEFAULT_THRESHOLD);
    expect(none.matches).toEqual([]);
    expect(none.topScore).toBeGreaterThan(0);
    expect(none.topScore).toBeLessThan(SCREENING_DEFAULT_THRESHOLD);
    expect(screenAgainst([index], '!!!', {}, SCREENING_DEFAULT_THRESHOLD)).toMatchObject({ topScore: 0, matches: [] });
  });
});
