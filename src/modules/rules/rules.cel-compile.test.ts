import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BENCH_RULESET } from '../../../bench/risk-http-ruleset.ts';
import { isCompiled } from './rules.cel-compile.ts';
import { compileExpression, rulesEnvironment } from './rules.cel.ts';
import { sampleVariables } from './rules.test-support.ts';
import { toCelContext, type CelContext } from './rules.variables.ts';

/**
 * The compiled closures against the CEL interpreter they stand in front of: for every expression the
 * rules module accepts, over generated contexts, the program must give the interpreter's value, or
 * throw the interpreter's error, whichever path answers.
 */
type Outcome = { readonly value: unknown } | { readonly error: string };

function outcome(run: () => unknown): Outcome {
  try {
    return { value: run() };
  } catch (error) {
    return { error: String((error as { message?: unknown }).message ?? error) };
  }
}

function interpreterOf(expression: string): (context: CelContext) => unknown {
  const parsed = rulesEnvironment().parse(expression);
  const checked = parsed.check();
  if (!checked.valid) throw new Error(`not valid: ${expression}`);
  return parsed as unknown as (context: CelContext) => unknown;
}

const FEATURE_NAMES = ['f_count', 'f_sum', 'f_ratio', 'f_flag', 'f_missing'] as const;

const ints = fc.oneof(
  fc.constantFrom('0', '1', '-1', '3', '5', '6', '200', '9223372036854775807', '-9223372036854775807', '4611686018427387904'),
  fc.integer({ min: -3, max: 25 }).map(String),
);
const doubles = fc.constantFrom('0.0', '1.5', '-2.5', '0.95', '1e308', '100000000.0', '6.0', '3.0', '14.0');
const strings = fc.constantFrom('"CN"', '"HK"', '""', '"10."', '"device-"', '"a"');
const features = fc.constantFrom(...FEATURE_NAMES.map((name) => `features.${name}`), 'features["f_sum"]');
const intFields = fc.constantFrom('event.amount', 'event.hour', 'event.code');
const doubleFields = fc.constantFrom('screening.credit_score', 'screening.debit_score', 'graph.credit_mule_score', 'graph.debit_mule_score');
const stringFields = fc.constantFrom('event.currency', 'event.debit_country', 'event.credit_country', 'event.ip', 'event.device');
const boolFields = fc.constantFrom('lists.blocked', 'lists.allowed');

