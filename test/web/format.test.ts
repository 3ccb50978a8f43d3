/**
 * How the console shows instants: written by hand, they must show exactly what the browser's own
 * `toLocaleString` / `toLocaleTimeString` show for the same options on a 24-hour clock (00 to 23).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInstant, formatTimeOfDay } from '../../web/src/lib/format.ts';

const INSTANT_OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' };
/** Instants from 1970 to 2100, in milliseconds. */
const instantMs = fc.integer({ min: 0, max: 4_102_444_800_000 });

describe('console instant formatting', () => {
  it('shows an instant as toLocaleString does, in both languages', () => {
    fc.assert(fc.property(instantMs, fc.constantFrom('en-US', 'zh-CN'), (ms, locale) => {
      const iso = new Date(ms).toISOString();
      expect(formatInstant(iso, locale)).toBe(new Date(ms).toLocaleString(locale, INSTANT_OPTIONS));
    }));
  });

  it('shows the time of day as toLocaleTimeString does, with milliseconds', () => {
    fc.assert(fc.property(instantMs, fc.constantFrom('en-US', 'zh-CN'), (ms, locale) => {
      const date = new Date(ms);
      expect(formatTimeOfDay(date.toISOString(), locale)).toBe(`${date.toLocaleTimeString(locale, { hourCycle: 'h23' })}.${String(date.getMilliseconds()).padStart(3, '0')}`);
    }));
  });

  it('shows the hour after midnight as 00, in both languages', () => {
    const justAfterMidnight = new Date(2026, 0, 5, 0, 7, 9, 45).toISOString();
    expect(formatInstant(justAfterMidnight, 'en-US')).toBe('01/05/2026, 00:07:09');
    expect(formatInstant(justAfterMidnight, 'zh-CN')).toBe('2026/01/05 00:07:09');
    expect(formatTimeOfDay(justAfterMidnight, 'en-US')).toBe('00:07:09.045');
  });

  it('keeps nanosecond digits out and passes through what is not an instant', () => {
    expect(formatInstant('2026-11-27T10:00:05.123456789Z', 'en-US')).toBe(new Date('2026-11-27T10:00:05.123Z').toLocaleString('en-US', INSTANT_OPTIONS));
    expect(formatInstant('not a date', 'en-US')).toBe('not a date');
    expect(formatInstant(null, 'en-US')).toBe('—');
    expect(formatTimeOfDay(undefined, 'zh-CN')).toBe('—');
  });
});
