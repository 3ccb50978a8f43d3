import { assert, createBoundedCache, type BoundedCache } from '../../kernel/index.ts';
import type { FeatureVector, RiskEvent } from './features.event.ts';
import { COUNTERPARTY_WINDOW_SUFFIXES, DEVICE_WINDOW_SUFFIXES, PARTY_WINDOW_SUFFIXES, windowMsOf } from './features.catalog.ts';
import {
  DISTINCT_WINDOW_MS, FEATURE_WINDOWS, FEATURES_LIMITS, HISTORY_MIN_COUNT, LONGEST_WINDOW_MS, NEW_BENEFICIARY_LARGE_FACTOR, NO_PREVIOUS_OUT_SECONDS,
  PASS_THROUGH_WINDOW_MS, WINDOW_30D_MS, ZSCORE_MIN_DEVIATION_MINOR,
} from './features.limits.ts';
import {
  addToSeries, createSeries, DIRECTION_IN, DIRECTION_OUT, distinctCount, newestAtMs, outStatsFrom, seriesSize, totalsFrom, windowStarts, type OutStats, type Series, type WindowTotals,
} from './features.series.ts';
import { buildVector, VECTOR_WINDOW_SLOTS, type VectorScalars } from './features.vector.ts';

/**
 * The feature state of one process, in memory: a time series per key and the payer–payee pairs seen.
 * `apply` folds in an event; `compute` reads features for an event without changing anything.
 *
 * Bounds and what they cost in exactness:
 * - A key keeps at most `eventsPerKeyMax` events; beyond that its oldest events are dropped and its
 *   long windows undercount (account_history_truncated says so for the payer).
 * - At most `trackedKeysMax` keys and `heldEventsMax` events are held; beyond either, the key recorded
 *   least recently is evicted whole. An evicted key reads as one without history until new events
 *   arrive (a restart, which replays the table, restores it).
 * - At most `pairsMax` pairs are remembered; a forgotten pair reads as first seen.
 */
export type FeatureLimits = { readonly [K in keyof typeof FEATURES_LIMITS]: number };

export interface FeatureStore {
  /** Folds an event into every key it touches. False when the event id was already applied. */
  apply(event: RiskEvent): boolean;
  /** Remembers that the payer paid the payee at `atMs` (from the pair table on start). */
  rememberPair(debitAccountId: string, creditAccountId: string, atMs: number): void;
  compute(event: RiskEvent): FeatureVector;
  setScore(name: string, accountId: string, score: number): void;
  /** Makes a score appear in every vector (as 0 for accounts never scored). */
  declareScore(name: string): void;
  scoreNames(): readonly string[];
  /** Evicts up to `sweepKeysMax` least recently recorded keys that hold nothing inside the longest window. */
  sweep(nowMs: number): number;
  stats(): { keys: number; heldEvents: number; pairs: number };
}

const pairKey = (debit: string, credit: string) => `${debit}\u0000${credit}`;

/**
 * One tracked key (an account, a party in one currency, a device) is its series, which also holds
 * the key's place in the list of keys from least to most recently recorded. The list runs through the
 * series themselves, so recording an event moves its keys to the recent end with a few pointer
 * writes, where re-inserting into a map would hash the key again and leave a hole that the map later
 * pays to compact; and a lookup by id reaches the key's events with no record in between.
 */
type KeyEntry = Series;
type KeyIndex = Map<string, Series>;

