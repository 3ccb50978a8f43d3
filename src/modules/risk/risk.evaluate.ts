import { uuidv7, type Clock } from '../../kernel/index.ts';
import type { FeatureSource, RiskEvent } from '../features/index.ts';
import type { MuleScores } from '../graph/index.ts';
import type { ListChecker, ListMatch } from '../lists/index.ts';
import type { DecisionVariables, RulesEngine, RulesetResult } from '../rules/index.ts';
import type { NameScreener } from '../screening/index.ts';
import { capReasons, combine, failedOutcome, listSubjectOf, variablesOf, type Decision, type DecisionSource, type RiskSettings, type ShadowResult } from './risk.ts';

/**
 * One decision, computed in memory: features, lists, screening and graph scores become the
 * variables, the rules engine evaluates them, and the list hits and the live result combine into an
 * outcome. Everything it calls is synchronous, so the time budget cannot cut a slow step short; it
 * is checked when the evaluation returns, and an evaluation that overran is treated like one that
 * threw: an answer that took that long is not trusted to have been computed from healthy parts.
 * The budget is a backstop behind the rules engine's own per-rule budgets (see risk.limits.ts for
 * why its default is what it is).
 */
export interface EvaluatorDeps {
  readonly clock: Clock;
  readonly rules: RulesEngine;
  readonly features: FeatureSource;
  readonly lists: ListChecker;
  readonly screening?: NameScreener;
  readonly graph?: MuleScores;
  /** Monotonic milliseconds for the budget; replaceable so tests can make an evaluation overrun. */
  readonly timer?: () => number;
}

const EMPTY_MATCH: ListMatch = { blocked: [], allowed: [] };

const shadowOf = (result: RulesetResult): ShadowResult => ({ rulesetId: result.rulesetId, version: result.version, outcome: result.outcome, score: result.score, fired: result.fired });

export function createEvaluator(deps: EvaluatorDeps) {
  const timer = deps.timer ?? (() => performance.now());

  function screen(name: string | undefined): number {
    if (!deps.screening || !name) return 0;
    return deps.screening.screen(name).topScore;
  }

  return function evaluate(event: RiskEvent, source: DecisionSource, settings: RiskSettings): Decision {
    const started = timer();
    const atMs = deps.clock.nowMs();
    const base = { id: uuidv7(atMs), eventId: event.id, source, atMs, event };
    let variables: DecisionVariables | null = null;
    let lists = EMPTY_MATCH;
    let live: RulesetResult | null = null;
    let shadow: readonly RulesetResult[] = [];
    let failure: string | null = null;
    try {
      const features = deps.features.compute(event);
      lists = deps.lists.match(listSubjectOf(event));
      const screening = { debit_score: screen(event.debitName), credit_score: screen(event.creditName) };
      const graph = { debit_mule_score: deps.graph?.scoreOf(event.debitAccountId) ?? 0, credit_mule_score: deps.graph?.scoreOf(event.creditAccountId) ?? 0 };
      variables = variablesOf(event, features, lists, screening, graph);
      ({ live, shadow } = deps.rules.evaluate(variables));
    } catch (error) {
      failure = `evaluation failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    const elapsedMs = timer() - started;
    if (failure === null && elapsedMs > settings.budgetMs) failure = `evaluation took ${elapsedMs.toFixed(1)} ms, over its budget of ${settings.budgetMs} ms`;
    const common = {
      ...base,
      score: live?.score ?? 0,
      fired: live?.fired ?? [],
      ruleset: live ? { id: live.rulesetId, version: live.version } : null,
      shadow: shadow.map(shadowOf),
      ruleErrors: live?.errors ?? [],
      listHits: [...lists.blocked, ...lists.allowed],
      elapsedMs,
      variables,
    };
    if (failure !== null) {
      const outcome = failedOutcome(settings.failMode);
      return { ...common, outcome, failMode: settings.failMode, reasons: [`${failure}; failing ${settings.failMode} (${outcome})`] };
    }
    const combined = combine(live, lists);
    return { ...common, outcome: combined.outcome, failMode: null, reasons: capReasons(combined.reasons) };
  };
}

export type Evaluator = ReturnType<typeof createEvaluator>;
