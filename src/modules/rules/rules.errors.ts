import type { SyntaxFault } from './rules.syntax.ts';

/** Every refusal of the rules module, with the HTTP status it answers. */
export const RULES_ERROR_STATUS = Object.freeze({
  // A rule's expression: refused when it is validated, before it can be stored.
  expression_too_long: 422,
  expression_too_complex: 422,
  expression_too_deep: 422,
  list_literal_too_long: 422,
  expression_syntax_error: 422,
  integer_literal_out_of_range: 422,
  unknown_variable: 422,
  expression_type_error: 422,
  expression_not_boolean: 422,
  macros_nested_too_deeply: 422,
  too_many_macros: 422,
  regex_refused: 422,
  regex_too_long: 422,
  // What the worst-case probe found.
  rule_too_slow: 422,
  rule_timed_out: 422,
  rule_too_large: 422,
  probe_busy: 503,
  // Rulesets.
  ruleset_not_found: 404,
  ruleset_not_draft: 409,
  ruleset_not_backtested: 409,
  ruleset_past_backtest: 409,
  invalid_stage_transition: 409,
  live_ruleset_cannot_be_retired: 409,
  too_many_shadow_rulesets: 409,
  duplicate_rule_id: 422,
  invalid_rule: 422,
  invalid_thresholds: 422,
  too_many_rules: 422,
  days_out_of_range: 422,
  backtest_in_progress: 409,
});
export type RulesError = keyof typeof RULES_ERROR_STATUS;

/**
 * A refusal with the field at fault (a JSON pointer into the request) and a sentence for people; an
 * expression that does not parse also says where and why in `syntax`, for programs.
 */
export interface RulesProblem {
  readonly code: RulesError;
  readonly pointer: string;
  readonly detail: string;
  readonly syntax?: SyntaxFault;
}

export const rulesProblem = (code: RulesError, pointer: string, detail: string, syntax?: SyntaxFault): RulesProblem => ({ code, pointer, detail, ...(syntax ? { syntax } : {}) });