/** Expressions of every compiled shape, typed loosely on purpose: the checker refuses some, which are skipped. */
const expressions = fc.letrec<{ num: string; str: string; bool: string }>((tie) => ({
  num: fc.oneof(
    { depthSize: 'small' },
    ints, doubles, features, intFields, doubleFields,
    fc.tuple(tie('num'), fc.constantFrom('+', '-', '*', '/', '%'), tie('num')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('num').map((a) => `-${a}`),
    fc.tuple(tie('bool'), tie('num'), tie('num')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
  ),
  str: fc.oneof(
    { depthSize: 'small' },
    strings, stringFields,
    fc.tuple(tie('str'), tie('str')).map(([a, b]) => `(${a} + ${b})`),
  ),
  bool: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom('true', 'false'), boolFields, features,
    fc.tuple(tie('num'), fc.constantFrom('<', '<=', '>', '>=', '==', '!='), tie('num')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('str'), fc.constantFrom('<', '>=', '==', '!='), tie('str')).map(([a, op, b]) => `${a} ${op} ${b}`),
    fc.tuple(tie('bool'), fc.constantFrom('&&', '||', '==', '!='), tie('bool')).map(([a, op, b]) => `(${a} ${op} ${b})`),
    tie('bool').map((a) => `!(${a})`),
    fc.tuple(tie('bool'), tie('bool'), tie('bool')).map(([c, a, b]) => `(${c} ? ${a} : ${b})`),
    fc.tuple(tie('str'), fc.constantFrom('startsWith', 'endsWith', 'contains'), tie('str')).map(([a, m, b]) => `${a}.${m}(${b})`),
    fc.tuple(tie('str'), fc.array(strings, { minLength: 1, maxLength: 3 })).map(([a, list]) => `${a} in [${list.join(', ')}]`),
    fc.tuple(tie('num'), fc.array(ints, { minLength: 1, maxLength: 3 })).map(([a, list]) => `${a} in [${list.join(', ')}]`),
    fc.tuple(tie('num'), fc.array(doubles, { minLength: 1, maxLength: 3 })).map(([a, list]) => `${a} in [${list.join(', ')}]`),
    tie('str').map((a) => `${a} in lists.hits`),
  ),
}));

const featureValue = fc.oneof(
  fc.integer({ min: -3, max: 25 }), fc.double(), fc.boolean(),
  fc.constantFrom(0, -0, 1.5, 0.95, 6, Number.NaN, Number.POSITIVE_INFINITY, 1e308),
);
const smallInt = fc.bigInt({ min: -3n, max: 30n });
const bigInt = fc.constantFrom(9223372036854775807n, -9223372036854775808n, 4611686018427387904n, 0n);
const text = fc.constantFrom('CN', 'HK', '', '10.66.1.2', 'device-7', 'a');

const contexts = fc.record({
  amount: fc.oneof(smallInt, bigInt, fc.bigInt({ min: 0n, max: 100_000_000n })),
  hour: fc.bigInt({ min: 0n, max: 23n }),
  strings: fc.tuple(text, text, text, text),
  features: fc.dictionary(fc.constantFrom(...FEATURE_NAMES.filter((name) => name !== 'f_missing')), featureValue),
  scores: fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })),
  blocked: fc.boolean(),
  hits: fc.array(text, { maxLength: 3 }),
}).map((generated): CelContext => {
  const [currency, country, ip, device] = generated.strings;
  const variables = sampleVariables({ event: { amount: generated.amount, hour: generated.hour, currency, debit_country: country, ip, device }, features: generated.features });
  return toCelContext({
    ...variables,
    lists: { blocked: generated.blocked, allowed: !generated.blocked, hits: generated.hits },
    screening: { debit_score: generated.scores[0], credit_score: generated.scores[1] },
  });
});

function expectSameAsInterpreter(expression: string, context: CelContext): void {
  const compiled = compileExpression(expression);
  if (!compiled.ok) return;
  const interpreter = interpreterOf(expression);
  expect(outcome(() => compiled.value.program(context)), expression).toEqual(outcome(() => interpreter(context)));
}

