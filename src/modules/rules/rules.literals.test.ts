/**
 * Integer literals beyond 64 bits are found, as CEL's grammar would refuse them, and nothing else
 * is: not the largest literals that fit, not digits inside strings, comments or identifiers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileExpression } from './rules.cel.ts';
import { findOutOfRangeLiteral, INT64_MAX, UINT64_MAX } from './rules.literals.ts';

const found = (expression: string) => findOutOfRangeLiteral(expression)?.literal ?? null;
const hex = (value: bigint) => `0x${value.toString(16)}`;

describe('integer literals out of range', () => {
  it('finds an int beyond int64, a uint beyond uint64 and a hex literal too large, naming each as written', () => {
    expect(findOutOfRangeLiteral('event.amount > 99999999999999999999999')).toEqual({ literal: '99999999999999999999999', start: 15, end: 38, type: 'int' });
    expect(found('event.amount > 9223372036854775808')).toBe('9223372036854775808');
    expect(findOutOfRangeLiteral('uint(event.amount) > 18446744073709551616u')).toMatchObject({ literal: '18446744073709551616u', type: 'uint' });
    expect(found('event.amount > 0x8000000000000000')).toBe('0x8000000000000000');
    expect(found('event.amount > 0XFFFFFFFFFFFFFFFFF')).toBe('0XFFFFFFFFFFFFFFFFF');
    expect(found('uint(event.amount) > 0x10000000000000000U')).toBe('0x10000000000000000U');
    expect(found('event.amount > 1 || event.code == 123456789012345678901234567890')).toBe('123456789012345678901234567890');
  });

  it('accepts the ends of each range: int64 max, int64 min written with one minus, uint64 max', () => {
    for (const expression of [
      'event.amount > 9223372036854775807', 'event.amount > -9223372036854775808', 'event.amount > - 9223372036854775808',
      'event.amount > 0x7fffffffffffffff', 'event.amount > -0x8000000000000000', 'uint(event.amount) < 18446744073709551615u',
      'uint(event.amount) < 0xFFFFFFFFFFFFFFFFu', 'event.amount - -9223372036854775808 > 0', '!(-9223372036854775808 in [event.amount])',
    ]) {
      expect(found(expression), expression).toBeNull();
    }
  });

  it('lets only a single unary minus make 2^63 the int64 minimum', () => {
    expect(found('event.amount - 9223372036854775808 < 0')).toBe('9223372036854775808');
    expect(found('event.amount > -(9223372036854775808)')).toBe('9223372036854775808');
    expect(found('event.amount > --9223372036854775808')).toBe('9223372036854775808');
    expect(found('event.amount > -9223372036854775809')).toBe('9223372036854775809');
    expect(found('[1][0] -9223372036854775808 < 0')).toBe('9223372036854775808');
  });

  it('ignores digits inside strings of every kind, bytes, comments, identifiers and doubles', () => {
    const digits = '99999999999999999999999';
    for (const expression of [
      `event.ip == "${digits}"`, `event.ip == '${digits}'`, `event.ip == """a"${digits}"""`, `event.ip == '''${digits}'''`,
      `event.ip == r"${digits}"`, `event.ip == R'\\${digits}'`, `b"${digits}" == b''`, `event.ip == "\\"${digits}"`,
      `features.f${digits} > 1.0 // ${digits}\n`, `event.amount > 1 // ${digits}`, `features.x > ${digits}.0`, `features.x > ${digits}e3`,
      `features.x > 1.5e${digits.slice(0, 3)}`,
    ]) {
      expect(found(expression), expression).toBeNull();
    }
  });

  it('finds a literal after a string that holds quotes and escapes', () => {
    expect(found(`event.ip == "a\\"b" && event.amount > 99999999999999999999`)).toBe('99999999999999999999');
    expect(found(`event.ip == '''it's''' && event.amount > 99999999999999999999`)).toBe('99999999999999999999');
  });

  it('agrees with the bounds for any int, any uint and any hex literal', () => {
    const anyMagnitude = fc.bigInt({ min: 0n, max: 2n ** 90n });
    fc.assert(
      fc.property(anyMagnitude, fc.boolean(), fc.boolean(), (value, unsigned, asHex) => {
        const literal = `${asHex ? hex(value) : value.toString()}${unsigned ? 'u' : ''}`;
        const limit = unsigned ? UINT64_MAX : INT64_MAX;
        expect(found(`event.amount > ${literal}`)).toBe(value > limit ? literal : null);
      }),
    );
  });

  it('accepts every negative int down to int64 min and refuses every one below it', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: 2n ** 70n }), (magnitude) => {
        expect(found(`event.amount > -${magnitude}`)).toBe(magnitude > INT64_MAX + 1n ? magnitude.toString() : null);
      }),
    );
  });

  it('never takes digits inside any string literal for a number', () => {
    const body = fc.stringMatching(/^[0-9a-z ]{0,40}$/);
    const quoted = fc.tuple(body, fc.constantFrom('"', "'", '"""', "'''"), fc.constantFrom('', 'r', 'b', 'R', 'B')).map(([text, quote, prefix]) => `${prefix}${quote}${text}${quote}`);
    fc.assert(
      fc.property(quoted, (literal) => {
        expect(found(`${literal} == ${literal} && 99999999999999999999999 > 1`)).toBe('99999999999999999999999');
        expect(found(`event.ip == ${literal}`)).toBeNull();
      }),
    );
  });

  it('is needed: the CEL library itself reads an int beyond int64 without complaint', () => {
    expect(compileExpression('event.amount > 99999999999999999999999').ok).toBe(true);
  });
});
