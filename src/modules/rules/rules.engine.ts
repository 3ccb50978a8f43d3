import { compileExpression, type CompiledExpression } from './rules.cel.ts';
import { decideOutcome, type FiredRule, type Outcome, type RuleDefinition, type RulesetResult, type Thresholds } from './rules.ts';
import type { CelContext } from './rules.variables.ts';

/**
 * A ruleset version compiled for evaluation, and its evaluation. Compiling happens once per version
 * (versions past draft never change); evaluating is synchronous, allocates little, and never throws:
 * a rule that fails is recorded in `errors` and the others still count.
 */
export interface CompiledRule {
  readonly definition: RuleDefinition;
  /** Null when the stored expression no longer compiles (limits tightened since it was stored). */
  readonly compiled: CompiledExpression | null;
  readonly compileError: string | null;
}

export interface CompiledRuleset {
  readonly id: string;
  readonly version: number;
  readonly thresholds: Thresholds;
  readonly rules: readonly CompiledRule[];
}

export interface RulesetSource {
  readonly id: string;
  readonly version: number;
  readonly rules: readonly RuleDefinition[];
  readonly thresholds: Thresholds;
}

/** Error messages start with a code, so that programs can tell them apart without parsing prose. */
export const RULE_ERROR_CODES = Object.freeze({
  budgetExceeded: 'budget_exceeded',
  evaluation: 'evaluation_error',
  notBoolean: 'not_boolean',
  invalid: 'invalid_rule',
});

export function compileRuleset(source: RulesetSource): CompiledRuleset {
  const rules = source.rules.map((definition): CompiledRule => {
    const result = compileExpression(definition.expression);
    return result.ok ? { definition, compiled: result.value, compileError: null } : { definition, compiled: null, compileError: `${RULE_ERROR_CODES.invalid}: ${result.error}: ${result.detail}` };
  });
  return { id: source.id, version: source.version, thresholds: source.thresholds, rules };
}

/** A monotonic reading in milliseconds; injected so tests can spend a budget deterministically. */
export type Stopwatch = () => number;
export const performanceStopwatch: Stopwatch = () => performance.now();

/** The empty list results without fired rules or errors share; nothing changes a result's lists. */
const NONE: readonly never[] = Object.freeze([]);

function evaluationMessage(error: unknown): string {
  const summary = (error as { summary?: unknown } | null)?.summary;
  const text = typeof summary === 'string' ? summary : error instanceof Error ? error.message : String(error);
  return `${RULE_ERROR_CODES.evaluation}: ${text.slice(0, 200)}`;
}

/**
 * Evaluates the rules in order until the budget is spent; rules not reached are reported as
 * `budget_exceeded` errors, so the caller can apply its fail-open or fail-closed policy.
 */
export function evaluateRuleset(ruleset: CompiledRuleset, context: CelContext, budgetMs: number, stopwatch: Stopwatch = performanceStopwatch): RulesetResult {
  const startedAt = stopwatch();
  // Made when the first rule fires, fails or forces: most evaluations fire nothing and share NONE.
  let fired: FiredRule[] | null = null;
  let errors: { ruleId: string; message: string }[] | null = null;
  let forced: Outcome[] | null = null;
  let score = 0;
  const rules = ruleset.rules;
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index] as CompiledRule;
    if (index > 0 && stopwatch() - startedAt > budgetMs) {
      const message = `${RULE_ERROR_CODES.budgetExceeded}: the ${budgetMs} ms budget of this decision was spent before this rule`;
      errors ??= [];
      for (let rest = index; rest < rules.length; rest++) errors.push({ ruleId: (rules[rest] as CompiledRule).definition.id, message });
      break;
    }
    const definition = rule.definition;
    if (!rule.compiled) {
      (errors ??= []).push({ ruleId: definition.id, message: rule.compileError ?? RULE_ERROR_CODES.invalid });
      continue;
    }
    let value: unknown;
    try {
      value = rule.compiled.program(context);
    } catch (error) {
      (errors ??= []).push({ ruleId: definition.id, message: evaluationMessage(error) });
      continue;
    }
    if (value === false) continue;
    if (value !== true) {
      (errors ??= []).push({ ruleId: definition.id, message: `${RULE_ERROR_CODES.notBoolean}: the expression did not yield a bool` });
      continue;
    }
    const effect = definition.effect;
    if (effect.kind === 'score') {
      score += effect.points;
      (fired ??= []).push({ ruleId: definition.id, name: definition.name, score: effect.points, reason: definition.reason });
    } else {
      (forced ??= []).push(effect.outcome);
      (fired ??= []).push({ ruleId: definition.id, name: definition.name, score: 0, forces: effect.outcome, reason: definition.reason });
    }
  }
  return { rulesetId: ruleset.id, version: ruleset.version, outcome: decideOutcome(score, forced ?? NONE, ruleset.thresholds), score, fired: fired ?? NONE, errors: errors ?? NONE };
}
