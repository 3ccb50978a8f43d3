import { RULES_LIMITS } from './rules.limits.ts';
import type { DecisionVariables } from './rules.ts';

/**
 * Worst-case decisions a new rule is tried on before it may go live: every string as long as a rule
 * can ever see, in shapes that make string functions and regular expressions work hardest (one
 * letter repeated, the same with a different last character, separators that split into the most
 * pieces); every list full; numbers at their extremes; every feature the rule names present, as a
 * large number, as zero and as a flag.
 */
const LENGTH = RULES_LIMITS.variableStringMaxLength;
const INT64_MAX = 2n ** 63n - 1n;

const shapes: ReadonlyArray<{ readonly name: string; readonly text: string; readonly feature: number | boolean; readonly amount: bigint }> = [
  { name: 'one letter repeated', text: 'a'.repeat(LENGTH), feature: 1e15, amount: INT64_MAX },
  { name: 'repeated, different last character', text: `${'a'.repeat(LENGTH - 1)}!`, feature: 1e15, amount: -INT64_MAX },
  { name: 'separators everywhere', text: 'a,'.repeat(LENGTH / 2), feature: 0, amount: 0n },
  { name: 'spaces and digits', text: '9 '.repeat(LENGTH / 2), feature: true, amount: 1n },
  { name: 'empty', text: '', feature: false, amount: 0n },
];

function variablesOf(shape: (typeof shapes)[number], featureNames: readonly string[]): DecisionVariables {
  const text = shape.text;
  const features: Record<string, number | boolean> = {};
  for (const name of featureNames) features[name] = shape.feature;
  return {
    event: {
      amount: shape.amount, currency: text, code: 65_535n, channel: text, debit_account: text, credit_account: text, debit_party: text, credit_party: text,
      debit_country: text, credit_country: text, device: text, ip: text, hour: 23n,
    },
    features,
    lists: { blocked: true, allowed: true, hits: text === '' ? [] : Array.from({ length: RULES_LIMITS.variableListMaxItems }, () => text) },
    screening: { debit_score: 1, credit_score: 1 },
    graph: { debit_mule_score: 1, credit_mule_score: 1 },
  };
}

export function adversarialVariables(featureNames: readonly string[]): Array<{ readonly name: string; readonly variables: DecisionVariables }> {
  return shapes.map((shape) => ({ name: shape.name, variables: variablesOf(shape, featureNames) }));
}
