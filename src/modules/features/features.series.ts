/**
 * The events of one key (an account, a party in one currency, a device), kept sorted by time with
 * running totals, so that any window's count and sum cost one search for its start (two reads when
 * it starts at either end) and no loop over the events. Amounts are numbers of minor units: exact below 2^53 and good to fifteen digits above it,
 * which is what a feature needs; money itself is never computed here.
 *
 * Layout: one Float64Array holds the live events in rows [head, tail), each row the event's time,
 * amount and direction and the running totals up to and including it; `base*` hold the totals just
 * before `head`. The array grows to twice the per-key maximum, so that dropping the oldest event and
 * appending a new one moves data only once every `eventsPerKeyMax` appends (compaction), keeping
 * appends O(1) amortised.
 *
 * A series is a plain record and these are plain functions over it, rather than an object with
 * methods of its own: with a quarter of a million keys, closures per key would cost a kilobyte each
 * and run colder than one shared function does.
 */
export const DIRECTION_OUT = 1;
export const DIRECTION_IN = 2;

const INITIAL_CAPACITY = 8;

export interface WindowTotals {
  outCount: number;
  outSum: number;
  inCount: number;
  inSum: number;
}

export interface SeriesOptions {
  readonly maxEvents: number;
  /** Events at or older than `newest − horizonMs` are expired on add; distinct maps keep `distinctWindowMs`. */
  readonly horizonMs: number;
  readonly distinctWindowMs: number;
}

/** One key's events. Read its fields; change it only through the functions below. */
export interface Series {
  readonly options: SeriesOptions;
  rows: Float64Array;
  capacity: number;
  head: number;
  tail: number;
  /** Running totals just before `head`. */
  baseOutCount: number;
  baseOutSum: number;
  baseInCount: number;
  baseInSum: number;
  /** Welford's running count, mean and sum of squared deviations of the outgoing amounts held. */
  welfordCount: number;
  welfordMean: number;
  welfordM2: number;
  /** Latest outgoing event's time, or -Infinity. */
  lastOutAtMs: number;
  /** Latest time of an event dropped for room while it was still inside the longest window, or -Infinity. */
  droppedUntilMs: number;
  /**
   * The counterparties of outgoing and of incoming events: the last time each was seen, in order of
   * that time, over the distinct window only; made on first use, since parties never need one. With
   * each, the newest time seen and the time of its first (oldest) entry, so that a lookup with nothing
   * expired reads no iterator. These sit in the series itself rather than in a record of their own:
   * reaching them then costs no read of memory the series has not brought in already.
   */
  seenOut: Map<string, number> | undefined;
  seenOutNewestMs: number;
  seenOutOldestMs: number;
  seenIn: Map<string, number> | undefined;
  seenInNewestMs: number;
  seenInOldestMs: number;
  /**
   * Where the feature store files this key, by which id, and its neighbours in the store's list of
   * keys from least to most recently recorded (see features.state.ts). Kept here for the same reason:
   * a lookup by id reaches the events in one step.
   */
  readonly key: string;
  readonly index: Map<string, Series> | undefined;
  older: Series | undefined;
  newer: Series | undefined;
}

/** One event per row of one Float64Array: the fields of a row sit together, so a lookup touches few cache lines. */
const STRIDE = 7;
const AT = 0;
const AMOUNT = 1;
const DIRECTION = 2;
const OUT_COUNT = 3;
const OUT_SUM = 4;
const IN_COUNT = 5;
const IN_SUM = 6;

export function createSeries(options: SeriesOptions, key = '', index: Map<string, Series> | undefined = undefined): Series {
  return {
    options, rows: new Float64Array(INITIAL_CAPACITY * STRIDE), capacity: INITIAL_CAPACITY, head: 0, tail: 0,
    baseOutCount: 0, baseOutSum: 0, baseInCount: 0, baseInSum: 0, welfordCount: 0, welfordMean: 0, welfordM2: 0,
    lastOutAtMs: -Infinity, droppedUntilMs: -Infinity,
    seenOut: undefined, seenOutNewestMs: -Infinity, seenOutOldestMs: Infinity, seenIn: undefined, seenInNewestMs: -Infinity, seenInOldestMs: Infinity,
    key, index, older: undefined, newer: undefined,
  };
}

