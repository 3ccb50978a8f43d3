/**
 * Limits of the rules engine, each with the reason for its value. Together they are the sandbox:
 * what a rule may say is bounded before it runs (length, size, depth, macro nesting, regular
 * expressions), what it sees at run time is bounded (strings, lists), and how long a decision may
 * spend on rules is a budget.
 */
export const RULES_LIMITS = Object.freeze({
  /** A rule is a condition, not a program: a screenful of CEL is already a lot to review. */
  expressionMaxLength: 2000,
  /** Parse-tree nodes of one expression; bounds the work of one evaluation without macros. */
  astNodesMax: 400,
  /** Nesting of calls, selections, indexes and parentheses the parser accepts. */
  parseDepthMax: 32,
  /**
   * Macros (map, filter, all, exists, exists_one, cel.bind) nested inside one another. Each level
   * multiplies the work by the size of a list, or doubles a bound value: two levels of a
   * 64-element list are 4,096 steps; a third would be 262,144.
   */
  macroNestingMax: 2,
  /** Macros in one expression, nested or not. */
  macrosPerRuleMax: 8,
  /** Elements of a list literal (`x in [...]`) and entries of a map literal. */
  literalListMaxElements: 64,
  literalMapMaxEntries: 16,
  callArgumentsMax: 8,
  /** A pattern longer than this is a program in disguise; RE2 compiles it in linear time anyway. */
  regexPatternMaxLength: 256,
  /** Compiled patterns kept for patterns that are only known at run time. */
  regexCacheMaxEntries: 256,
  /**
   * Strings a rule sees at run time are cut to this length, and lists to this many items, so that
   * what a rule can build from them stays bounded. Ids, codes, countries and addresses are far
   * shorter; only a pathological client could send more.
   */
  variableStringMaxLength: 256,
  variableListMaxItems: 64,
  /** Features passed to rules; the catalogue has a few dozen. */
  featuresMax: 256,
  /** Rules in one ruleset: 50 is the benchmark's size, four times that leaves room. */
  rulesPerRulesetMax: 200,
  ruleIdMaxLength: 64,
  /** Names and reasons are read by analysts and customers; a sentence is enough. */
  ruleTextMaxLength: 200,
  /** Points one rule may add. */
  scorePointsMax: 1000,
  /** Thresholds beyond every rule firing at once would never be reached. */
  thresholdMax: 200 * 1000,
  /** Time one decision may spend on one ruleset before the remaining rules are skipped. */
  evaluationBudgetMs: 1,
  /** Shadow rulesets evaluated beside the live one on every decision; each costs as much as live. */
  shadowRulesetsMax: 3,
  /** How often a process reads the one-row generation counter to pick up promotions made elsewhere. */
  pollIntervalMs: 1000,
  /** Runs of a newly compiled version on each worst-case input before it serves decisions. */
  warmUpRuns: 2,
  /** Compiled ruleset versions kept in memory (live, shadows and recently backtested ones). */
  compiledCacheMax: 16,
  /** A new rule is run on worst-case inputs in a worker that is terminated after this long. */
  probeTimeoutMs: 2000,
  /**
   * A rule whose fastest run on a worst-case input takes longer than this is refused: alone it
   * would spend a whole decision's budget. Real rules take about a microsecond.
   */
  probeEvaluationMaxMs: 1,
  /** Runs per worst-case input; the fastest counts, so a busy machine does not refuse a good rule. */
  probeRepetitions: 5,
  /** Heap of the probe worker; a rule that builds more than this is refused as too large. */
  probeHeapMaxMb: 64,
  /** Rules waiting for the probe; more are turned away (503) rather than queued without end. */
  probeQueueMax: 32,
  /** Expressions whose probe verdict is remembered, so editing a draft re-probes only new rules. */
  probeVerdictCacheMax: 1024,
  /** Backtests replay at most this many days and decisions. */
  backtestDaysMax: 90,
  backtestDecisionsMax: 100_000,
  /** Changed decisions kept as examples in a backtest result. */
  backtestSampleMax: 50,
  /** A backtest yields to other work after this many decisions, so it never blocks the process. */
  backtestYieldEvery: 256,
  /**
   * A replayed decision's budget: a backtest measures what the rules decide, not how busy the
   * machine happens to be while it replays, so it allows far more than a live decision.
   */
  backtestEvaluationBudgetMs: 50,
  /** Backtests running at once in one process. */
  backtestsConcurrentMax: 1,
});

export const RULE_ID_PATTERN = '^[a-z0-9][a-z0-9_.-]{0,63}$';