/** Window lengths in the order buildVector lays them out (see features.vector.ts). */
const ACCOUNT_WINDOWS_MS = FEATURE_WINDOWS.map((window) => window.ms);
const PARTY_WINDOWS_MS = PARTY_WINDOW_SUFFIXES.map(windowMsOf);
const COUNTERPARTY_WINDOWS_MS = COUNTERPARTY_WINDOW_SUFFIXES.map(windowMsOf);
const DEVICE_WINDOWS_MS = DEVICE_WINDOW_SUFFIXES.map(windowMsOf);
/** The payer's windows that the 30-day statistics and the pass-through ratio read (their starts and sums are reused). */
const STATS_WINDOW = ACCOUNT_WINDOWS_MS.indexOf(WINDOW_30D_MS);
const PASS_THROUGH_WINDOW = ACCOUNT_WINDOWS_MS.indexOf(PASS_THROUGH_WINDOW_MS);
const ascending = (list: readonly number[]) => list.every((ms, i) => i === 0 || (list[i - 1] as number) < ms);
assert(
  STATS_WINDOW >= 0 && PASS_THROUGH_WINDOW >= 0 && [ACCOUNT_WINDOWS_MS, PARTY_WINDOWS_MS, COUNTERPARTY_WINDOWS_MS, DEVICE_WINDOWS_MS].every(ascending),
  'feature windows are listed shortest first, and the 30-day and pass-through windows are among the payer\'s',
);

