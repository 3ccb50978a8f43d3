import { compileExpression } from './rules.cel.ts';
import { rulesProblem, type RulesProblem } from './rules.errors.ts';
import { describeOutOfRangeLiteral, findOutOfRangeLiteral } from './rules.literals.ts';
import { RULE_ID_PATTERN, RULES_LIMITS } from './rules.limits.ts';
import type { RuleProbe } from './rules.probe.ts';
import { OUTCOMES, type RuleDefinition, type Thresholds } from './rules.ts';

/**
 * Checks a ruleset before it is stored: every field within its limits, rule ids unique, thresholds
 * in order, and every expression compiled and probed on worst-case inputs. The first refusal is
 * returned, with a JSON pointer in the request's own (snake_case) terms.
 */
export interface RulesetInput {
  readonly name: string;
  readonly rules: readonly RuleDefinition[];
  readonly thresholds: Thresholds;
}

const RULE_ID = new RegExp(RULE_ID_PATTERN);

function checkText(value: string, pointer: string, what: string): RulesProblem | null {
  if (value.trim().length === 0 || value.length > RULES_LIMITS.ruleTextMaxLength) return rulesProblem('invalid_rule', pointer, `${what} must have 1 to ${RULES_LIMITS.ruleTextMaxLength} characters`);
  return null;
}

function checkRule(rule: RuleDefinition, index: number, seen: Set<string>): RulesProblem | null {
  const at = `/rules/${index}`;
  if (!RULE_ID.test(rule.id)) return rulesProblem('invalid_rule', `${at}/id`, `a rule id is 1 to ${RULES_LIMITS.ruleIdMaxLength} lower-case letters, digits, '_', '-' or '.'`);
  if (seen.has(rule.id)) return rulesProblem('duplicate_rule_id', `${at}/id`, `rule id ${rule.id} is used twice in this ruleset`);
  seen.add(rule.id);
  const text = checkText(rule.name, `${at}/name`, 'a rule name') ?? checkText(rule.reason, `${at}/reason`, 'a reason');
  if (text) return text;
  const effect = rule.effect;
  if (effect.kind === 'score' && !(Number.isInteger(effect.points) && effect.points >= 0 && effect.points <= RULES_LIMITS.scorePointsMax)) {
    return rulesProblem('invalid_rule', `${at}/score`, `a rule adds 0 to ${RULES_LIMITS.scorePointsMax} whole points`);
  }
  if (effect.kind === 'force' && !OUTCOMES.includes(effect.outcome)) return rulesProblem('invalid_rule', `${at}/outcome`, `a rule forces one of ${OUTCOMES.join(', ')}`);
  return null;
}

function checkThresholds(thresholds: Thresholds): RulesProblem | null {
  for (const [key, value] of [['review_at', thresholds.reviewAt], ['decline_at', thresholds.declineAt]] as const) {
    if (!Number.isInteger(value) || value < 0 || value > RULES_LIMITS.thresholdMax) return rulesProblem('invalid_thresholds', `/thresholds/${key}`, `a threshold is a whole score from 0 to ${RULES_LIMITS.thresholdMax}`);
  }
  if (thresholds.reviewAt > thresholds.declineAt) return rulesProblem('invalid_thresholds', '/thresholds/review_at', 'review_at must not be above decline_at');
  return null;
}

/**
 * Compiles one expression, refusing what CEL makes a parse error but the library reads anyway (an
 * integer literal beyond 64 bits). Only here, before an expression is stored: a version already
 * stored still loads as it was written.
 */
function checkExpression(expression: string, pointer: string): RulesProblem | null {
  const literal = findOutOfRangeLiteral(expression);
  if (literal) return rulesProblem('integer_literal_out_of_range', pointer, describeOutOfRangeLiteral(literal));
  const compiled = compileExpression(expression);
  return compiled.ok ? null : rulesProblem(compiled.error, pointer, compiled.detail, compiled.syntax);
}

/** Compiles one expression and probes it; the pointer names where it came from. */
export async function validateExpression(expression: string, pointer: string, probe: RuleProbe): Promise<RulesProblem | null> {
  const compiled = checkExpression(expression, pointer);
  if (compiled) return compiled;
  const verdict = await probe.probe(expression);
  return verdict.ok ? null : rulesProblem(verdict.code, pointer, verdict.detail);
}

export async function validateRuleset(input: RulesetInput, probe: RuleProbe): Promise<RulesProblem | null> {
  const name = checkText(input.name, '/name', 'a ruleset name');
  if (name) return name;
  if (input.rules.length > RULES_LIMITS.rulesPerRulesetMax) return rulesProblem('too_many_rules', '/rules', `a ruleset has at most ${RULES_LIMITS.rulesPerRulesetMax} rules`);
  const seen = new Set<string>();
  for (const [index, rule] of input.rules.entries()) {
    const problem = checkRule(rule, index, seen);
    if (problem) return problem;
  }
  const thresholds = checkThresholds(input.thresholds);
  if (thresholds) return thresholds;
  // Static checks of every rule first: they are instant, and the probe is only worth running on
  // a ruleset that is otherwise acceptable.
  for (const [index, rule] of input.rules.entries()) {
    const compiled = checkExpression(rule.expression, `/rules/${index}/expression`);
    if (compiled) return compiled;
  }
  for (const [index, rule] of input.rules.entries()) {
    const verdict = await probe.probe(rule.expression);
    if (!verdict.ok) return rulesProblem(verdict.code, `/rules/${index}/expression`, verdict.detail);
  }
  return null;
}
