import { assert } from './assert.ts';

/** Money is an integer count of minor units with its currency or asset code. Never a float. */
export interface Money {
  readonly amount: bigint;
  readonly currency: string;
}

/** The largest amount one transfer or one balance column can hold (a signed 64-bit integer). */
export const AMOUNT_MAX = 2n ** 63n - 1n;

/** Minor-unit scale of ISO 4217 currencies that Sluice knows by heart; other assets state their scale. */
export const ISO_4217_SCALES: Readonly<Record<string, number>> = Object.freeze({
  AED: 2, AUD: 2, BHD: 3, BRL: 2, CAD: 2, CHF: 2, CNY: 2, CZK: 2, DKK: 2, EUR: 2, GBP: 2, HKD: 2,
  IDR: 2, INR: 2, JOD: 3, JPY: 0, KRW: 0, KWD: 3, MOP: 2, MXN: 2, MYR: 2, NOK: 2, NZD: 2, OMR: 3,
  PHP: 2, PLN: 2, RUB: 2, SAR: 2, SEK: 2, SGD: 2, THB: 2, TRY: 2, TWD: 2, USD: 2, VND: 0, ZAR: 2,
});

const MINOR_UNITS = /^(0|[1-9][0-9]{0,18})$/;

/** Parses a JSON amount string of minor units. Returns undefined unless it is an integer in [0, AMOUNT_MAX]. */
export function parseMinorUnits(text: string): bigint | undefined {
  if (!MINOR_UNITS.test(text)) return undefined;
  const value = BigInt(text);
  return value <= AMOUNT_MAX ? value : undefined;
}

/** Renders minor units as a decimal string in major units, e.g. 12345n at scale 2 → "123.45". */
export function formatMinorUnits(amount: bigint, scale: number): string {
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString().padStart(scale + 1, '0');
  const whole = scale === 0 ? digits : digits.slice(0, -scale);
  const fraction = scale === 0 ? '' : `.${digits.slice(-scale)}`;
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Division that states its remainder: quotient rounded toward negative infinity. */
export function divideFloor(dividend: bigint, divisor: bigint): { quotient: bigint; remainder: bigint } {
  assert(divisor !== 0n, 'division by zero');
  let quotient = dividend / divisor;
  if ((dividend % divisor !== 0n) && ((dividend < 0n) !== (divisor < 0n))) quotient -= 1n;
  return { quotient, remainder: dividend - quotient * divisor };
}

/**
 * Splits an amount into parts proportional to `ratios` so that the parts add up exactly; the
 * remainder is handed out one minor unit at a time from the first part on.
 */
export function allocate(amount: bigint, ratios: readonly bigint[]): bigint[] {
  assert(ratios.length > 0, 'allocate needs at least one ratio');
  const total = ratios.reduce((sum, ratio) => sum + ratio, 0n);
  assert(total > 0n && ratios.every((ratio) => ratio >= 0n), 'ratios must be non-negative with a positive sum');
  const parts = ratios.map((ratio) => divideFloor(amount * ratio, total).quotient);
  let remainder = amount - parts.reduce((sum, part) => sum + part, 0n);
  for (let index = 0; remainder > 0n; index = (index + 1) % parts.length) {
    if (ratios[index] === 0n) continue;
    parts[index] = (parts[index] ?? 0n) + 1n;
    remainder -= 1n;
  }
  return parts;
}
