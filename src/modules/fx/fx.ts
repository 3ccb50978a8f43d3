import { assert } from '../../kernel/index.ts';

/**
 * Exchange rates as exact fractions and the arithmetic of converting minor units with them.
 *
 * A rate is "units of the quote currency per unit of the base currency" in major units, as dealers
 * quote it (USD/CNY 7.1234 means one dollar buys 7.1234 yuan). It is kept as a reduced fraction of
 * two bigints, never as a float, so that inverting it, applying a spread and moving between minor
 * units are exact; only the final conversion rounds, down, and states what it did not convert.
 */
export interface Rate {
  readonly numerator: bigint;
  readonly denominator: bigint;
}

/** Digits a rate may have on either side of the decimal point; enough for any traded pair. */
export const RATE_INTEGER_DIGITS_MAX = 12;
export const RATE_FRACTION_DIGITS_MAX = 12;
/** A spread is taken in basis points of the mid rate; 10 % would already be usury at a desk. */
export const SPREAD_BPS_MAX = 1000;
export const BPS_PER_UNIT = 10_000n;

const DECIMAL = new RegExp(`^(0|[1-9][0-9]{0,${RATE_INTEGER_DIGITS_MAX - 1}})(?:\\.([0-9]{1,${RATE_FRACTION_DIGITS_MAX}}))?$`);

function gcd(a: bigint, b: bigint): bigint {
  let x = a < 0n ? -a : a;
  let y = b < 0n ? -b : b;
  while (y !== 0n) [x, y] = [y, x % y];
  return x;
}

export function rate(numerator: bigint, denominator: bigint): Rate {
  assert(numerator > 0n && denominator > 0n, 'a rate is a positive fraction');
  const divisor = gcd(numerator, denominator);
  return { numerator: numerator / divisor, denominator: denominator / divisor };
}

/** Parses "7.1234" into an exact fraction; undefined for anything that is not a positive decimal. */
export function parseRate(text: string): Rate | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, whole, fraction = ''] = match;
  const numerator = BigInt(`${whole}${fraction}`);
  if (numerator === 0n) return undefined;
  return rate(numerator, 10n ** BigInt(fraction.length));
}

/**
 * Renders a rate as a decimal with at most `digits` fraction digits, cut (not rounded) when the
 * fraction does not terminate; the exact value is always the stored fraction.
 */
export function formatRate(value: Rate, digits = RATE_FRACTION_DIGITS_MAX): string {
  const scale = 10n ** BigInt(digits);
  const scaled = (value.numerator * scale) / value.denominator;
  const whole = scaled / scale;
  const fraction = (scaled % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : `${whole}`;
}

export const invert = (value: Rate): Rate => rate(value.denominator, value.numerator);
export const multiply = (a: Rate, b: Rate): Rate => rate(a.numerator * b.numerator, a.denominator * b.denominator);
export const sameRate = (a: Rate, b: Rate): boolean => a.numerator === b.numerator && a.denominator === b.denominator;

/** The rate a customer gets: the mid rate less the desk's spread, so the desk never sells below mid. */
export function applySpread(mid: Rate, spreadBps: number): Rate {
  assert(Number.isInteger(spreadBps) && spreadBps >= 0 && spreadBps <= SPREAD_BPS_MAX, `spread ${spreadBps} bps out of range`);
  return multiply(mid, rate(BPS_PER_UNIT - BigInt(spreadBps), BPS_PER_UNIT));
}

/**
 * The same rate expressed in minor units: one minor unit of the sold currency (scale `sellScale`)
 * buys this many minor units of the bought one (scale `buyScale`).
 */
export function minorUnitRate(value: Rate, sellScale: number, buyScale: number): Rate {
  const shift = buyScale - sellScale;
  return shift >= 0 ? multiply(value, rate(10n ** BigInt(shift), 1n)) : multiply(value, rate(1n, 10n ** BigInt(-shift)));
}

/**
 * What converting `sellAmount` minor units at `minorRate` delivers, with nothing hidden:
 *   bought     = floor(sellAmount × rate): whole minor units of the bought currency;
 *   converted  = the least amount of the sold currency that buys exactly `bought`;
 *   residual   = sellAmount − converted: whole minor units that buy no further whole unit, which the
 *                caller books to a rounding account rather than let them vanish;
 *   remainder  = converted × rate − bought, a fraction of one minor unit of the bought currency
 *                (0 ≤ remainder < 1) that no ledger can hold; it is stated, never paid out.
 * So bought ≤ sellAmount × rate always: a conversion never creates value.
 */
export interface Conversion {
  readonly sellAmount: bigint;
  readonly converted: bigint;
  readonly residual: bigint;
  readonly bought: bigint;
  readonly remainder: Rate | null;
}

export function convert(sellAmount: bigint, minorRate: Rate): Conversion {
  assert(sellAmount >= 0n, 'cannot convert a negative amount');
  const { numerator, denominator } = minorRate;
  const bought = (sellAmount * numerator) / denominator;
  const converted = bought === 0n ? 0n : ceilDivide(bought * denominator, numerator);
  const remainderNumerator = converted * numerator - bought * denominator;
  return {
    sellAmount,
    converted,
    residual: sellAmount - converted,
    bought,
    remainder: remainderNumerator === 0n ? null : rate(remainderNumerator, denominator),
  };
}

/** The least amount to sell so that the conversion buys at least `target` minor units. */
export function sellAmountFor(target: bigint, minorRate: Rate): bigint {
  assert(target >= 0n, 'cannot buy a negative amount');
  return ceilDivide(target * minorRate.denominator, minorRate.numerator);
}

function ceilDivide(dividend: bigint, divisor: bigint): bigint {
  return (dividend + divisor - 1n) / divisor;
}

/** A currency pair as the rates table keys it. */
export interface Pair {
  readonly base: string;
  readonly quote: string;
}

export const CURRENCY_PATTERN = '^[A-Z]{3}$';
const CURRENCY = new RegExp(CURRENCY_PATTERN);
export const isCurrencyCode = (text: string): boolean => CURRENCY.test(text);
