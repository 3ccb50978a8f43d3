/**
 * One clock is injected everywhere so that tests can move time (expiry, maturity, windows).
 * Time is read in milliseconds since the Unix epoch; the ledger derives nanosecond timestamps from it.
 */
export interface Clock {
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

export interface ManualClock extends Clock {
  set(ms: number): void;
  advance(ms: number): void;
}

export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  let now = startMs;
  return {
    nowMs: () => now,
    set(ms) {
      now = ms;
    },
    advance(ms) {
      now += ms;
    },
  };
}

export const NANOSECONDS_PER_MILLISECOND = 1_000_000n;

export function msToNs(ms: number): bigint {
  return BigInt(Math.trunc(ms)) * NANOSECONDS_PER_MILLISECOND;
}

/** Renders a nanosecond timestamp as an ISO 8601 instant with nanosecond precision. */
export function nsToIso(ns: bigint): string {
  const ms = ns / NANOSECONDS_PER_MILLISECOND;
  const iso = new Date(Number(ms)).toISOString();
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an ISO 8601 instant (up to nanoseconds) into nanoseconds since the epoch, or undefined. */
export function isoToNs(text: string): bigint | undefined {
  const match = ISO_INSTANT.exec(text);
  if (!match) return undefined;
  const [, seconds, fraction = '', zone] = match;
  const ms = Date.parse(`${seconds}${zone}`);
  if (Number.isNaN(ms)) return undefined;
  // Date.parse rolls 30 February over into March; a day the month does not have is no instant.
  const [year, month, day] = (seconds as string).slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(0);
  // setUTCFullYear, unlike Date.UTC, takes years 0–99 literally.
  calendar.setUTCFullYear(year, month - 1, day);
  if (calendar.getUTCDate() !== day) return undefined;
  return BigInt(ms) * NANOSECONDS_PER_MILLISECOND + BigInt(fraction.padEnd(9, '0'));
}

/**
 * A clock that can be set behind the one it wraps. Only the demo loader uses it: it books a month of
 * history at the times that history happened, before the platform serves anyone, and then sets it
 * back to zero. The ledger never lets its own timestamps go backwards, whatever the clock says.
 */
export interface RewindableClock extends Clock {
  /** How far behind the wrapped clock to read, in milliseconds; 0 reads it as it is. */
  setBehindMs(ms: number): void;
}

export function createRewindableClock(base: Clock): RewindableClock {
  let behindMs = 0;
  return {
    nowMs: () => base.nowMs() - behindMs,
    setBehindMs(ms) {
      behindMs = Math.max(0, ms);
    },
  };
}
