/** Display helpers for instants and identifiers. */

/**
 * `Date.prototype.toLocaleString(locale, options)` builds a new date format on every call, which
 * costs far more than formatting: a table of a hundred payments spent a third of a second on it.
 * One format per locale and style is built once and reused.
 */
const INSTANT_OPTIONS: Intl.DateTimeFormatOptions = { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false };
/** What `toLocaleTimeString(locale, { hour12: false })` shows. */
const TIME_OF_DAY_OPTIONS: Intl.DateTimeFormatOptions = { hour: 'numeric', minute: 'numeric', second: 'numeric', hour12: false };
const dateFormats = new Map<string, Intl.DateTimeFormat>();
function dateFormat(locale: string, style: 'instant' | 'time'): Intl.DateTimeFormat {
  const key = `${style} ${locale}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, style === 'instant' ? INSTANT_OPTIONS : TIME_OF_DAY_OPTIONS);
    dateFormats.set(key, format);
  }
  return format;
}

/** An ISO instant (with up to nanosecond digits) in the user's time zone, to the second. */
export function formatInstant(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = new Date(iso.replace(/(\.\d{3})\d+Z$/, '$1Z'));
  if (Number.isNaN(date.getTime())) return iso;
  return dateFormat(locale, 'instant').format(date);
}

/** The time of day with milliseconds, for events that happen within one second. */
export function formatTimeOfDay(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = new Date(iso.replace(/(\.\d{3})\d+Z$/, '$1Z'));
  if (Number.isNaN(date.getTime())) return iso;
  return `${dateFormat(locale, 'time').format(date)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/** The first block of a UUID: enough to tell rows apart on screen. */
export function shortId(id: string | null | undefined): string {
  if (!id) return '—';
  return id.length > 12 ? `${id.slice(0, 8)}…` : id;
}

/** Nanoseconds since the epoch (a ledger timestamp) as an ISO instant. */
export function nsToIso(ns: string): string {
  const value = BigInt(ns);
  const ms = Number(value / 1_000_000n);
  return new Date(ms).toISOString();
}

/** An ISO instant as nanoseconds since the epoch, for the `at` parameter of point-in-time balances. */
export function msToNs(ms: number): string {
  return (BigInt(Math.trunc(ms)) * 1_000_000n).toString();
}
