/**
 * Value rules shared by readers and builders: exact decimal amounts, currencies, BICs, IBANs,
 * UETRs, dates and text. Every check is exact; no amount ever passes through a float.
 */
import { createHash } from 'node:crypto';
import { AMOUNT_MAX, ISO_3166_ALPHA2, formatMinorUnits, ISO_4217_SCALES, type Money } from '../../kernel/index.ts';
import { problem, type Iso20022Problem } from './iso20022.errors.ts';

/** A decimal number as an integer and a count of fraction digits: value = units / 10^scale. */
export interface Decimal {
  readonly units: bigint;
  readonly scale: number;
}

/** Whether a character code is an ASCII digit. */
const isDigit = (code: number) => code >= 0x30 && code <= 0x39;

/**
 * Parses decimal text exactly; undefined when it is not an xs:decimal's lexical form after
 * whitespace collapsing: an optional sign, digits, and optionally a point and more digits, with at
 * least one digit in all (no exponent).
 */
export function parseDecimal(text: string): Decimal | undefined {
  const trimmed = text.trim();
  const first = trimmed.charCodeAt(0);
  const negative = first === 0x2d; /* - */
  const wholeFrom = negative || first === 0x2b /* + */ ? 1 : 0;
  let position = wholeFrom;
  while (isDigit(trimmed.charCodeAt(position))) position += 1;
  const wholeEnd = position;
  let fractionFrom = position;
  if (trimmed.charCodeAt(position) === 0x2e /* . */) {
    fractionFrom = position + 1;
    position = fractionFrom;
    while (isDigit(trimmed.charCodeAt(position))) position += 1;
  }
  if (position !== trimmed.length || (wholeEnd === wholeFrom && position === fractionFrom)) return undefined;
  const whole = trimmed.slice(wholeFrom, wholeEnd);
  const fraction = trimmed.slice(fractionFrom, position);
  const units = BigInt(`${whole || '0'}${fraction}`);
  return { units: negative ? -units : units, scale: fraction.length };
}

/** Powers of ten as big integers, made once: 10n ** BigInt(n) for every amount would cost more than the rest of its reading. */
const POWERS_OF_TEN: readonly bigint[] = Array.from({ length: 40 }, (_unused, exponent) => 10n ** BigInt(exponent));

/** 10 to the power of a non-negative integer, as a big integer. */
function powerOfTen(exponent: number): bigint {
  return POWERS_OF_TEN[exponent] ?? 10n ** BigInt(exponent);
}

/** Exact comparison of two decimals: -1, 0 or 1. */
export function compareDecimals(left: Decimal, right: Decimal): number {
  const scale = Math.max(left.scale, right.scale);
  const a = left.units * powerOfTen(scale - left.scale);
  const b = right.units * powerOfTen(scale - right.scale);
  return a < b ? -1 : a > b ? 1 : 0;
}

export function addDecimals(left: Decimal, right: Decimal): Decimal {
  const scale = Math.max(left.scale, right.scale);
  return {
    units: left.units * powerOfTen(scale - left.scale) + right.units * powerOfTen(scale - right.scale),
    scale,
  };
}

export function decimalToText(value: Decimal): string {
  return formatMinorUnits(value.units, value.scale);
}

/** Minor-unit scale of a currency Sluice knows, or undefined. */
export function currencyScale(currency: string): number | undefined {
  return Object.hasOwn(ISO_4217_SCALES, currency) ? ISO_4217_SCALES[currency] : undefined;
}

/**
 * ISO 20022 amounts have at most 18 digits in all (ActiveCurrencyAndAmount's totalDigits), so an
 * amount of 10^18 minor units or more cannot be written at any scale used here.
 */
export const ISO_AMOUNT_MAX_MINOR = 10n ** 18n - 1n;

const pathOf = (at: string | { readonly path: string }): string => (typeof at === 'string' ? at : at.path);

/**
 * Converts an XML amount and its currency to minor units. The amount may not have more decimals
 * than the currency (even zeros: "100.00" is not a yen amount), must be positive (or zero, for
 * charges, where a zero amount states that nothing was taken) and must fit. `at` is the path a
 * problem names, or the element whose path it is.
 */