export const seriesSize = (series: Series): number => series.tail - series.head;
export const newestAtMs = (series: Series): number => (series.tail > series.head ? series.rows[(series.tail - 1) * STRIDE + AT]! : -Infinity);
const atOf = (series: Series, index: number): number => series.rows[index * STRIDE + AT]!;
const isOut = (series: Series, index: number): boolean => series.rows[index * STRIDE + DIRECTION] === DIRECTION_OUT;
const amountOf = (series: Series, index: number): number => series.rows[index * STRIDE + AMOUNT]!;

function recomputeTotalsFrom(series: Series, index: number): void {
  const rows = series.rows;
  for (let i = index; i < series.tail; i += 1) {
    const row = i * STRIDE;
    const previous = row - STRIDE;
    const first = i === series.head;
    const out = rows[row + DIRECTION] === DIRECTION_OUT;
    const amount = rows[row + AMOUNT]!;
    rows[row + OUT_COUNT] = (first ? series.baseOutCount : rows[previous + OUT_COUNT]!) + (out ? 1 : 0);
    rows[row + OUT_SUM] = (first ? series.baseOutSum : rows[previous + OUT_SUM]!) + (out ? amount : 0);
    rows[row + IN_COUNT] = (first ? series.baseInCount : rows[previous + IN_COUNT]!) + (out ? 0 : 1);
    rows[row + IN_SUM] = (first ? series.baseInSum : rows[previous + IN_SUM]!) + (out ? 0 : amount);
  }
}

function resetTotals(series: Series): void {
  series.baseOutCount = 0;
  series.baseOutSum = 0;
  series.baseInCount = 0;
  series.baseInSum = 0;
  series.welfordCount = 0;
  series.welfordMean = 0;
  series.welfordM2 = 0;
}

/** Moves the live events to the front and restarts the running totals (and statistics) from zero. */
function compact(series: Series, newCapacity: number): void {
  const live = series.tail - series.head;
  const target = newCapacity === series.capacity ? series.rows : new Float64Array(newCapacity * STRIDE);
  // set() copies through a clone when source and target share a buffer, so overlap is safe.
  target.set(series.rows.subarray(series.head * STRIDE, series.tail * STRIDE), 0);
  series.rows = target;
  series.capacity = newCapacity;
  series.head = 0;
  series.tail = live;
  // Rebasing keeps the running totals small, so their sums stay exact; recomputing the statistics
  // from the events themselves clears whatever rounding the removals left behind.
  resetTotals(series);
  recomputeTotalsFrom(series, 0);
  for (let i = 0; i < series.tail; i += 1) if (isOut(series, i)) welfordAdd(series, amountOf(series, i));
}

function welfordAdd(series: Series, x: number): void {
  series.welfordCount += 1;
  const delta = x - series.welfordMean;
  series.welfordMean += delta / series.welfordCount;
  series.welfordM2 += delta * (x - series.welfordMean);
}

function dropHead(series: Series): void {
  const head = series.head;
  if (isOut(series, head)) welfordRemove(series, amountOf(series, head));
  const row = head * STRIDE;
  series.baseOutCount = series.rows[row + OUT_COUNT]!;
  series.baseOutSum = series.rows[row + OUT_SUM]!;
  series.baseInCount = series.rows[row + IN_COUNT]!;
  series.baseInSum = series.rows[row + IN_SUM]!;
  series.head = head + 1;
}

/** First index in [from, tail) whose time is after `cutoffMs`; `from` must be at or before that index. */
function firstAfter(series: Series, cutoffMs: number, from: number): number {
  const rows = series.rows;
  let low = from;
  let high = series.tail;
  // Most searches end at either end: an event appended after the newest or a short window holding
  // none, a long window holding every event. Two reads answer those; the search gives the same answer.
  if (low === high || rows[(high - 1) * STRIDE + AT]! <= cutoffMs) return high;
  if (rows[low * STRIDE + AT]! > cutoffMs) return low;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (rows[middle * STRIDE + AT]! <= cutoffMs) low = middle + 1;
    else high = middle;
  }
  return low;
}

