/** Limits and codes of the FX desk, each with the reason for its value. */
export const FX_LIMITS = Object.freeze({
  /** A firm quote lives this long unless the caller asks otherwise: long enough to confirm a payment. */
  quoteDefaultTtlSeconds: 30,
  /** A desk that holds a price for more than ten minutes is writing options, not quotes. */
  quoteMaxTtlSeconds: 600,
  /** Rates set in one call or loaded from one file. */
  ratesPerRequestMax: 1000,
  /** A rates file is a few lines per pair; anything larger is not one. */
  ratesFileMaxBytes: 1024 * 1024,
  /** Quotes written in one database transaction (group commit), and quotes waiting for one. */
  writerBatchMax: 2048,
  writerQueueMax: 65_536,
  /** Quotes this process remembers after creating them, so that executing one costs no read. */
  quoteCacheMaxEntries: 65_536,
  /** How long a currency's ledger and a rate stay cached before they are read again (other processes may change them). */
  cacheTtlMs: 5_000,
});

/** Ledger codes of the desk's accounts, one pair per currency. */
export const FX_CODES = Object.freeze({
  /** The desk's position in a currency: receives what customers sell, pays out what they buy. */
  deskPosition: 840,
  /** Whole minor units that bought nothing when converted (see fx.ts `convert`). */
  deskRounding: 841,
});
