import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applySpread, convert, formatRate, invert, minorUnitRate, parseRate, rate, sellAmountFor } from './fx.ts';
import { parseRatesText } from './fx.rates-file.ts';

const rates = fc.tuple(fc.bigInt({ min: 1n, max: 10n ** 14n }), fc.bigInt({ min: 1n, max: 10n ** 14n })).map(([n, d]) => rate(n, d));
const amounts = fc.bigInt({ min: 0n, max: 10n ** 15n });

describe('FX arithmetic', () => {
  it('reads rates as exact decimals and refuses anything else', () => {
    expect(parseRate('7.1234')).toEqual({ numerator: 35617n, denominator: 5000n });
    expect(parseRate('0.000000000001')).toEqual({ numerator: 1n, denominator: 10n ** 12n });
    for (const bad of ['0', '0.0', '-1', '1e3', '7.', '.5', '01.5', 'NaN', '7,12', '1.0000000000001', '']) expect(parseRate(bad), bad).toBeUndefined();
  });

  it('renders rates as decimals, cut rather than rounded when they do not terminate', () => {
    expect(formatRate(parseRate('7.1234')!)).toBe('7.1234');
    expect(formatRate(invert(parseRate('3')!), 6)).toBe('0.333333');
    expect(formatRate(rate(2n, 3n), 4)).toBe('0.6666');
  });

  it('takes the spread off the mid rate, exactly', () => {
    expect(applySpread(parseRate('7.1234')!, 25)).toEqual(rate(71234n * 9975n, 10000n * 10000n));
    expect(applySpread(parseRate('2')!, 0)).toEqual(rate(2n, 1n));
  });

  it('moves between minor units by the two scales', () => {
    // 1 USD = 151.37 JPY: one cent buys 1.5137 yen.
    expect(minorUnitRate(parseRate('151.37')!, 2, 0)).toEqual(rate(15137n, 10000n));
    expect(minorUnitRate(parseRate('0.0066')!, 0, 2)).toEqual(rate(66n, 100n));
  });

  it('never creates value: bought ≤ sold × rate, and what it did not convert is stated exactly', () => {
    fc.assert(
      fc.property(amounts, rates, (sold, minorRate) => {
        const result = convert(sold, minorRate);
        const { numerator: n, denominator: d } = minorRate;
        expect(result.bought * d <= sold * n).toBe(true);
        expect(result.converted + result.residual).toBe(sold);
        expect(result.residual >= 0n && result.converted >= 0n).toBe(true);
        // The converted part buys exactly what was bought, and one unit less would buy less.
        expect((result.converted * n) / d).toBe(result.bought);
        if (result.converted > 0n) expect(((result.converted - 1n) * n) / d < result.bought).toBe(true);
        // Exact accounting: converted × rate = bought + remainder, with 0 ≤ remainder < 1 minor unit.
        const remainder = result.remainder;
        if (remainder) {
          expect(result.converted * n * remainder.denominator).toBe(result.bought * d * remainder.denominator + remainder.numerator * d);
          expect(remainder.numerator < remainder.denominator).toBe(true);
        } else {
          expect(result.converted * n).toBe(result.bought * d);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the least amount to sell that buys a target', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 10n ** 12n }), rates, (target, minorRate) => {
        const sell = sellAmountFor(target, minorRate);
        expect(convert(sell, minorRate).bought >= target).toBe(true);
        if (sell > 0n) expect(convert(sell - 1n, minorRate).bought < target).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('rates files', () => {
  it('reads CSV with a header and comments, and JSON', () => {
    const csv = parseRatesText('# desk rates\nbase,quote,mid,spread_bps\nUSD,CNY,7.1234,25\nUSD,JPY, 151.37 ,20\n');
    expect(csv).toEqual({ ok: true, value: [{ base: 'USD', quote: 'CNY', mid: '7.1234', spreadBps: 25, where: 'line 3' }, { base: 'USD', quote: 'JPY', mid: '151.37', spreadBps: 20, where: 'line 4' }] });
    const json = parseRatesText('[{"base":"EUR","quote":"USD","mid":"1.0825","spread_bps":5}]');
    expect(json).toEqual({ ok: true, value: [{ base: 'EUR', quote: 'USD', mid: '1.0825', spreadBps: 5, where: 'entry 1' }] });
  });

  it('refuses a malformed file whole', () => {
    for (const bad of ['', 'USD,CNY', 'usd,cny,7.1,1', 'USD,CNY,7.1,abc', '[{"base":"USD"}]', '[', '{"base":"USD"}', 'USD,CNY,7.1,1,9']) {
      expect(parseRatesText(bad), bad).toMatchObject({ ok: false, error: 'rates_file_malformed' });
    }
  });

  it('names the line or entry at fault, and what is wrong with it', () => {
    const csv = (line: string) => parseRatesText(`# desk rates\nbase,quote,mid,spread_bps\nUSD,CNY,7.1234,25\n\n${line}\nUSD,JPY,151.37,20\n`);
    expect(csv('USD,HKD;7.8')).toEqual({ ok: false, error: 'rates_file_malformed', where: 'line 5', reason: 'expected base,quote,mid[,spread_bps], found 2 fields' });
    expect(csv('USD,SGD,1.3x,10')).toMatchObject({ where: 'line 5', reason: 'mid "1.3x" is not a positive decimal rate' });
    expect(csv('USD,SGD,0,10')).toMatchObject({ where: 'line 5', reason: expect.stringContaining('mid') });
    expect(csv('USD,SGD,1.35,25.5')).toMatchObject({ where: 'line 5', reason: expect.stringContaining('spread_bps') });
    expect(csv('USD,SGD,1.35,5000')).toMatchObject({ where: 'line 5', reason: expect.stringContaining('spread_bps') });
    expect(csv('USD,usd,1,0')).toMatchObject({ where: 'line 5', reason: expect.stringContaining('quote "usd"') });
    expect(csv('USD,USD,1,0')).toMatchObject({ where: 'line 5', reason: 'base and quote are the same currency' });
    // Set twice, in either direction, the last line would silently win: the repeat is named.
    expect(csv('CNY,USD,0.14,25')).toMatchObject({ where: 'line 5', reason: 'CNY/USD is set again (first at line 3)' });
    expect(parseRatesText('[{"base":"EUR","quote":"USD","mid":"1.08"},{"base":"EUR","quote":"USD","mid":1.08}]')).toMatchObject({ ok: false, where: 'entry 2', reason: 'mid must be a string' });
    expect(parseRatesText('\n\n# nothing\n')).toMatchObject({ ok: false, where: null, reason: 'the file holds no rates' });
  });
});