function makeRoom(series: Series): void {
  if (series.tail < series.capacity) return;
  const live = series.tail - series.head;
  const largest = series.options.maxEvents * 2;
  compact(series, series.capacity < largest && live * 2 >= series.capacity ? Math.min(series.capacity * 2, largest) : series.capacity);
}

function rememberDistinct(series: Series, direction: number, other: string, atMs: number): void {
  const out = direction === DIRECTION_OUT;
  let map = out ? series.seenOut : series.seenIn;
  if (!map) {
    map = new Map();
    if (out) series.seenOut = map;
    else series.seenIn = map;
  }
  const previous = map.get(other);
  if (previous !== undefined && previous >= atMs) return;
  // Re-inserting moves a counterparty seen before to the recent end; a new one lands there anyway.
  if (previous !== undefined) map.delete(other);
  map.set(other, atMs);
  let newestMs = out ? series.seenOutNewestMs : series.seenInNewestMs;
  if (atMs >= newestMs) {
    newestMs = atMs;
    if (out) series.seenOutNewestMs = atMs;
    else series.seenInNewestMs = atMs;
  } else {
    // An event older than the newest seen: restore the order by time (rare, bounded by the map size).
    const sorted = [...map].sort((a, b) => a[1] - b[1]);
    map.clear();
    for (const [key, value] of sorted) map.set(key, value);
  }
  const oldestMs = out ? series.seenOutOldestMs : series.seenInOldestMs;
  const cutoff = newestMs - series.options.distinctWindowMs;
  // Most events expire nothing and do not move the oldest entry: then the map is not walked at all.
  if (oldestMs > cutoff && atMs >= oldestMs && previous !== oldestMs && map.size <= series.options.maxEvents) return;
  for (const [key, value] of map) {
    if (value > cutoff && map.size <= series.options.maxEvents) break;
    map.delete(key);
  }
  const first = map.values().next();
  const firstMs = first.done ? Infinity : first.value;
  if (out) series.seenOutOldestMs = firstMs;
  else series.seenInOldestMs = firstMs;
}

/** Adds an event; events may arrive out of order. Returns how many events it dropped (room or age). */
export function addToSeries(series: Series, atMs: number, amount: number, direction: number, other: string): number {
  let dropped = 0;
  if (series.tail - series.head >= series.options.maxEvents) {
    // Full: the oldest event makes room. If the new one is older still, it is the one left out.
    const oldest = atOf(series, series.head);
    if (atMs < oldest) {
      series.droppedUntilMs = Math.max(series.droppedUntilMs, atMs);
      return 0;
    }
    series.droppedUntilMs = Math.max(series.droppedUntilMs, oldest);
    dropHead(series);
    dropped += 1;
  }
  makeRoom(series);
  const position = firstAfter(series, atMs, series.head);
  if (position < series.tail) series.rows.copyWithin((position + 1) * STRIDE, position * STRIDE, series.tail * STRIDE);
  const row = position * STRIDE;
  series.rows[row + AT] = atMs;
  series.rows[row + AMOUNT] = amount;
  series.rows[row + DIRECTION] = direction;
  series.tail += 1;
  recomputeTotalsFrom(series, position);
  if (direction === DIRECTION_OUT) {
    welfordAdd(series, amount);
    series.lastOutAtMs = Math.max(series.lastOutAtMs, atMs);
  }
  if (other !== '') rememberDistinct(series, direction, other, atMs);
  return dropped + expireSeries(series, newestAtMs(series) - series.options.horizonMs);
}

/** Drops events at or older than `cutoffMs` (they left every window). Returns how many. */
export function expireSeries(series: Series, cutoffMs: number): number {
  let dropped = 0;
  while (series.head < series.tail && atOf(series, series.head) <= cutoffMs) {
    dropHead(series);
    dropped += 1;
  }
  if (series.head === series.tail) {
    series.head = 0;
    series.tail = 0;
    resetTotals(series);
  }
  return dropped;
}

