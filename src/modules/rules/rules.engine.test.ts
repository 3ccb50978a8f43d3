import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRuleset, evaluateRuleset, type CompiledRuleset } from './rules.engine.ts';
import { forceRule, sampleVariables, scoreRule } from './rules.test-support.ts';
import { decideOutcome, OUTCOME_STRENGTH, OUTCOMES, type DecisionVariables, type RuleDefinition, type Thresholds } from './rules.ts';
import { toCelContext } from './rules.variables.ts';

const LARGE_BUDGET_MS = 10_000;
const thresholds: Thresholds = { reviewAt: 50, declineAt: 100 };

const ruleset = (rules: RuleDefinition[], limits = thresholds): CompiledRuleset => compileRuleset({ id: 'rs-test', version: 7, rules, thresholds: limits });
const evaluate = (compiled: CompiledRuleset, variables: DecisionVariables = sampleVariables(), budgetMs = LARGE_BUDGET_MS) => evaluateRuleset(compiled, toCelContext(variables), budgetMs);

describe('ruleset evaluation', () => {
  it('adds the points of the rules that fire and decides by the thresholds, naming the version and the reasons', () => {
    const compiled = ruleset([
      scoreRule('large', 'event.amount > 100000', 40),
      scoreRule('velocity', 'features.account_out_count_1h >= 3', 30),
      scoreRule('night', 'event.hour < 6', 80),
    ]);
    const result = evaluate(compiled);
    expect(result).toMatchObject({ rulesetId: 'rs-test', version: 7, score: 70, outcome: 'review', errors: [] });
    expect(result.fired).toEqual([
      { ruleId: 'large', name: 'rule large', score: 40, reason: 'large fired' },
      { ruleId: 'velocity', name: 'rule velocity', score: 30, reason: 'velocity fired' },
    ]);
    expect(evaluate(compiled, sampleVariables({ event: { hour: 3n } })).outcome).toBe('decline');
    expect(evaluate(compiled, sampleVariables({ event: { amount: 10n } })).outcome).toBe('approve');
  });

  it('lets the strongest forced outcome win over the score', () => {
    const compiled = ruleset([scoreRule('everything', 'true', 1000), forceRule('trusted', 'event.channel == "api"', 'approve')]);
    expect(evaluate(compiled)).toMatchObject({ score: 1000, outcome: 'approve' });
    const withReview = ruleset([forceRule('trusted', 'true', 'approve'), forceRule('odd', 'true', 'review')]);
    expect(evaluate(withReview).outcome).toBe('review');
  });

  it('records a rule that fails in errors and carries on with the others', () => {
    const compiled = ruleset([
      scoreRule('missing', 'features.not_computed > 1', 500),
      scoreRule('flag', 'features.account_out_count_1h', 500),
      { ...scoreRule('broken', 'true', 500), expression: 'nobody > 1' },
      scoreRule('fine', 'true', 60),
    ]);
    const result = evaluate(compiled);
    expect(result.score).toBe(60);
    expect(result.outcome).toBe('review');
    expect(result.errors.map((error) => [error.ruleId, error.message.split(':')[0]])).toEqual([
      ['missing', 'evaluation_error'],
      ['flag', 'not_boolean'],
      ['broken', 'invalid_rule'],
    ]);
  });

  it('stops when the budget is spent and reports every rule it did not reach as budget_exceeded', () => {
    const compiled = ruleset([scoreRule('a', 'true', 10), scoreRule('b', 'true', 10), scoreRule('c', 'true', 10), scoreRule('d', 'true', 10)]);
    // A stopwatch that advances 0.4 ms per reading: the start, then one reading before each rule.
    let readings = 0;
    const stopwatch = () => 0.4 * readings++;
    const result = evaluateRuleset(compiled, toCelContext(sampleVariables()), 1, stopwatch);
    expect(result.fired.map((rule) => rule.ruleId)).toEqual(['a', 'b', 'c']);
    expect(result.errors).toEqual([{ ruleId: 'd', message: expect.stringMatching(/^budget_exceeded: /) }]);
    expect(result.score).toBe(30);
  });

  it('is deterministic: the same variables always give the same result', () => {
    const compiled = ruleset([
      scoreRule('large', 'event.amount > 100000', 40),
      scoreRule('foreign', 'event.credit_country != event.debit_country', 25),
      scoreRule('pattern', 'event.device.matches("^[a-z]+-[0-9]{2,}$")', 15),
      forceRule('blocked', 'lists.blocked', 'decline'),
      scoreRule('velocity', 'features.account_out_count_1h * 2.0 > 5.0', 30),
    ]);
    const variables = fc.record({
      amount: fc.bigInt({ min: 0n, max: 10n ** 12n }),
      device: fc.string({ maxLength: 40 }),
      country: fc.constantFrom('CN', 'HK', 'US', ''),
      blocked: fc.boolean(),
      count: fc.double({ min: 0, max: 1000, noNaN: true }),
    }).map(({ amount, device, country, blocked, count }): DecisionVariables => ({
      ...sampleVariables({ event: { amount, device, credit_country: country }, features: { account_out_count_1h: count } }),
      lists: { blocked, allowed: false, hits: blocked ? ['block:account'] : [] },
    }));
    fc.assert(fc.property(variables, (input) => {
      const first = evaluate(compiled, input);
      expect(evaluate(compiled, input)).toEqual(first);
      expect(evaluate(compiled, structuredClone(input))).toEqual(first);
    }), { numRuns: 300 });
  });
});

