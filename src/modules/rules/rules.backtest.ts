import { evaluateRuleset, type CompiledRuleset, type Stopwatch } from './rules.engine.ts';
import { RULES_LIMITS } from './rules.limits.ts';
import { OUTCOMES, type DecisionHistory, type Outcome } from './rules.ts';
import { toCelContext } from './rules.variables.ts';

/**
 * A backtest replays past decisions through a ruleset version: the variables exactly as they were
 * when each was decided, against the outcome that was recorded then. It answers "what would this
 * version have done over the last N days": how many decisions it would approve, review or decline,
 * how that differs from what happened, which rules fire how often, and examples of changes.
 */
export interface BacktestChange {
  readonly decisionId: string;
  readonly atMs: number;
  readonly recorded: Outcome;
  readonly wouldBe: Outcome;
  readonly score: number;
  readonly fired: readonly string[];
}

export interface BacktestResult {
  readonly days: number;
  readonly fromMs: number;
  readonly toMs: number;
  readonly decisions: number;
  /** True when the window held more than `backtestDecisionsMax` decisions; the oldest were replayed. */
  readonly truncated: boolean;
  readonly recorded: Readonly<Record<Outcome, number>>;
  readonly wouldBe: Readonly<Record<Outcome, number>>;
  /** Decisions by recorded outcome, then by the outcome this version would give. */
  readonly matrix: Readonly<Record<Outcome, Readonly<Record<Outcome, number>>>>;
  readonly changed: number;
  /** Decisions on which at least one rule failed. */
  readonly withErrors: number;
  /** Every rule of the version, in order, with the number of decisions it fired on. */
  readonly ruleHits: readonly { readonly ruleId: string; readonly hits: number }[];
  /** Up to `backtestSampleMax` changed decisions, oldest first. */
  readonly sample: readonly BacktestChange[];
}

const zeroCounts = (): Record<Outcome, number> => ({ approve: 0, review: 0, decline: 0 });
const yieldToOtherWork = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface BacktestWindow {
  readonly days: number;
  readonly fromMs: number;
  readonly toMs: number;
}

export async function runBacktest(ruleset: CompiledRuleset, history: DecisionHistory, window: BacktestWindow, stopwatch?: Stopwatch): Promise<BacktestResult> {
  const recorded = zeroCounts();
  const wouldBe = zeroCounts();
  const matrix = { approve: zeroCounts(), review: zeroCounts(), decline: zeroCounts() };
  const hits = new Map<string, number>(ruleset.rules.map((rule) => [rule.definition.id, 0]));
  const sample: BacktestChange[] = [];
  let decisions = 0;
  let changed = 0;
  let withErrors = 0;
  let truncated = false;
  // One more than the cap is asked for, so that a full window can be told from an exactly full one.
  for await (const past of history.since(window.fromMs, RULES_LIMITS.backtestDecisionsMax + 1)) {
    if (past.atMs > window.toMs) continue;
    if (decisions >= RULES_LIMITS.backtestDecisionsMax) {
      truncated = true;
      break;
    }
    decisions += 1;
    const result = evaluateRuleset(ruleset, toCelContext(past.variables), RULES_LIMITS.backtestEvaluationBudgetMs, stopwatch);
    const before = OUTCOMES.includes(past.outcome) ? past.outcome : 'approve';
    recorded[before] += 1;
    wouldBe[result.outcome] += 1;
    matrix[before][result.outcome] += 1;
    if (result.errors.length > 0) withErrors += 1;
    for (const fired of result.fired) hits.set(fired.ruleId, (hits.get(fired.ruleId) ?? 0) + 1);
    if (result.outcome !== before) {
      changed += 1;
      if (sample.length < RULES_LIMITS.backtestSampleMax) {
        sample.push({ decisionId: past.id, atMs: past.atMs, recorded: before, wouldBe: result.outcome, score: result.score, fired: result.fired.map((rule) => rule.ruleId) });
      }
    }
    if (decisions % RULES_LIMITS.backtestYieldEvery === 0) await yieldToOtherWork();
  }
  return {
    ...window, decisions, truncated, recorded, wouldBe, matrix, changed, withErrors,
    ruleHits: [...hits].map(([ruleId, count]) => ({ ruleId, hits: count })),
    sample,
  };
}
