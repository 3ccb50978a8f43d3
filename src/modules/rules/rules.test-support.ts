import type { DecisionVariables, RuleDefinition } from './rules.ts';

/** An ordinary decision: a mid-sized transfer between two accounts, nothing listed, low scores. */
export function sampleVariables(overrides: { event?: Partial<DecisionVariables['event']>; features?: DecisionVariables['features'] } = {}): DecisionVariables {
  return {
    event: {
      amount: 250_000n, currency: 'CNY', code: 1n, channel: 'api', debit_account: 'acct-debit', credit_account: 'acct-credit', debit_party: 'party-a', credit_party: 'party-b',
      debit_country: 'CN', credit_country: 'HK', device: 'device-42', ip: '10.1.2.3', hour: 14n, ...overrides.event,
    },
    features: overrides.features ?? { account_out_count_1h: 3, account_out_sum_24h: 900_000, new_beneficiary: false },
    lists: { blocked: false, allowed: false, hits: [] },
    screening: { debit_score: 0.1, credit_score: 0.2 },
    graph: { debit_mule_score: 0.05, credit_mule_score: 0.3 },
  };
}

export const scoreRule = (id: string, expression: string, points: number): RuleDefinition => ({ id, name: `rule ${id}`, expression, effect: { kind: 'score', points }, reason: `${id} fired` });

export const forceRule = (id: string, expression: string, outcome: 'approve' | 'review' | 'decline'): RuleDefinition => ({
  id, name: `rule ${id}`, expression, effect: { kind: 'force', outcome }, reason: `${id} forces ${outcome}`,
});