export function amountFromXml(text: string, currency: string, at: string | { readonly path: string }, allowZero = false): Money | Iso20022Problem {
  // An element's path is worked out when first asked for; an amount that passes never asks.
  const scale = currencyScale(currency);
  if (scale === undefined) return problem('unknown_currency', pathOf(at), `currency ${currency} is not an ISO 4217 currency Sluice supports`);
  const value = parseDecimal(text);
  if (!value) return problem('schema_invalid', pathOf(at), `'${text}' is not a decimal amount`);
  if (value.scale > scale) {
    return problem('amount_scale_exceeds_currency', pathOf(at), `${currency} has ${scale} decimals but the amount '${text.trim()}' has ${value.scale}`);
  }
  const amount = value.units * powerOfTen(scale - value.scale);
  if (amount < 0n || (amount === 0n && !allowZero)) return problem('amount_not_positive', pathOf(at), `the amount must be greater than zero, not '${text.trim()}'`);
  if (amount > AMOUNT_MAX) return problem('amount_out_of_range', pathOf(at), `the amount '${text.trim()}' exceeds what one transfer can carry`);
  return { amount, currency };
}

/** Renders minor units with the currency's scale, e.g. 12345n EUR → "123.45", 500n JPY → "500". */
export function amountToXml(money: Money): string {
  const scale = currencyScale(money.currency);
  if (scale === undefined) throw new Error(`amountToXml: unknown currency ${money.currency}`);
  return formatMinorUnits(money.amount, scale);
}

/** Checks an amount a builder is about to write; pushes problems and returns whether it is fine. */
export function checkMoney(problems: Iso20022Problem[], path: string, money: Money, allowZero = false): boolean {
  if (currencyScale(money.currency) === undefined) {
    problems.push(problem('unknown_currency', `${path}.currency`, `currency ${money.currency} is not an ISO 4217 currency Sluice supports`));
    return false;
  }
  if (money.amount < 0n || (!allowZero && money.amount === 0n)) {
    problems.push(problem('amount_not_positive', `${path}.amount`, `the amount must be greater than zero, not ${money.amount}`));
    return false;
  }
  if (money.amount > ISO_AMOUNT_MAX_MINOR) {
    problems.push(problem('amount_out_of_range', `${path}.amount`, `ISO 20022 amounts have at most 18 digits; ${money.amount} has more`));
    return false;
  }
  return true;
}

/** BaseOneRate: positive, at most 11 digits of which at most 10 after the point. */
export function checkExchangeRate(text: string): string | undefined {
  const rate = parseDecimal(text);
  if (!rate || !/^\d+(\.\d+)?$/.test(text)) return `'${text}' is not a decimal rate like 1.0825`;
  if (rate.units <= 0n) return 'the exchange rate must be greater than zero';
  if (rate.scale > 10) return 'an exchange rate has at most 10 decimals';
  const digits = rate.units.toString().replace(/^0+/, '').length;
  if (Math.max(digits, rate.scale) > 11) return 'an exchange rate has at most 11 digits';
  return undefined;
}


const isUpper = (code: number) => code >= 0x41 && code <= 0x5a;
const isUpperOrDigit = (code: number) => isUpper(code) || isDigit(code);

/** A BIC (ISO 9362): the schema's pattern plus a real country code. Returns why not, or undefined. */
export function bicProblem(bic: string): string | undefined {
  // Four letters or digits (the institution), two letters (the country), two letters or digits
  // (the location) and optionally three more (the branch).
  let shaped = bic.length === 8 || bic.length === 11;
  for (let index = 0; shaped && index < bic.length; index++) {
    const code = bic.charCodeAt(index);
    shaped = index === 4 || index === 5 ? isUpper(code) : isUpperOrDigit(code);
  }
  if (!shaped) return `'${bic}' is not a BIC (8 or 11 letters and digits)`;
  const country = bic.slice(4, 6);
  if (!ISO_3166_ALPHA2.has(country)) return `'${bic}' names no country: ${country} is not an ISO 3166 code`;
  return undefined;
}

/**
 * IBAN lengths by country from the SWIFT IBAN registry. A country missing here is refused rather
 * than guessed at; adding a row is how a newly registered country is accepted.
 */
const IBAN_LENGTHS: Readonly<Record<string, number>> = Object.freeze({
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BI: 27, BR: 29, BY: 28, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DJ: 27, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FK: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HN: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LC: 32, LI: 21, LT: 20, LU: 20, LV: 21, LY: 25, MC: 27, MD: 24, ME: 22, MK: 19, MN: 20,
  MR: 27, MT: 31, MU: 30, NI: 28, NL: 18, NO: 15, OM: 23, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22,
  RU: 33, SA: 24, SC: 31, SD: 18, SE: 24, SI: 19, SK: 24, SM: 27, SO: 23, ST: 25, SV: 28, TL: 23, TN: 24, TR: 26,
  UA: 29, VA: 22, VG: 24, XK: 20, YE: 30,
});

/**
 * ISO 7064 MOD 97-10 over the rearranged IBAN (its first four characters moved to the end), computed
 * digit by digit so no number grows large. Letters count as 10 to 35, either case; any other
 * character makes the result NaN, which no check accepts.
 */
