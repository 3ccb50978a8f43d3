import { uuidv7, type Clock } from '../../kernel/index.ts';
import type { FeatureSource, RiskEvent } from '../features/index.ts';
import type { MuleScores } from '../graph/index.ts';
import type { ListChecker, ListMatch } from '../lists/index.ts';
import type { DecisionVariables, Outcome, RulesEngine, RulesetResult } from '../rules/index.ts';
import type { NameScreener } from '../screening/index.ts';
import { RISK_LIMITS } from './risk.limits.ts';
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
  /** Milliseconds of CPU for the budget; replaceable so tests can make an evaluation overrun. */
  readonly timer?: () => number;
}

function processCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

const EMPTY_MATCH: ListMatch = { blocked: [], allowed: [] };
/**
 * The empty list every decision without fired rules, shadows, errors or list hits shares (most
 * decisions are such approvals): nothing reads a decision's lists but to copy or write them.
 */
const NONE: readonly never[] = Object.freeze([]);

const shadowOf = (result: RulesetResult): ShadowResult => ({ rulesetId: result.rulesetId, version: result.version, outcome: result.outcome, score: result.score, fired: result.fired });

export function createEvaluator(deps: EvaluatorDeps) {
  function screen(name: string | undefined): number {
    if (!deps.screening || !name) return 0;
    return deps.screening.topScore ? deps.screening.topScore(name) : deps.screening.screen(name).topScore;
  }

  interface Attempt {
    variables: DecisionVariables | null;
    lists: ListMatch;
    live: RulesetResult | null;
    shadow: readonly RulesetResult[];
    failure: string | null;
  }

  /** One evaluation from the state in memory now; nothing it calls changes that state. */
  function attempt(event: RiskEvent): Attempt {
    const result: Attempt = { variables: null, lists: EMPTY_MATCH, live: null, shadow: NONE, failure: null };
    try {
      const features = deps.features.compute(event);
      result.lists = deps.lists.match(listSubjectOf(event));
      const screening = { debit_score: screen(event.debitName), credit_score: screen(event.creditName) };
      const graph = { debit_mule_score: deps.graph?.scoreOf(event.debitAccountId) ?? 0, credit_mule_score: deps.graph?.scoreOf(event.creditAccountId) ?? 0 };
      result.variables = variablesOf(event, features, result.lists, screening, graph);
      const results = deps.rules.evaluate(result.variables);
      result.live = results.live;
      result.shadow = results.shadow;
    } catch (error) {
      result.failure = `evaluation failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    return result;
  }

  /**
   * The evaluation and the time charged to its budget. The budget counts CPU, not the wall clock:
   * evaluation is synchronous, so wall time over it is mostly the process waiting for a core (a busy
   * host), which says nothing about a runaway rule and must not decline a payment by itself.
   * Reading the CPU clock (getrusage, summed over every thread of the process) costs several
   * microseconds each time, more than a small ruleset, so the wall clock is read first: a
   * synchronous evaluation cannot spend more CPU than the wall time it took, so one within its
   * budget by the wall clock is within it. One that overran by the wall clock (a busy host, or a
   * slow evaluation) is run again under the CPU clock, and that run, from the same state, decides.
   */
  function measured(event: RiskEvent, budgetMs: number): { result: Attempt; elapsedMs: number } {
    if (deps.timer) {
      const started = deps.timer();
      const result = attempt(event);
      return { result, elapsedMs: deps.timer() - started };
    }
    const wallStarted = performance.now();
    const first = attempt(event);
    const wallMs = performance.now() - wallStarted;
    if (first.failure !== null || wallMs <= budgetMs) return { result: first, elapsedMs: wallMs };
    const cpuStarted = processCpuMs();
    const result = attempt(event);
    return { result, elapsedMs: processCpuMs() - cpuStarted };
  }

  return function evaluate(event: RiskEvent, source: DecisionSource, settings: RiskSettings): Decision {
    const atMs = deps.clock.nowMs();
    const { result, elapsedMs } = measured(event, settings.budgetMs);
    const { variables, lists, live, shadow } = result;
    let failure = result.failure;
    if (failure === null && elapsedMs > settings.budgetMs) failure = `evaluation took ${elapsedMs.toFixed(1)} ms, over its budget of ${settings.budgetMs} ms`;
    let outcome: Outcome;
    let reasons: string[];
    if (failure !== null) {
      outcome = failedOutcome(settings.failMode);
      reasons = [`${failure}; failing ${settings.failMode} (${outcome})`];
    } else {
      const combined = combine(live, lists);
      outcome = combined.outcome;
      // combine's reasons are a list of its own: only a list over the cap is copied, cut.
      reasons = combined.reasons.length <= RISK_LIMITS.reasonsMax ? combined.reasons : capReasons(combined.reasons);
    }
    // Built in one literal: on Node 20, adding properties to an object made by spreading another
    // costs microseconds each time, more than the rest of this function.
    return {
      id: uuidv7(atMs),
      eventId: event.id,
      source,
      atMs,
      outcome,
      score: live?.score ?? 0,
      reasons,
      fired: live?.fired ?? NONE,
      ruleset: live ? { id: live.rulesetId, version: live.version } : null,
      shadow: shadow.length === 0 ? NONE : shadow.map(shadowOf),
      ruleErrors: live?.errors ?? NONE,
      listHits: lists.blocked.length + lists.allowed.length === 0 ? NONE : [...lists.blocked, ...lists.allowed],
      elapsedMs,
      failMode: failure !== null ? settings.failMode : null,
      event,
      variables,
    };
  };
}

export type Evaluator = ReturnType<typeof createEvaluator>;
