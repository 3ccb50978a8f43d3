/** Display helpers for instants and identifiers. */

/**
 * Instants are written by hand in the two patterns the console's languages use, in the user's
 * time zone: "01/05/2026, 13:07:09" (en-US) and "2026/01/05 13:07:09" (zh-CN). An Intl date
 * format would show the same, but the first one a fresh page builds loads ICU's data (tens of
 * milliseconds of a page's first view), and en-US with `hour12: false` shows the hour after
 * midnight as "24".
 */
const twoDigits = (value: number) => String(value).padStart(2, '0');

function clock(date: Date): string {
  return `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}:${twoDigits(date.getSeconds())}`;
}

/** The instant of an ISO string with up to nanosecond digits, or null when it is not one. */
function parseInstant(iso: string): Date | null {
  const date = new Date(iso.replace(/(\.\d{3})\d+Z$/, '$1Z'));
  return Number.isNaN(date.getTime()) ? null : date;
}

/** An ISO instant (with up to nanosecond digits) in the user's time zone, to the second. */
export function formatInstant(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—';
  const date = parseInstant(iso);
  if (!date) return iso;
  const monthDay = `${twoDigits(date.getMonth() + 1)}/${twoDigits(date.getDate())}`;
  return locale === 'zh-CN' ? `${date.getFullYear()}/${monthDay} ${clock(date)}` : `${monthDay}/${date.getFullYear()}, ${clock(date)}`;
}

/** The time of day with milliseconds, for events that happen within one second. */
export function formatTimeOfDay(iso: string | null | undefined, _locale: string): string {
  if (!iso) return '—';
  const date = parseInstant(iso);
  if (!date) return iso;
  return `${clock(date)}.${String(date.getMilliseconds()).padStart(3, '0')}`;
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
