/**
 * Windows and limits of the feature store, each with the reason for its value. Every window is
 * half-open on the old side: an event exactly `windowMs` old has left the window, an event one
 * millisecond younger is still in it. In symbols, a window of length W at instant t holds the events
 * stamped in (t − W, t], and also any event stamped after t that is already recorded (clocks of
 * several processes can disagree by a few milliseconds; such an event is not ignored).
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const WINDOW_1M_MS = MINUTE_MS;
export const WINDOW_1H_MS = HOUR_MS;
export const WINDOW_24H_MS = DAY_MS;
export const WINDOW_7D_MS = 7 * DAY_MS;
export const WINDOW_30D_MS = 30 * DAY_MS;

/** The windows in feature names, shortest first; the last is the longest and bounds all history kept. */
export const FEATURE_WINDOWS = Object.freeze([
  { suffix: '1m', ms: WINDOW_1M_MS },
  { suffix: '1h', ms: WINDOW_1H_MS },
  { suffix: '24h', ms: WINDOW_24H_MS },
  { suffix: '7d', ms: WINDOW_7D_MS },
  { suffix: '30d', ms: WINDOW_30D_MS },
] as const);
export type WindowSuffix = (typeof FEATURE_WINDOWS)[number]['suffix'];

/** Events older than this are forgotten in memory and pruned from the table. */
export const LONGEST_WINDOW_MS = WINDOW_30D_MS;
/** Distinct counterparties and devices are counted over this window. */
export const DISTINCT_WINDOW_MS = WINDOW_24H_MS;
/** Rapid in-and-out: money out within this window over money in during it. */
export const PASS_THROUGH_WINDOW_MS = WINDOW_24H_MS;

/**
 * A new beneficiary with a large amount: the payer never paid this payee before and the amount is at
 * least this many times the payer's mean outgoing amount over the longest window.
 */
export const NEW_BENEFICIARY_LARGE_FACTOR = 3;
/**
 * Fewer outgoing amounts than this are no history to measure against: the z-score is 0 and no amount
 * counts as large for a new beneficiary. Two points give a variance; three give one worth little more.
 */
export const HISTORY_MIN_COUNT = 3;
/** The standard deviation a z-score divides by is at least one minor unit, so it stays finite. */
export const ZSCORE_MIN_DEVIATION_MINOR = 1;
/** seconds_since_last_out when the payer sent nothing within the longest window. */
export const NO_PREVIOUS_OUT_SECONDS = LONGEST_WINDOW_MS / 1000;

export const FEATURES_LIMITS = Object.freeze({
  /**
   * Events held per key (account, party, device). A key with more events than this within the longest
   * window keeps only its newest ones: its long windows then undercount, and the account says so
   * (account_history_truncated). 4096 is a transfer every ten minutes for a month.
   */
  eventsPerKeyMax: 4096,
  /** Keys tracked at once; the least recently recorded key is evicted beyond this. */
  trackedKeysMax: 200_000,
  /**
   * Events held in memory over all keys (each event is held by up to four keys). About 60 bytes each
   * with the ring's slack: a few hundred megabytes at most.
   */
  heldEventsMax: 4_000_000,
  /** Payer–payee pairs remembered for first-seen; the least recently used pair is forgotten beyond this. */
  pairsMax: 2_000_000,
  /** How long a pair is remembered after it last paid: "ever paid" means within this horizon. */
  pairMemoryMs: 400 * DAY_MS,
  /** Event ids remembered so that an event recorded twice, or read back from another process, counts once. */
  recentIdsMax: 200_000,
  /** Events replayed on start: the longest window, but never more than this many (the newest are kept). */
  replayEventsMax: 4_000_000,
  /** Rows read per query when replaying or polling. */
  readPageRows: 5_000,
  /** Rows one poll reads at most; the rest wait for the next poll. */
  pollRowsMax: 50_000,
  /** How often a process reads the events other processes recorded. Their events count here this much later. */
  pollIntervalMs: 1_000,
  /** How often events older than the longest window are pruned from the table, and how many per pass. */
  pruneIntervalMs: HOUR_MS,
  pruneRowsMax: 20_000,
  /** Events written in one transaction, and events waiting for one before record() is refused. */
  writeBatchMax: 2_000,
  /**
   * How long the writer gathers events after a write before the next one (a lone event is written at
   * once). A crash loses at most the events of this long plus one write: their transfers are in the
   * ledger, but the windows rebuilt on restart undercount them. 250 ms keeps a steady stream to four
   * commits a second, each an fsync on SQLite shared with the ledger.
   */
  writeLingerMs: 250,
  writeQueueMax: 100_000,
  /** Keys looked at per sweep for having no event left inside the longest window. */
  sweepKeysMax: 1_000,
  /** External scores (mule_score …): names, and accounts per name (least recently set evicted). */
  scoreNamesMax: 16,
  scoreAccountsMax: 1_000_000,
  /** Longest account, party or device id kept as a key. */
  idMaxLength: 128,
});