describe('compiled rule expressions', () => {
  it('give the interpreter\'s value or error for generated expressions and contexts', () => {
    let accepted = 0;
    let compiledCount = 0;
    fc.assert(
      fc.property(expressions.bool, fc.array(contexts, { minLength: 1, maxLength: 4 }), (expression, generated) => {
        const compiled = compileExpression(expression);
        if (!compiled.ok) return;
        accepted += 1;
        if (isCompiled(rulesEnvironment().parse(expression).ast)) compiledCount += 1;
        for (const context of generated) expectSameAsInterpreter(expression, context);
      }),
      { numRuns: 4000, seed: 20261128 },
    );
    // The generator must reach the closures, not only the interpreter behind them.
    expect(accepted).toBeGreaterThan(500);
    expect(compiledCount / accepted).toBeGreaterThan(0.9);
  });

  it('agree at the edges: a feature or field compared with a threshold it equals, by every operator', () => {
    const atom = fc.oneof(ints, doubles, features, intFields, doubleFields);
    const edges = fc.record({
      hour: fc.bigInt({ min: 0n, max: 6n }),
      features: fc.dictionary(fc.constantFrom('f_count', 'f_sum', 'f_ratio'), fc.constantFrom(0, -0, 1, 1.5, 3, 5, 6, Number.NaN)),
    }).map(({ hour, features: values }) => toCelContext(sampleVariables({ event: { hour, amount: 5n }, features: values })));
    fc.assert(
      fc.property(atom, fc.constantFrom('<', '<=', '>', '>=', '==', '!='), atom, edges, (left, op, right, context) => {
        expectSameAsInterpreter(`${left} ${op} ${right}`, context);
      }),
      { numRuns: 3000, seed: 20261128 },
    );
  });

  it('agree on feature maps holding strings, big ints, missing keys and values the closures do not read', () => {
    const base = toCelContext(sampleVariables());
    const oddFeatures: Array<Record<string, unknown>> = [
      { f_count: 5n, f_sum: 'text', f_flag: true }, {}, { f_count: null, f_sum: [1] }, { f_count: { nested: 1 } },
      Object.assign(Object.create(null) as object, { f_count: 3, f_sum: 2.5 }),
    ];
    const checked = ['features.f_count > 3', 'features.f_sum + 1.0 > 2.0', 'features.f_count == 5', 'features.f_sum.startsWith("te")', 'features.f_flag || features.f_count > 1',
      'features.f_count in [5, 6]', '-features.f_count < 0', 'features.f_count / 0 == 1', 'features.f_sum == "text"'];
    for (const raw of oddFeatures) {
      const context = { ...base, features: raw } as unknown as CelContext;
      for (const expression of checked) expectSameAsInterpreter(expression, context);
    }
    const asMap = { ...base, features: new Map<string, unknown>([['f_count', 7]]) } as unknown as CelContext;
    expectSameAsInterpreter('features.f_count > 3', asMap);
    const notEvent = { ...base, event: { ...base.event } } as unknown as CelContext;
    expectSameAsInterpreter('event.amount > 3', notEvent);
  });

  it('leave division by zero, overflow and type mismatches to the interpreter, which reports them as before', () => {
    const context = toCelContext(sampleVariables({ event: { amount: 9223372036854775807n }, features: { f_count: 2, f_flag: true } }));
    const errors = ['event.amount + 1 > 0', 'event.amount * 2 > 0', 'event.amount / (event.hour - 14) > 0', 'event.amount % 0 == 0',
      'features.f_flag > 1', 'features.f_missing > 1', 'features.f_count + 1 > 2'];
    // A double compared with a bool is false to the interpreter, not an error: the closures leave it to it.
    expectSameAsInterpreter('features.f_count == true', context);
    for (const expression of errors) {
      const result = outcome(() => (compileExpression(expression) as { value: { program: (c: CelContext) => unknown } }).value.program(context));
      expect(result, expression).toEqual(outcome(() => interpreterOf(expression)(context)));
      expect('error' in result, expression).toBe(true);
    }
    // An error on one side of || or && is covered by a known answer on the other, as the interpreter has it.
    expectSameAsInterpreter('features.f_missing > 1 || true', context);
    expectSameAsInterpreter('features.f_missing > 1 && false', context);
    expect(compileExpression('features.f_missing > 1 || true').ok && (compileExpression('features.f_missing > 1 || true') as { value: { program: (c: CelContext) => unknown } }).value.program(context)).toBe(true);
  });

  it('compile every rule of the benchmark ruleset, and leave RE2 matches and macros to the interpreter', () => {
    for (const rule of BENCH_RULESET.rules) expect(isCompiled(rulesEnvironment().parse(rule.expression).ast), rule.expression).toBe(true);
    expect(isCompiled(rulesEnvironment().parse('event.ip.matches("^10\\\\.")').ast)).toBe(false);
    expect(isCompiled(rulesEnvironment().parse('lists.hits.exists(h, h == "x")').ast)).toBe(false);
    expect(isCompiled(rulesEnvironment().parse('size(lists.hits) == 0').ast)).toBe(false);
    const context = toCelContext(sampleVariables());
    for (const rule of BENCH_RULESET.rules) expectSameAsInterpreter(rule.expression, context);
  });
});