export function createFeatureStore(limits: FeatureLimits = FEATURES_LIMITS): FeatureStore {
  // Accounts and devices are indexed by their ids as they come, parties per currency: ids arrive as
  // flat strings whose hash the engine keeps, where a composed key would be built and hashed anew.
  const accounts: KeyIndex = new Map();
  const devices: KeyIndex = new Map();
  const partiesByCurrency = new Map<string, KeyIndex>();
  let keyCount = 0;
  let leastRecent: KeyEntry | undefined;
  let mostRecent: KeyEntry | undefined;
  // Re-set on every payment, so the pair paid longest ago is the first forgotten.
  const pairs = createBoundedCache<string, number>(limits.pairsMax);
  // The ids seen, with a ring of the same ids in arrival order that says which to forget first.
  const recentIds = new Set<string>();
  const recentRing: string[] = new Array(limits.recentIdsMax).fill('');
  let recentNext = 0;
  const scores = new Map<string, BoundedCache<string, number>>();
  // The same scores as a list with their payee-side names, read by every compute without a lookup.
  const scoreList: { readonly name: string; readonly twin: string; readonly byAccount: BoundedCache<string, number> }[] = [];
  let heldEvents = 0;
  // Scratch space reused by every compute (it is synchronous, so never shared by two at once).
  const totals: WindowTotals = { outCount: 0, outSum: 0, inCount: 0, inSum: 0 };
  const windows = new Float64Array(VECTOR_WINDOW_SLOTS);
  const stats: OutStats = { count: 0, mean: 0, variance: 0 };
  const starts = new Int32Array(Math.max(ACCOUNT_WINDOWS_MS.length, PARTY_WINDOWS_MS.length, COUNTERPARTY_WINDOWS_MS.length, DEVICE_WINDOWS_MS.length));
  const scalars: VectorScalars = {
    distinctPayees: 0, outMean: 0, secondsSinceLastOut: 0, passThroughRatio: 0, historyTruncated: false,
    amountZscore: 0, pairFirstSeen: true, newBeneficiaryLarge: false, distinctPayers: 0, deviceDistinctAccounts: 0,
  };
  const seriesOptions = { maxEvents: limits.eventsPerKeyMax, horizonMs: LONGEST_WINDOW_MS, distinctWindowMs: DISTINCT_WINDOW_MS };

  function unlink(entry: KeyEntry): void {
    if (entry.older) entry.older.newer = entry.newer;
    else leastRecent = entry.newer;
    if (entry.newer) entry.newer.older = entry.older;
    else mostRecent = entry.older;
    entry.older = undefined;
    entry.newer = undefined;
  }

  function linkMostRecent(entry: KeyEntry): void {
    entry.older = mostRecent;
    if (mostRecent) mostRecent.newer = entry;
    else leastRecent = entry;
    mostRecent = entry;
  }

  function forget(entry: KeyEntry): void {
    unlink(entry);
    (entry.index as KeyIndex).delete(entry.key);
    heldEvents -= seriesSize(entry);
    keyCount -= 1;
  }

  function addTo(kind: KeyIndex, key: string, atMs: number, amount: number, direction: number, other: string): void {
    let entry = kind.get(key);
    if (entry) {
      if (entry !== mostRecent) (unlink(entry), linkMostRecent(entry));
    } else {
      entry = createSeries(seriesOptions, key, kind);
      kind.set(key, entry);
      keyCount += 1;
      linkMostRecent(entry);
    }
    const before = seriesSize(entry);
    addToSeries(entry, atMs, amount, direction, other);
    heldEvents += seriesSize(entry) - before;
  }

  function partyIndex(currency: string): KeyIndex {
    let index = partiesByCurrency.get(currency);
    if (!index) partiesByCurrency.set(currency, (index = new Map()));
    return index;
  }

  function evictBeyondBounds(): void {
    while ((keyCount > limits.trackedKeysMax || heldEvents > limits.heldEventsMax) && leastRecent) forget(leastRecent);
  }

  function rememberPair(debit: string, credit: string, atMs: number): void {
    const key = pairKey(debit, credit);
    const previous = pairs.get(key);
    pairs.delete(key);
    pairs.set(key, Math.max(previous ?? -Infinity, atMs));
  }

  function rememberId(id: string): boolean {
    // One lookup: adding an id already held leaves the size as it was.
    const before = recentIds.size;
    recentIds.add(id);
    if (recentIds.size === before) return false;
    // The slot about to be reused holds the oldest id remembered, once the ring has gone round (never
    // this id, which was not held).
    const oldest = recentRing[recentNext] as string;
    if (oldest !== '') recentIds.delete(oldest);
    recentRing[recentNext] = id;
    recentNext = (recentNext + 1) % recentRing.length;
    return true;
  }

  return {
    apply(event) {
      if (!rememberId(event.id)) return false;
      const amount = Number(event.amountMinor);
      const at = event.atMs;
      addTo(accounts, event.debitAccountId, at, amount, DIRECTION_OUT, event.creditAccountId);
      addTo(accounts, event.creditAccountId, at, amount, DIRECTION_IN, event.debitAccountId);
      const debitParty = event.debitPartyId;
      const creditParty = event.creditPartyId;
      if (debitParty || creditParty) {
        const parties = partyIndex(event.currency);
        if (debitParty) addTo(parties, debitParty, at, amount, DIRECTION_OUT, '');
        if (creditParty) addTo(parties, creditParty, at, amount, DIRECTION_IN, '');
      }
      if (event.deviceId) addTo(devices, event.deviceId, at, amount, DIRECTION_OUT, event.debitAccountId);
      rememberPair(event.debitAccountId, event.creditAccountId, at);
      evictBeyondBounds();
      return true;
    },
    rememberPair,
    compute(event) {
      const now = event.atMs;
      const amount = Number(event.amountMinor);
      const account = accounts.get(event.debitAccountId);
      let slot = 0;
      if (account) windowStarts(account, now, ACCOUNT_WINDOWS_MS, starts);
      for (let i = 0; i < ACCOUNT_WINDOWS_MS.length; i += 1) {
        startTotals(account, starts[i]!);
        windows[slot++] = totals.outCount;
        windows[slot++] = totals.outSum;
        windows[slot++] = totals.inCount;
        windows[slot++] = totals.inSum;
      }
      scalars.distinctPayees = account ? distinctCount(account, DIRECTION_OUT, now, DISTINCT_WINDOW_MS) : 0;
      if (account) outStatsFrom(account, starts[STATS_WINDOW]!, stats);
      else (stats.count = 0), (stats.mean = 0), (stats.variance = 0);
      scalars.outMean = stats.mean;
      const lastOut = account ? account.lastOutAtMs : -Infinity;
      scalars.secondsSinceLastOut = lastOut > now - LONGEST_WINDOW_MS ? Math.max(0, (now - lastOut) / 1000) : NO_PREVIOUS_OUT_SECONDS;
      // The pass-through window is one of the payer's windows: its sums are in the slots just written.
      const passOutSum = windows[PASS_THROUGH_WINDOW * 4 + 1]!;
      const passInSum = windows[PASS_THROUGH_WINDOW * 4 + 3]!;
      scalars.passThroughRatio = passInSum > 0 ? (passOutSum + amount) / passInSum : 0;
      scalars.historyTruncated = account ? account.droppedUntilMs > now - LONGEST_WINDOW_MS : false;
      const hasHistory = stats.count >= HISTORY_MIN_COUNT;
      scalars.amountZscore = hasHistory ? (amount - stats.mean) / Math.max(Math.sqrt(stats.variance), ZSCORE_MIN_DEVIATION_MINOR) : 0;
      const lastPaid = event.creditAccountId === '' ? undefined : pairs.get(pairKey(event.debitAccountId, event.creditAccountId));
      const firstSeen = lastPaid === undefined || lastPaid <= now - limits.pairMemoryMs;
      scalars.pairFirstSeen = firstSeen;
      scalars.newBeneficiaryLarge = firstSeen && hasHistory && amount >= NEW_BENEFICIARY_LARGE_FACTOR * stats.mean;
      const party = event.debitPartyId ? partiesByCurrency.get(event.currency)?.get(event.debitPartyId) : undefined;
      if (party) windowStarts(party, now, PARTY_WINDOWS_MS, starts);
      for (let i = 0; i < PARTY_WINDOWS_MS.length; i += 1) {
        startTotals(party, starts[i]!);
        windows[slot++] = totals.outCount;
        windows[slot++] = totals.outSum;
      }
      const counterparty = accounts.get(event.creditAccountId);
      if (counterparty) windowStarts(counterparty, now, COUNTERPARTY_WINDOWS_MS, starts);
      for (let i = 0; i < COUNTERPARTY_WINDOWS_MS.length; i += 1) {
        startTotals(counterparty, starts[i]!);
        windows[slot++] = totals.inCount;
        windows[slot++] = totals.inSum;
      }
      scalars.distinctPayers = counterparty ? distinctCount(counterparty, DIRECTION_IN, now, DISTINCT_WINDOW_MS) : 0;
      const device = event.deviceId ? devices.get(event.deviceId) : undefined;
      if (device) windowStarts(device, now, DEVICE_WINDOWS_MS, starts);
      for (let i = 0; i < DEVICE_WINDOWS_MS.length; i += 1) windows[slot++] = startTotals(device, starts[i]!).outCount;
      scalars.deviceDistinctAccounts = device ? distinctCount(device, DIRECTION_OUT, now, DISTINCT_WINDOW_MS) : 0;
      const vector = buildVector(windows, scalars);
      for (const score of scoreList) {
        vector[score.name] = score.byAccount.get(event.debitAccountId) ?? 0;
        vector[score.twin] = score.byAccount.get(event.creditAccountId) ?? 0;
      }
      return vector;
    },
    setScore(name, accountId, score) {
      const byAccount = declareScore(name);
      byAccount.delete(accountId);
      byAccount.set(accountId, score);
    },
    declareScore,
    scoreNames: () => [...scores.keys()],
    sweep(nowMs) {
      let evicted = 0;
      let entry = leastRecent;
      for (let looked = 0; entry && looked < limits.sweepKeysMax; looked += 1) {
        const next: KeyEntry | undefined = entry.newer;
        if (newestAtMs(entry) <= nowMs - LONGEST_WINDOW_MS) (forget(entry), (evicted += 1));
        entry = next;
      }
      return evicted;
    },
    stats: () => ({ keys: keyCount, heldEvents, pairs: pairs.size }),
  };

  function declareScore(name: string): BoundedCache<string, number> {
    let byAccount = scores.get(name);
    if (!byAccount) {
      // Scores set longest ago are forgotten first (they read as 0).
      byAccount = createBoundedCache(limits.scoreAccountsMax);
      scores.set(name, byAccount);
      scoreList.push({ name, twin: `counterparty_${name}`, byAccount });
    }
    return byAccount;
  }

  /** A window's totals from its start (see windowStarts), or zeros for a key without a series. */
  function startTotals(series: Series | undefined, start: number): WindowTotals {
    if (series) return totalsFrom(series, start, totals);
    totals.outCount = 0;
    totals.outSum = 0;
    totals.inCount = 0;
    totals.inSum = 0;
    return totals;
  }
}