function ibanRemainder(iban: string): number {
  const length = iban.length;
  const shift = length > 4 ? 4 : 0;
  let remainder = 0;
  for (let index = 0; index < length; index++) {
    const code = iban.charCodeAt(index + shift < length ? index + shift : index + shift - length);
    const value =
      code >= 0x30 && code <= 0x39 ? code - 0x30 : code >= 0x41 && code <= 0x5a ? code - 0x37 : code >= 0x61 && code <= 0x7a ? code - 0x57 : Number.NaN;
    remainder = value < 10 ? (remainder * 10 + value) % 97 : (remainder * 100 + value) % 97;
  }
  return remainder;
}

/** An IBAN in its electronic form (no spaces, upper case). Returns why not, or undefined. */
export function ibanProblem(iban: string): string | undefined {
  if (!/^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$/.test(iban)) return `'${iban}' is not an IBAN in electronic form (upper case, no spaces)`;
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined) return `'${iban}': ${iban.slice(0, 2)} is not a country of the IBAN registry`;
  if (iban.length !== expected) return `'${iban}' has ${iban.length} characters; ${iban.slice(0, 2)} IBANs have ${expected}`;
  if (ibanRemainder(iban) !== 1) return `'${iban}' fails its check digits`;
  return undefined;
}

/** Check digits for a country code and BBAN, for making test IBANs. */
export function ibanWithCheckDigits(country: string, bban: string): string {
  const remainder = ibanRemainder(`${country}00${bban}`);
  return `${country}${String(98 - remainder).padStart(2, '0')}${bban}`;
}

const UETR = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

export function isUetr(text: string): boolean {
  return UETR.test(text);
}

/**
 * A UETR derived from a message's identity, for messages that carry none. It has the shape of a
 * version 4 UUID (the schemas accept nothing else) but comes from SHA-256 of the identity, so the
 * same transaction in the same file always gets the same UETR and an import can be repeated safely.
 */
export function deriveUetr(identity: readonly string[]): string {
  const bytes = createHash('sha256').update(`sluice-uetr\u0000${identity.join('\u0000')}`).digest().subarray(0, 16);
  bytes[6] = 0x40 | ((bytes[6] ?? 0) & 0x0f);
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?(Z|[+-](0\d|1[0-4]):[0-5]\d)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The number written in `length` ASCII digits from `from`, or -1. */
function digitsAt(text: string, from: number, length: number): number {
  let value = 0;
  for (let index = from; index < from + length; index++) {
    const code = text.charCodeAt(index);
    if (!isDigit(code)) return -1;
    value = value * 10 + code - 0x30;
  }
  return value;
}

/** A calendar date YYYY-MM-DD that exists (no 31 April, 29 February only in leap years) in the years 0100 to 9999. */
export function isIsoDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return false;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  if (year < 100 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number));
}

/** An xs:dateTime as ISO 20022 uses it: date, time to the second, optional fraction and offset. */
export function isIsoDateTime(text: string): boolean {
  const match = DATE_TIME.exec(text);
  return match !== null && isIsoDate(match[1] ?? '');
}

/**
 * Characters XML 1.0 cannot carry at all: C0 controls other than tab, line feed and carriage
 * return, lone surrogates, and U+FFFE / U+FFFF. With the `u` flag a surrogate range matches only
 * surrogates that are not part of a pair.
 */
const NOT_XML_CHARACTER = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF\uD800-\uDFFF]/u;

/** Length in characters as XML Schema counts them (code points, not UTF-16 units). */
export function characterLength(text: string): number {
  let count = 0;
  for (const _character of text) count += 1;
  return count;
}

/** Checks free text for a MaxNText element: 1..max characters, all of them legal in XML. */
export function textProblem(text: string, max: number): string | undefined {
  if (text.length === 0) return 'the text is empty';
  if (NOT_XML_CHARACTER.test(text)) return 'the text contains a character XML cannot carry (a control character or lone surrogate)';
  // Readers take a leading U+FEFF for a byte order mark and drop it (libxml2-wasm decodes text with
  // a default TextDecoder), so such text would not read back as written; refuse it rather than send it.
  if (text.startsWith('\uFEFF')) return 'the text starts with U+FEFF (a byte order mark), which readers drop';
  const length = characterLength(text);
  if (length > max) return `the text has ${length} characters; at most ${max} are allowed`;
  return undefined;
}

/** Pushes a problem for text that does not fit a MaxNText element. */
export function checkText(problems: Iso20022Problem[], path: string, text: string | undefined, max: number): void {
  if (text === undefined) return;
  const reason = textProblem(text, max);
  if (reason) problems.push(problem('invalid_text', path, reason));
}
