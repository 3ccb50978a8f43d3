/** Limits of watch-list screening, each with the reason for its value. */
export const SCREENING_LIMITS = Object.freeze({
  /**
   * Names whose top score (what risk control reads of a payment's or transfer's parties) is kept
   * until the lists change: payers and payees recur, and screening a name costs a few microseconds
   * on every decision. About 100 bytes each.
   */
  topScoreCacheEntries: 65_536,
  /**
   * Largest list file one import reads. The consolidated UN, EU, OFAC and UK lists together are a few
   * tens of megabytes as entity JSON lines; a file larger than this is a full data dump, not a list.
   */
  importMaxBytes: 64 * 1024 * 1024,
  /** Entities in one list: the largest public sanctions list holds under 20,000 targets. */
  entitiesPerListMax: 250_000,
  /** Entities across every list, so that the in-memory index stays within a few gigabytes. */
  entitiesTotalMax: 1_000_000,
  /** Names (primary names and aliases) per entity: heads of state carry over a hundred spellings. */
  namesPerEntityMax: 200,
  /** Characters in one name; longer text is a description, not a name. */
  nameMaxLength: 300,
  /** Birth dates and countries kept per entity. */
  birthDatesPerEntityMax: 32,
  countriesPerEntityMax: 32,
  /** Lists held at once (one per source: UN, EU, OFAC, a bank's own list …). */
  listsMax: 64,
  /** Malformed lines an import tolerates and reports; more than this means the file is not of the format named. */
  malformedLinesMax: 1_000,
  /** Characters of an entity id (OpenSanctions ids are under 100). */
  entityIdMaxLength: 200,
  /** Tokens of one name that take part in matching; the rest of a very long name is ignored. */
  tokensPerNameMax: 24,
  /**
   * A key one letter short of a query word's skeleton that more names than this are filed under is
   * not looked at: on a large list such keys ("anal" for "angelo") reach thousands of unrelated
   * names and would cost more than they find. The exact skeleton is always looked at.
   */
  fuzzyKeyPostingsMax: 1_000,
  /**
   * Postings one screen reads per list and query form, rarest keys first. It keeps a screen of a
   * list of a million names to a millisecond or two; on lists of tens of thousands of names it is
   * never reached.
   */
  postingsScannedMax: 50_000,
  /** Names handed to the full scorer per list and screen, best blocking score first. */
  candidatesPerListMax: 24,
  /** Matches a screen returns. */
  matchesMax: 20,
  /** Entities written per INSERT statement (4 columns each; well under PostgreSQL's 65,535 parameters). */
  insertBatchRows: 500,
  /** Entities read per page when the index loads a list from the database. */
  loadPageRows: 5_000,
  /** The index yields to the event loop after building this many entities, so a large load never stalls requests. */
  buildYieldEvery: 2_000,
  /** How often a process checks whether another process changed the lists, and the bounds a caller may set. */
  refreshIntervalDefaultMs: 5_000,
  refreshIntervalMinMs: 250,
  refreshIntervalMaxMs: 600_000,
});

/**
 * The score at or above which a name is reported as a match. Chosen on the evaluation in
 * docs/risk-screening.md: the highest threshold at which recall on the misspelt UN names does not
 * yet fall when birth years are given (0.999 here, 0.993 at 0.88, 0.984 at 0.90). Screening errs
 * towards recall: a missed listed person costs more than an analyst's look at a near miss.
 */
export const SCREENING_DEFAULT_THRESHOLD = 0.86;
/** Callers may lower the threshold this far and no further: below it every common first name would hit. */
export const SCREENING_THRESHOLD_MIN = 0.5;

/** How much a birth year or a country moves a name score, and how close two birth years must be to agree. */
export const SCREENING_ADJUSTMENTS = Object.freeze({
  /** Birth dates on lists are often approximate and lists hold one of several; one year either way agrees. */
  birthYearToleranceYears: 1,
  birthYearAgreeBonus: 0.03,
  birthYearDisagreePenalty: 0.1,
  countryAgreeBonus: 0.02,
  countryDisagreePenalty: 0.02,
  /** Weak aliases (nicknames, "Abu X") are matched, but their score is scaled down. */
  weakAliasFactor: 0.9,
});
