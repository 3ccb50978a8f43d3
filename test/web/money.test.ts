/**
 * How the console shows and reads amounts: minor units in BigInt, never through a float, so what
 * a user types is what is sent, and what the API sends is what is shown.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatChartNumber, formatCompact, formatMinor, parseMajor, scaleOf } from '../../web/src/lib/money.ts';

describe('console money formatting', () => {
  it('shows minor units with the scale and grouping, exactly', () => {
    expect(formatMinor('123456', 2)).toBe('1,234.56');
    expect(formatMinor('5', 2)).toBe('0.05');
    expect(formatMinor('-100', 2)).toBe('-1.00');
    expect(formatMinor('9223372036854775807', 2)).toBe('92,233,720,368,547,758.07');
    expect(formatMinor('1500', 0)).toBe('1,500');
    expect(formatMinor('1234567', 3)).toBe('1,234.567');
    expect(formatMinor('123456', 2, 'zh-CN')).toBe('1,234.56');
    expect(scaleOf('JPY')).toBe(0);
    expect(scaleOf('KWD')).toBe(3);
    expect(scaleOf('CNY')).toBe(2);
  });

  it('groups digits as the browser does in both languages, for any amount', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(2n ** 63n) + 1n, max: 2n ** 63n - 1n }), fc.constantFrom('en-US', 'zh-CN'), (minor, locale) => {
      const sign = minor < 0n ? '-' : '';
      const absolute = minor < 0n ? -minor : minor;
      expect(formatMinor(minor, 2, locale)).toBe(`${sign}${new Intl.NumberFormat(locale).format(absolute / 100n)}.${(absolute % 100n).toString().padStart(2, '0')}`);
    }));
  });

  it('shows chart values as toLocaleString does in both languages', () => {
    const chartValue = fc.oneof(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: -1e9, max: 1e9 }).map((cents) => cents / 100));
    fc.assert(fc.property(chartValue, fc.constantFrom('en-US', 'zh-CN'), (value, locale) => {
      expect(formatChartNumber(value)).toBe(value.toLocaleString(locale));
    }));
    expect(formatChartNumber(1234.5678)).toBe('1,234.568');
    expect(formatChartNumber(-0.0001)).toBe('0');
  });

  it('shows axis values in compact units as Intl does in both languages, carrying into the next unit', () => {
    const intl = (value: number, locale: string) => new Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 }).format(value);
    const axisValue = fc.oneof(
      fc.integer({ min: -1e15, max: 1e15 }),
      fc.integer({ min: -1e8, max: 1e8 }).map((tenths) => tenths / 10),
      fc.integer({ min: 0, max: 17 }).map((power) => 10 ** power),
      fc.integer({ min: 1, max: 9_999 }).chain((head) => fc.integer({ min: 0, max: 12 }).map((power) => head * 10 ** power - 5 * 10 ** Math.max(0, power - 2))),
    ).filter((value) => intl(value, 'en-US') !== '-0');
    fc.assert(fc.property(axisValue, fc.constantFrom('en-US', 'zh-CN'), (value, locale) => {
      expect(formatCompact(value, locale)).toBe(intl(value, locale));
    }), { numRuns: 2_000 });
    expect(formatCompact(999_999, 'en-US')).toBe('1M');
    expect(formatCompact(99_950_000, 'zh-CN')).toBe('9995\u4e07');
    expect(formatCompact(2150, 'en-US')).toBe('2.2K');
  });

  it('reads what a user types into minor units, and refuses what is not an amount', () => {
    expect(parseMajor('1,234.5', 2)).toBe('123450');
    expect(parseMajor('100', 2)).toBe('10000');
    expect(parseMajor(' 0.01 ', 2)).toBe('1');
    expect(parseMajor('12', 0)).toBe('12');
    for (const bad of ['', '0', '0.00', '-1', '1.234', '1e3', 'abc', '1.2.3', '.5.']) expect(parseMajor(bad, 2), bad).toBeNull();
    expect(parseMajor('1.5', 0)).toBeNull();
    expect(parseMajor('92233720368547758.07', 2)).toBe('9223372036854775807');
    expect(parseMajor('92233720368547758.08', 2)).toBeNull();
  });

  it('reads back exactly what it shows, for any positive amount and scale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 9_223_372_036_854_775_807n }), fc.integer({ min: 0, max: 3 }), (minor, scale) => {
        expect(parseMajor(formatMinor(minor, scale), scale)).toBe(minor.toString());
      }),
    );
  });
});
