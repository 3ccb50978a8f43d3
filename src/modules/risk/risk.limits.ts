/** Limits of the decision path, each with the reason for its value. */
export const RISK_LIMITS = Object.freeze({
  /**
   * CPU time a whole decision (features, lists, screening, graph, rules) may take before the
   * configured fail mode applies. A backstop: every rule already has its own budget in the rules
   * engine, and a decision takes well under a millisecond. The wall clock is read first and the CPU
   * clock only when it overran (a CPU-time reading costs more than a small ruleset; see
   * risk.evaluate.ts). It sits far above collection pauses: at 50 ms of wall time, a machine
   * running four times more work than it has cores failed healthy decisions closed.
   */
  decisionBudgetDefaultMs: 200,
  /** A budget of more than five seconds is no budget on a path that holds a client's request. */
  decisionBudgetMaxMs: 5_000,
  decisionBudgetMinMs: 1,
  /** Decisions (and holds) written in one database transaction by the decision log. */
  logBatchMax: 1024,
  /**
   * Approvals gather this long before they are written (unless a batch fills first or a review or
   * decline takes them along). On SQLite every commit is an fsync that holds up the ledger's own
   * commits, so a few commits a second is the aim; a crash may lose this much of the approvals' log.
   */
  logLingerMs: 250,
  /**
   * Decisions waiting for the log. Past the soft mark an approval waits for its own write (the
   * caller slows down instead of the queue growing); past the hard mark new decisions are refused
   * with 503 until the database catches up.
   */
  logQueueSoftMax: 16_384,
  logQueueHardMax: 65_536,
  /**
   * Transfer decisions remembered by transfer id, so that a retried request is answered with its
   * first decision without a read (about 200 bytes each). A retry later than this is still answered
   * with the first decision: a review or decline from the log, an approval by the ledger.
   */
  recentDecisionsMax: 65_536,
  /** Alerts being raised at once; a decision past this waits for one to finish. */
  alertsInFlightMax: 256,
  /** Accounts, parties and ledgers the transfer gate remembers so that deciding costs no read. */
  accountCacheMaxEntries: 200_000,
  partyCacheMaxEntries: 100_000,
  /** Settings another process changed are picked up within this long. */
  settingsRefreshMs: 5_000,
  /** Entries in each settings list (codes, channels). */
  settingsListMax: 256,
  channelMaxLength: 32,
  /** Ids asked about in one query (prior decisions, guarded transfers): well below both dialects' parameter caps. */
  lookupChunk: 500,
  /** Sets of feature names remembered (one per feature catalogue; see risk.json.ts). */
  featureSetsMax: 1024,
  /** Decisions read per page when a backtest walks the history. */
  historyPageRows: 1_000,
  /** Reasons kept per decision; a ruleset that fires more is summarised. */
  reasonsMax: 64,
  /** Items a hold may cover: one linked chain, which the ledger caps at a batch. */
  holdTransfersMax: 8190,
  /** Note an analyst attaches to a release or a rejection. */
  noteMaxLength: 500,
});
