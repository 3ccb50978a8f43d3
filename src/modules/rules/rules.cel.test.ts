import { describe, expect, it } from 'vitest';
import { compileExpression } from './rules.cel.ts';
import { RULES_LIMITS } from './rules.limits.ts';
import { sampleVariables } from './rules.test-support.ts';
import { toCelContext } from './rules.variables.ts';

const run = (expression: string, variables = sampleVariables()) => {
  const compiled = compileExpression(expression);
  if (!compiled.ok) throw new Error(`${compiled.error}: ${compiled.detail}`);
  return compiled.value.program(toCelContext(variables));
};

const refusal = (expression: string) => {
  const compiled = compileExpression(expression);
  return compiled.ok ? { error: 'accepted', detail: '' } : { error: compiled.error, detail: compiled.detail };
};

describe('rule expressions', () => {
  it('evaluates comparisons, arithmetic, lists, string functions and RE2 matches over the declared variables', () => {
    expect(run('event.amount >= 250000 && event.currency in ["CNY", "USD"]')).toBe(true);
    expect(run('double(event.amount) / 100.0 > 2500.5')).toBe(false);
    expect(run('features.account_out_count_1h > 2 && !features.new_beneficiary')).toBe(true);
    expect(run('features.account_out_sum_24h + 1.0 > 900000.5')).toBe(true);
    expect(run('event.device.startsWith("device-") && event.ip.matches("^10\\\\.")')).toBe(true);
    expect(run('screening.credit_score > 0.5 || graph.credit_mule_score > 0.25')).toBe(true);
    expect(run('size(lists.hits) == 0 && !lists.blocked')).toBe(true);
    expect(run('event.hour < 6 || event.hour > 22')).toBe(false);
  });

  it('refuses a rule naming anything but event, features, lists, screening and graph, and says which it may use', () => {
    const unknown = refusal('customer.age > 18');
    expect(unknown.error).toBe('unknown_variable');
    expect(unknown.detail).toContain('Unknown variable: customer');
    expect(unknown.detail).toContain('event, features, lists, screening, graph');
    expect(refusal('event.balance > 0').error).toBe('unknown_variable');
    expect(refusal('process.exit(1) == null').error).toBe('unknown_variable');
  });

  it('refuses an expression that is not a bool, or does not type-check, or does not parse', () => {
    expect(refusal('event.amount + 1')).toMatchObject({ error: 'expression_not_boolean' });
    expect(refusal('event.amount > "large"').error).toBe('expression_type_error');
    expect(refusal('event.amount >').error).toBe('expression_syntax_error');
  });

  it('refuses an over-long, over-deep or over-large expression, and an over-long list literal', () => {
    expect(refusal(`event.currency == "${'x'.repeat(RULES_LIMITS.expressionMaxLength)}"`).error).toBe('expression_too_long');
    expect(refusal(`${'('.repeat(40)}event.amount > 1${')'.repeat(40)}`).error).toBe('expression_too_deep');
    expect(refusal(`${Array.from({ length: 300 }, () => '1').join('+')} > 0`).error).toBe('expression_too_complex');
    expect(refusal(`event.amount in [${Array.from({ length: 65 }, (_, index) => index).join(', ')}]`).error).toBe('list_literal_too_long');
  });

  it('refuses macros nested more than two deep: loops over loops, and doubling a string by binding it again and again', () => {
    const loops = refusal('lists.hits.all(a, lists.hits.all(b, lists.hits.exists(c, a + b + c == "")))');
    expect(loops.error).toBe('macros_nested_too_deeply');
    expect(loops.detail).toContain('nests 3');
    const doubling = refusal('cel.bind(a, event.device + event.device, cel.bind(b, a + a, cel.bind(c, b + b, cel.bind(d, c + c, d.size() > 0))))');
    expect(doubling.error).toBe('macros_nested_too_deeply');
    // Two levels are fine.
    expect(run('lists.hits.all(a, lists.hits.exists(b, a == b))')).toBe(true);
    expect(refusal(Array.from({ length: 9 }, () => 'lists.hits.exists(h, h == "x")').join(' || ')).error).toBe('too_many_macros');
  });

  it('runs regular expressions through RE2 only: a pattern RE2 cannot compile is refused, and the built-in RegExp is out of reach', () => {
    const lookahead = refusal('event.device.matches("(?=device)")');
    expect(lookahead.error).toBe('regex_refused');
    expect(lookahead.detail).toContain('RE2 cannot compile');
    expect(refusal('event.device.matches("(d)\\\\1")').error).toBe('regex_refused');
    expect(refusal(`event.device.matches("${'a'.repeat(RULES_LIMITS.regexPatternMaxLength + 1)}")`).error).toBe('regex_too_long');
    expect(refusal('event.amount.matches("1")').error).toBe('expression_type_error');
    // Every spelling reaches the RE2 macro or nothing: through dyn, and no global matches(s, p) exists.
    expect(refusal('dyn(event.device).matches("(?=device)")').error).toBe('regex_refused');
    expect(refusal('matches(event.device, "d")').error).toBe('expression_type_error');
  });

  it('answers a catastrophic pattern on the longest input a rule can see, as RE2 does, instead of backtracking', () => {
    // With JavaScript's RegExp, (a+)+$ on 255 a's followed by "!" would backtrack for longer than
    // the test suite runs; RE2 answers in one pass over the input.
    const attack = `${'a'.repeat(RULES_LIMITS.variableStringMaxLength - 1)}!`;
    expect(run('event.device.matches("(a+)+$")', sampleVariables({ event: { device: attack } }))).toBe(false);
    expect(run('event.device.matches("^(a|aa)+!$")', sampleVariables({ event: { device: attack } }))).toBe(true);
  });

  it('compiles a pattern that only exists at run time through RE2 too, and fails that evaluation when RE2 refuses it', () => {
    expect(run('event.device.matches(event.channel)', sampleVariables({ event: { channel: '^dev.*42$' } }))).toBe(true);
    expect(() => run('event.device.matches(event.channel)', sampleVariables({ event: { channel: '(?=x)' } }))).toThrow(/RE2 cannot compile/);
  });

  it('cuts the strings and lists a rule sees to their limits', () => {
    const long = 'z'.repeat(RULES_LIMITS.variableStringMaxLength * 4);
    const variables = sampleVariables({ event: { device: long } });
    const withHits = { ...variables, lists: { blocked: true, allowed: false, hits: Array.from({ length: 500 }, () => long) } };
    expect(run(`event.device.size() == ${RULES_LIMITS.variableStringMaxLength}`, withHits)).toBe(true);
    expect(run(`lists.hits.size() == ${RULES_LIMITS.variableListMaxItems}`, withHits)).toBe(true);
  });

  it('names the features an expression reads, for the worst-case probe', () => {
    const compiled = compileExpression('features.velocity_1h > 3 && features["zscore"] > 2.5 || features.velocity_1h < 0');
    expect(compiled.ok && compiled.value.featureNames).toEqual(['velocity_1h', 'zscore']);
  });
});
