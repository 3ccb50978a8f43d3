/** Limits of mule-ring detection, each with the reason for its value. */
export const GRAPH_LIMITS = Object.freeze({
  /**
   * Longest directed cycle searched for. Laundering rings that send money round and back are short;
   * in a random graph the number of cycles grows with the sixth power of the degree at length six,
   * so longer ones are mostly chance.
   */
  cycleLengthMax: 6,
  /** Search steps from one start account, so that one hub cannot take the whole budget. */
  cycleStepsPerStartMax: 4_000,
  /** Search steps of one scan: about a second of work; beyond it, counts are lower bounds. */
  cycleStepsTotalMax: 30_000_000,
  /** Cycles remembered per scan for grouping rings; counting goes on past it. */
  cyclesRememberedMax: 100_000,
  /** Edges one scan loads: 120,000 transfers over 20,000 accounts score in about a second. */
  scanEdgesMax: 1_000_000,
  /** The longest window a scan may look back over, and how long observed edges are kept. */
  scanWindowMaxMs: 180 * 24 * 3600 * 1000,
  edgeRetentionMs: 180 * 24 * 3600 * 1000,
  /** Old edges deleted per scan; the rest go at the next one, so a scan never stalls on a purge. */
  pruneBatchMax: 100_000,
  /** Observed events written per transaction (group commit), and events waiting for one. */
  writerBatchMax: 2048,
  writerQueueMax: 65_536,
  /**
   * How long edges gather after a write before the next (a lone edge is written at once), so that a
   * steady stream costs a few commits a second. A crash loses at most the edges of this long plus one
   * write; scans undercount those transfers (the ledger keeps them).
   */
  writerLingerMs: 250,
  /**
   * The index of edges by account on SQLite is kept as sorted runs (graph.edge-runs.ts): edges
   * are appended, and a step after a write turns the tail into a run once it holds this many.
   * Queries by account scan the tail by rowid, so it bounds what they read there (a few more when
   * several processes write: each counts its own writes towards it).
   */
  edgeIndexTailMax: 4096,
  /**
   * Entries one step writes or merges at most (two per edge), and the least it is paced down to.
   * Writing a run appends, but merging walks several runs, and a step holds SQLite's one writer
   * (and every payment and transfer waiting for it) while it runs: so the size is paced
   * (graph.account-index-pace.ts), shrinking while a step's statements take longer than
   * edgeIndexStepTargetMs and growing back while they are quicker.
   */
  edgeIndexStepEntries: 8192,
  edgeIndexStepEntriesMin: 512,
  edgeIndexStepTargetMs: 8,
  /**
   * Runs of one level merged into one: at 16 a query seeks its accounts in at most about 45 runs
   * (15 a level) of a few million entries, and each entry is rewritten once per level it climbs.
   */
  edgeRunMergeFanIn: 16,
  /** Runs below fan-in × this many entries are level 0 (a tail makes 8,192 entries). */
  edgeRunLevelBaseEntries: 8192,
  /** Merge work owed per entry written: an entry climbs about four levels, so four keeps abreast. */
  edgeRunMergeWorkPerEntry: 4,
  /** The least a merge step is asked to do: below it, the lookups of a step cost more than its moves. */
  edgeRunMergeStepMinEntries: 256,
  /**
   * Runs whose first and last entries are checked against the edges they name when the service
   * starts (see edgeIndexIntact in graph.edge-runs.ts): two point reads a run, so a start reads at
   * most a few hundred rows however large the index.
   */
  edgeIndexCheckRunsMax: 64,
  /** Rings alerted per scan, strongest first; the rest wait for the next scan. */
  alertsPerScanMax: 100,
  /** Accounts named in one ring alert (the cases module accepts 500 references). */
  ringAccountsInAlertMax: 200,
  /** Money movements counted per ring. */
  ringEdgesMax: 10_000,
  /**
   * Transfers among a ring's members linked to its alert, the newest (the cases module accepts 500
   * references, and a case holds 2,000 links): enough to follow the money of any ring an analyst
   * can work; the edge count says how many there were in all.
   */
  ringTransfersInAlertMax: 200,
  /** Accounts scored and kept from the latest scan (in memory and on disk). */
  scoresKeptMax: 1_000_000,
  /** The neighbourhood drawn around accounts: hops, nodes and edges. */
  neighbourhoodDepthMax: 3,
  neighbourhoodNodesMax: 500,
  neighbourhoodEdgesMax: 2_000,
  /** Seed accounts a neighbourhood starts from. */
  neighbourhoodSeedsMax: 200,
  /** How often a scheduled scan runs unless configured otherwise (SLUICE_GRAPH_SCAN_INTERVAL_MS). */
  scanIntervalDefaultMs: 10 * 60 * 1000,
  /** The shortest schedule accepted: a scan of a busy window takes seconds, and must end within its interval. */
  scanIntervalMinMs: 10_000,
  /**
   * How often a process asks whether the scheduled scan is due, at most: a lease another process let
   * expire is taken within this long, so scans stay about one interval apart.
   */
  scanCheckMaxMs: 60_000,
  /** The window a scheduled scan looks back over, as the scan route's default. */
  scheduledScanWindowMs: 30 * 24 * 3600 * 1000,
  /** Text fields stored per edge. */
  idMaxLength: 100,
});