describe('outcomes', () => {
  const thresholdPairs = fc.tuple(fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 5000 })).map(([a, b]): Thresholds => ({ reviewAt: Math.min(a, b), declineAt: Math.max(a, b) }));

  it('are monotone in the score for score-only rulesets', () => {
    const rules = fc.array(fc.record({ points: fc.integer({ min: 0, max: 1000 }), fires: fc.boolean() }), { minLength: 1, maxLength: 12 });
    fc.assert(fc.property(thresholdPairs, rules, fc.array(fc.bigInt({ min: 0n, max: 4096n }), { minLength: 2, maxLength: 6 }), (limits, specs, amounts) => {
      // Rule i fires when the amount has bit i set, so different amounts fire different subsets.
      const compiled = ruleset(specs.map((spec, index) => scoreRule(`r${index}`, `(event.amount / ${2 ** index}) % 2 == 1`, spec.points)), limits);
      const results = amounts.map((amount) => evaluate(compiled, sampleVariables({ event: { amount } }))).sort((a, b) => a.score - b.score);
      for (let index = 1; index < results.length; index++) {
        const [lower, higher] = [results[index - 1]!, results[index]!];
        expect(OUTCOME_STRENGTH[lower.outcome] <= OUTCOME_STRENGTH[higher.outcome]).toBe(true);
      }
    }), { numRuns: 200 });
    fc.assert(fc.property(thresholdPairs, fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10_000 }), (limits, a, b) => {
      const [low, high] = a <= b ? [a, b] : [b, a];
      expect(OUTCOME_STRENGTH[decideOutcome(low, [], limits)] <= OUTCOME_STRENGTH[decideOutcome(high, [], limits)]).toBe(true);
    }), { numRuns: 2000 });
  });

  it('let a forced decline win whatever else fires', () => {
    const rule = fc.oneof(
      fc.record({ kind: fc.constant('score' as const), points: fc.integer({ min: 0, max: 1000 }), fires: fc.boolean() }),
      fc.record({ kind: fc.constant('force' as const), outcome: fc.constantFrom(...OUTCOMES), fires: fc.boolean() }),
    );
    fc.assert(fc.property(thresholdPairs, fc.array(rule, { maxLength: 10 }), fc.nat({ max: 10 }), (limits, specs, at) => {
      const definitions = specs.map((spec, index) => spec.kind === 'score'
        ? scoreRule(`r${index}`, spec.fires ? 'true' : 'false', spec.points)
        : forceRule(`r${index}`, spec.fires ? 'true' : 'false', spec.outcome));
      definitions.splice(Math.min(at, definitions.length), 0, forceRule('decline', 'event.amount > 0', 'decline'));
      expect(evaluate(ruleset(definitions, limits)).outcome).toBe('decline');
    }), { numRuns: 300 });
  });
});