/**
 * Where each window starts: for windows of ascending lengths `windowsMs`, the first index of the
 * events stamped after `nowMs − windowMs`, into `starts`. A shorter window starts at or after a longer
 * one, so each search begins where the longer window's ended, and searches that end at either end of
 * the events cost two reads.
 */
export function windowStarts(series: Series, nowMs: number, windowsMs: readonly number[], starts: Int32Array): Int32Array {
  let from = series.head;
  for (let i = windowsMs.length - 1; i >= 0; i -= 1) starts[i] = from = firstAfter(series, nowMs - windowsMs[i]!, from);
  return starts;
}

/** Totals of the events from index `start` (a window's start, see windowStarts) to the newest, written into `into`. */
export function totalsFrom(series: Series, start: number, into: WindowTotals): WindowTotals {
  if (start >= series.tail) {
    into.outCount = 0;
    into.outSum = 0;
    into.inCount = 0;
    into.inSum = 0;
    return into;
  }
  const rows = series.rows;
  const last = (series.tail - 1) * STRIDE;
  const before = (start - 1) * STRIDE;
  const atHead = start === series.head;
  into.outCount = rows[last + OUT_COUNT]! - (atHead ? series.baseOutCount : rows[before + OUT_COUNT]!);
  into.outSum = rows[last + OUT_SUM]! - (atHead ? series.baseOutSum : rows[before + OUT_SUM]!);
  into.inCount = rows[last + IN_COUNT]! - (atHead ? series.baseInCount : rows[before + IN_COUNT]!);
  into.inSum = rows[last + IN_SUM]! - (atHead ? series.baseInSum : rows[before + IN_SUM]!);
  return into;
}

/** Distinct counterparties of outgoing (or incoming) events stamped after `nowMs − windowMs` (the distinct window). */
export function distinctCount(series: Series, direction: number, nowMs: number, windowMs: number): number {
  const out = direction === DIRECTION_OUT;
  const map = out ? series.seenOut : series.seenIn;
  if (!map) return 0;
  const cutoff = nowMs - windowMs;
  if ((out ? series.seenOutOldestMs : series.seenInOldestMs) > cutoff) return map.size;
  let expired = 0;
  for (const value of map.values()) {
    if (value > cutoff) break;
    expired += 1;
  }
  return map.size - expired;
}

export interface OutStats {
  count: number;
  mean: number;
  variance: number;
}

/**
 * Running mean and variance of the outgoing amounts from index `start` (a window's start, see
 * windowStarts) to the newest, written into `into`. The statistics cover every event held; those
 * before the window's start are taken out here, in local variables, so that computing never changes
 * what is stored.
 */
export function outStatsFrom(series: Series, start: number, into: OutStats): OutStats {
  let count = series.welfordCount;
  let mean = series.welfordMean;
  let m2 = series.welfordM2;
  for (let i = series.head; i < start; i += 1) {
    if (!isOut(series, i)) continue;
    // Welford's removal of one value, as welfordRemove does it.
    const x = amountOf(series, i);
    count -= 1;
    if (count <= 0) {
      count = 0;
      mean = 0;
      m2 = 0;
      continue;
    }
    const previousMean = mean;
    mean = previousMean - (x - previousMean) / count;
    m2 = Math.max(0, m2 - (x - previousMean) * (x - mean));
  }
  into.count = count;
  into.mean = mean;
  into.variance = count > 1 ? Math.max(0, m2) / (count - 1) : 0;
  return into;
}

/** Takes one value back out of a series' running statistics (Welford's update, reversed). */
function welfordRemove(series: Series, x: number): void {
  const count = series.welfordCount - 1;
  if (count <= 0) {
    series.welfordCount = 0;
    series.welfordMean = 0;
    series.welfordM2 = 0;
    return;
  }
  const previousMean = series.welfordMean;
  const mean = previousMean - (x - previousMean) / count;
  series.welfordCount = count;
  series.welfordMean = mean;
  series.welfordM2 = Math.max(0, series.welfordM2 - (x - previousMean) * (x - mean));
}
