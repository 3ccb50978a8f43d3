/**
 * Money on the wire is a string of integer minor units; the console shows it in major units with
 * the currency's scale. All arithmetic stays in BigInt, so no amount is ever rounded through a float.
 */

/** The largest amount the API takes: a signed 64-bit integer of minor units. */
const AMOUNT_MAX = 9_223_372_036_854_775_807n;

/** ISO 4217 minor-unit scales of currencies that do not use two decimals. */
const SCALES: Readonly<Record<string, number>> = {
  BHD: 3, BIF: 0, CLP: 0, DJF: 0, GNF: 0, IQD: 3, ISK: 0, JOD: 3, JPY: 0, KMF: 0, KRW: 0, KWD: 3,
  LYD: 3, OMR: 3, PYG: 0, RWF: 0, TND: 3, UGX: 0, UYI: 0, VND: 0, VUV: 0, XAF: 0, XOF: 0, XPF: 0,
};

export function scaleOf(currency: string): number {
  return SCALES[currency] ?? 2;
}

/**
 * "1234567" → "1,234,567". Both of the console's languages group digits in threes with a comma,
 * so this is done by hand: the first Intl format a fresh page builds loads ICU's data, tens of
 * milliseconds of a page's first view.
 */
function groupDigits(digits: string): string {
  const head = digits.length % 3 || 3;
  let grouped = digits.slice(0, head);
  for (let index = head; index < digits.length; index += 3) grouped += `,${digits.slice(index, index + 3)}`;
  return grouped;
}

/** "123456", 2 → "1,234.56"; negative amounts keep their sign. Same grouping in en-US and zh-CN. */
export function formatMinor(amount: string | bigint, scale: number, _locale = 'en-US'): string {
  let value: bigint;
  try {
    value = typeof amount === 'bigint' ? amount : BigInt(amount);
  } catch {
    return String(amount);
  }
  const negative = value < 0n;
  const absolute = negative ? -value : value;
  const divisor = 10n ** BigInt(scale);
  const whole = groupDigits((absolute / divisor).toString());
  const fraction = scale > 0 ? `.${(absolute % divisor).toString().padStart(scale, '0')}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * A chart value (major units, a float) as `Number.prototype.toLocaleString` shows it in en-US and
 * zh-CN: grouped, at most three decimals. For axis labels and tooltips, never for amounts of record.
 */
export function formatChartNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const [whole = '0', fraction = ''] = Math.abs(value).toFixed(3).split('.');
  const decimals = fraction.replace(/0+$/, '');
  const text = `${groupDigits(whole)}${decimals ? `.${decimals}` : ''}`;
  return value < 0 && text !== '0' ? `-${text}` : text;
}

export function formatMoney(amount: string | bigint, currency: string, locale = 'en-US', scale = scaleOf(currency)): string {
  return `${formatMinor(amount, scale, locale)} ${currency}`;
}

/**
 * Parses what a user typed in major units ("1,234.5") into minor units ("123450"), or null when it
 * is not a positive amount with at most `scale` decimals.
 */
export function parseMajor(text: string, scale: number): string | null {
  const cleaned = text.replace(/[,\s_]/g, '');
  const match = /^(\d{1,19})(?:\.(\d*))?$/.exec(cleaned);
  if (!match) return null;
  const fraction = match[2] ?? '';
  if (fraction.length > scale) return null;
  const minor = BigInt(match[1] ?? '0') * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
  return minor > 0n && minor <= AMOUNT_MAX ? minor.toString() : null;
}

/** A minor-unit amount as a number of major units, for chart axes only (never for arithmetic). */
export function toChartNumber(amount: string | bigint, scale: number): number {
  const value = typeof amount === 'bigint' ? amount : BigInt(amount);
  return Number(value) / 10 ** scale;
}

/** Credits minus debits of a balance, posted only: what an account holds now. */
export function netPosted(balance: { readonly credits_posted: string; readonly debits_posted: string }): bigint {
  return BigInt(balance.credits_posted) - BigInt(balance.debits_posted);
}

/**
 * Compact units of each language, largest first: the power of ten each stands for. The largest
 * unit also takes every larger number ("1,234T").
 */
const COMPACT_UNITS: Readonly<Record<'en-US' | 'zh-CN', readonly (readonly [exponent: number, suffix: string])[]>> = {
  'en-US': [[12, 'T'], [9, 'B'], [6, 'M'], [3, 'K']],
  'zh-CN': [[12, '\u4e07\u4ebf'], [8, '\u4ebf'], [4, '\u4e07']],
};

/** The unit for a number whose integer part has `magnitude + 1` digits, or none below the smallest. */
function compactUnit(units: readonly (readonly [number, string])[], magnitude: number): readonly [number, string] {
  return units.find(([exponent]) => magnitude >= exponent) ?? [0, ''];
}

/**
 * A chart axis value in thousands, millions … ("1.2K", "12.3万"): what
 * `Intl.NumberFormat(locale, { notation: 'compact', maximumFractionDigits: 1 })` shows in en-US and
 * zh-CN, written by hand like formatMinor (no Intl on a page's first view). The number is rounded
 * on its shortest decimal form, half away from zero, to one decimal of its unit; when that reaches
 * the next unit ("999.96K"), the next unit is used ("1M").
 */
export function formatCompact(value: number, locale: string): string {
  if (!Number.isFinite(value)) return String(value);
  const units = COMPACT_UNITS[locale === 'zh-CN' ? 'zh-CN' : 'en-US'];
  const [mantissa = '0', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  // |value| = digits × 10^exponent, exactly as its shortest decimal form says.
  const digits = mantissa.replace('.', '').replace(/^0+/, '') || '0';
  const exponent = Number(exponentText) - (mantissa.split('.')[1]?.length ?? 0);
  const tenthsIn = (unitExponent: number): bigint => {
    const shift = exponent - unitExponent + 1;
    if (shift >= 0) return BigInt(digits) * 10n ** BigInt(shift);
    const divisor = 10n ** BigInt(-shift);
    const whole = BigInt(digits) / divisor;
    return (BigInt(digits) % divisor) * 2n >= divisor ? whole + 1n : whole;
  };
  let unit = compactUnit(units, digits === '0' ? 0 : digits.length - 1 + exponent);
  let tenths = tenthsIn(unit[0]);
  // Rounding up can carry the number into the next unit: 999.96K is 1M.
  const roundedMagnitude = tenths === 0n ? 0 : tenths.toString().length - 2 + unit[0];
  const carried = compactUnit(units, roundedMagnitude);
  if (carried[0] !== unit[0]) {
    tenths = (tenths * 10n ** BigInt(unit[0])) / 10n ** BigInt(carried[0]);
    unit = carried;
  }
  const whole = (tenths / 10n).toString();
  const fraction = tenths % 10n;
  const text = `${whole.length >= 5 ? groupDigits(whole) : whole}${fraction === 0n ? '' : `.${fraction}`}${unit[1]}`;
  return value < 0 && tenths !== 0n ? `-${text}` : text;
}
