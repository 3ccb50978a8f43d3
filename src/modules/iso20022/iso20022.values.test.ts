import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ISO_4217_SCALES } from '../../kernel/index.ts';
import {
  amountFromXml,
  amountToXml,
  bicProblem,
  checkExchangeRate,
  compareDecimals,
  deriveUetr,
  ibanProblem,
  ibanWithCheckDigits,
  isIsoDate,
  isIsoDateTime,
  isUetr,
  ISO_AMOUNT_MAX_MINOR,
  parseDecimal,
  textProblem,
} from './iso20022.values.ts';
import { escapeAttribute, escapeText } from './iso20022.writer.ts';
import { money } from './iso20022.arbitraries.test-support.ts';
import { sharedXsd } from './iso20022.test-support.ts';

describe('amounts', () => {
  it('converts decimal text to minor units exactly at the currency scale', () => {
    expect(amountFromXml('1250.5', 'EUR', '/a')).toEqual({ amount: 125_050n, currency: 'EUR' });
    expect(amountFromXml('12.345', 'KWD', '/a')).toEqual({ amount: 12_345n, currency: 'KWD' });
    expect(amountFromXml(' 1500000 ', 'JPY', '/a')).toEqual({ amount: 1_500_000n, currency: 'JPY' });
    expect(amountFromXml('9999999999999999.99', 'USD', '/a')).toEqual({ amount: 999_999_999_999_999_999n, currency: 'USD' });
  });

  it('refuses more decimals than the currency has, an unknown currency, and zero', () => {
    expect(amountFromXml('0.001', 'EUR', '/a')).toMatchObject({ code: 'amount_scale_exceeds_currency', path: '/a' });
    expect(amountFromXml('5.0', 'JPY', '/a')).toMatchObject({ code: 'amount_scale_exceeds_currency' });
    expect(amountFromXml('5', 'ABC', '/a')).toMatchObject({ code: 'unknown_currency' });
    expect(amountFromXml('0.00', 'EUR', '/a')).toMatchObject({ code: 'amount_not_positive' });
  });

  it('writes minor units back as the same decimal for every currency and amount (no floats anywhere)', () => {
    fc.assert(
      fc.property(money, (value) => {
        const text = amountToXml(value);
        expect(text.split('.')[1]?.length ?? 0).toBe(ISO_4217_SCALES[value.currency]);
        expect(amountFromXml(text, value.currency, '/a')).toEqual(value);
      }),
    );
    expect(amountToXml({ amount: ISO_AMOUNT_MAX_MINOR, currency: 'BHD' })).toBe('999999999999999.999');
  });

  it('compares decimals exactly regardless of trailing zeros', () => {
    expect(compareDecimals(parseDecimal('1.50')!, parseDecimal('1.5')!)).toBe(0);
    expect(compareDecimals(parseDecimal('0.1')!, parseDecimal('0.10000000000000001')!)).toBe(-1);
    expect(parseDecimal('.5')).toEqual({ units: 5n, scale: 1 });
    expect(parseDecimal('1e3')).toBeUndefined();
    expect(parseDecimal('.')).toBeUndefined();
  });

  it('accepts exchange rates that fit BaseOneRate only', () => {
    expect(checkExchangeRate('7.802496')).toBeUndefined();
    expect(checkExchangeRate('0')).toMatch(/greater than zero/);
    expect(checkExchangeRate('1.12345678901')).toMatch(/10 decimals/);
    expect(checkExchangeRate('123456.789012')).toMatch(/11 digits/);
    expect(checkExchangeRate('-1.5')).toBeDefined();
  });
});

describe('identifiers', () => {
  it('checks IBANs by registry length and MOD 97-10', () => {
    expect(ibanProblem('DE89370400440532013000')).toBeUndefined();
    expect(ibanProblem('DE89370400440532013001')).toMatch(/check digits/);
    expect(ibanProblem('DE8937040044053201300')).toMatch(/22/);
    expect(ibanProblem('ZZ89370400440532013000')).toMatch(/registry/);
    expect(ibanProblem('de89370400440532013000')).toMatch(/electronic form/);
    expect(ibanProblem(ibanWithCheckDigits('GB', 'NWBK60161331926819'))).toBeUndefined();
  });

  it('checks BICs by pattern and country', () => {
    expect(bicProblem('DEUTDEFF')).toBeUndefined();
    expect(bicProblem('DEUTDEFF500')).toBeUndefined();
    expect(bicProblem('DEUTZZFF')).toMatch(/ZZ/);
    expect(bicProblem('DEUTDEF')).toMatch(/not a BIC/);
  });

  it('derives UETRs that are version 4 in shape, stable, and different for different identities', () => {
    const first = deriveUetr(['pain.001.001.09', 'party', 'msg', 'block', 'e2e']);
    expect(isUetr(first)).toBe(true);
    expect(deriveUetr(['pain.001.001.09', 'party', 'msg', 'block', 'e2e'])).toBe(first);
    expect(deriveUetr(['pain.001.001.09', 'party', 'msg', 'block', 'e2f'])).not.toBe(first);
    // The separator keeps ("ab", "c") and ("a", "bc") apart.
    expect(deriveUetr(['ab', 'c'])).not.toBe(deriveUetr(['a', 'bc']));
  });

  it('checks calendar dates and date-times', () => {
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2023-02-29')).toBe(false);
    expect(isIsoDateTime('2024-05-03T08:30:00.123+08:00')).toBe(true);
    expect(isIsoDateTime('2024-05-03T24:00:00Z')).toBe(false);
    expect(isIsoDateTime('2024-05-03')).toBe(false);
  });
});

describe('text', () => {
  it('counts characters as code points and refuses what XML cannot carry', () => {
    expect(textProblem('😀'.repeat(140), 140)).toBeUndefined();
    expect(textProblem('😀'.repeat(141), 140)).toMatch(/141/);
    expect(textProblem('', 140)).toMatch(/empty/);
    expect(textProblem('a\u0000b', 140)).toMatch(/character/);
    expect(textProblem('a\ud800b', 140)).toMatch(/character/);
    expect(textProblem('tab\tline\ncr\r', 140)).toBeUndefined();
  });

  it('escapes markup characters and the whitespace a parser would normalise', () => {
    expect(escapeText(`<a href="x">&'</a>\r]]>`)).toBe(`&lt;a href="x"&gt;&amp;'&lt;/a&gt;&#xD;]]&gt;`);
    expect(escapeAttribute(`"'<&>\t\n\r`)).toBe('&quot;&apos;&lt;&amp;&gt;&#x9;&#xA;&#xD;');
  });
});

describe('production schemas', () => {
  const copies = ['pain.001.001.09', 'pacs.008.001.08', 'head.001.001.02'];
  const sources = readFileSync(new URL('./xsd/SOURCES.md', import.meta.url), 'utf8');
  it.each(copies)('%s matches the hash its SOURCES note records', (definition) => {
    const text = readFileSync(new URL(`./xsd/${definition}.xsd`, import.meta.url));
    const hash = createHash('sha256').update(text).digest('hex');
    expect(sources).toContain(`| ${definition}.xsd | `);
    expect(sources).toContain(hash);
    if (existsSync(sharedXsd(definition))) expect(text.equals(readFileSync(sharedXsd(definition)))).toBe(true);
  });
});
