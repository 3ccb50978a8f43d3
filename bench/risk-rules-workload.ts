/**
 * The workload of the `risk-rules` benchmark: 50 rules over 20 features, each written twice — in CEL
 * for the rules engine and as json-rules-engine conditions for the baseline — and a deterministic
 * stream of decisions to evaluate. The benchmark checks that both fire the same rules on every
 * decision, so the two sides are known to do the same work.
 */
import type { RuleProperties, TopLevelCondition } from 'json-rules-engine';
import type { DecisionVariables, RuleDefinition } from '../src/modules/rules/index.ts';
import { seededRandom } from './harness.ts';

export const FEATURE_NAMES = [
  'account_out_count_1m', 'account_out_count_1h', 'account_out_count_24h', 'account_out_sum_1h', 'account_out_sum_24h', 'account_in_sum_24h',
  'distinct_counterparties_24h', 'minutes_since_last', 'amount_zscore', 'pass_through_ratio_24h', 'avg_amount_30d', 'max_amount_30d', 'account_age_days',
  'device_accounts_24h', 'ip_accounts_24h', 'party_out_count_24h', 'counterparty_in_count_1h', 'first_seen_counterparty', 'new_beneficiary_large', 'device_new',
] as const;

type Effect = { score: number } | { outcome: 'approve' | 'review' | 'decline' };
interface BenchRule {
  readonly id: string;
  readonly cel: string;
  readonly jre: TopLevelCondition;
  readonly effect: Effect;
}

/** One json-rules-engine condition on a flat fact. */
const is = (fact: string, operator: string, value: unknown) => ({ fact, operator, value });
const all = (...conditions: unknown[]): TopLevelCondition => ({ all: conditions as never[] });
const any = (...conditions: unknown[]): TopLevelCondition => ({ any: conditions as never[] });
const one = (condition: unknown): TopLevelCondition => ({ all: [condition as never] });

export const RULES: readonly BenchRule[] = [
  { id: 'large_amount', cel: 'event.amount > 5000000', jre: one(is('amount', 'greaterThan', 5_000_000)), effect: { score: 30 } },
  { id: 'very_large_amount', cel: 'event.amount > 50000000', jre: one(is('amount', 'greaterThan', 50_000_000)), effect: { score: 60 } },
  { id: 'round_amount', cel: 'event.amount % 100000 == 0 && event.amount >= 1000000', jre: all(is('amount_mod_100000', 'equal', 0), is('amount', 'greaterThanInclusive', 1_000_000)), effect: { score: 15 } },
  { id: 'night', cel: 'event.hour < 6', jre: one(is('hour', 'lessThan', 6)), effect: { score: 10 } },
  { id: 'sanctioned_country', cel: 'event.credit_country in ["KP", "IR", "SY", "CU"]', jre: one(is('credit_country', 'in', ['KP', 'IR', 'SY', 'CU'])), effect: { outcome: 'decline' } },
  { id: 'offshore', cel: 'event.credit_country in ["KY", "VG", "PA", "BS", "SC", "MU"]', jre: one(is('credit_country', 'in', ['KY', 'VG', 'PA', 'BS', 'SC', 'MU'])), effect: { score: 25 } },
  { id: 'cross_border', cel: 'event.debit_country != event.credit_country', jre: one(is('credit_country', 'notEqual', { fact: 'debit_country' })), effect: { score: 5 } },
  { id: 'foreign_currency_home', cel: 'event.currency in ["USD", "EUR"] && event.credit_country == "CN"', jre: all(is('currency', 'in', ['USD', 'EUR']), is('credit_country', 'equal', 'CN')), effect: { score: 10 } },
  { id: 'batch_large', cel: 'event.channel == "batch" && event.amount > 10000000', jre: all(is('channel', 'equal', 'batch'), is('amount', 'greaterThan', 10_000_000)), effect: { score: 10 } },
  { id: 'api_late', cel: 'event.channel.startsWith("api") && event.hour >= 23', jre: all(is('channel', 'startsWith', 'api'), is('hour', 'greaterThanInclusive', 23)), effect: { score: 10 } },
  { id: 'emulator', cel: 'event.device.contains("emulator")', jre: one(is('device', 'stringContains', 'emulator')), effect: { score: 40 } },
  { id: 'no_device_mobile', cel: 'event.device.size() == 0 && event.channel == "mobile"', jre: all(is('device', 'equal', ''), is('channel', 'equal', 'mobile')), effect: { score: 20 } },
  { id: 'anonymising_network', cel: 'event.ip.matches("^10\\\\.66\\\\.")', jre: one(is('ip', 'matchesRe2', '^10\\.66\\.')), effect: { score: 35 } },
  { id: 'virtual_device', cel: 'event.device.matches("^(emu|vm|sim)-[0-9a-f]{6,}$")', jre: one(is('device', 'matchesRe2', '^(emu|vm|sim)-[0-9a-f]{6,}$')), effect: { score: 30 } },
  { id: 'temporary_party', cel: 'event.debit_party.startsWith("tmp-")', jre: one(is('debit_party', 'startsWith', 'tmp-')), effect: { score: 15 } },
  { id: 'blocked', cel: 'lists.blocked', jre: one(is('blocked', 'equal', true)), effect: { outcome: 'decline' } },
  { id: 'allowed', cel: 'lists.allowed && event.amount < 100000000', jre: all(is('allowed', 'equal', true), is('amount', 'lessThan', 100_000_000)), effect: { outcome: 'approve' } },
  { id: 'many_list_hits', cel: 'size(lists.hits) > 2', jre: one(is('hits', 'sizeGreaterThan', 2)), effect: { score: 20 } },
  { id: 'screening_credit_high', cel: 'screening.credit_score >= 0.9', jre: one(is('screening_credit', 'greaterThanInclusive', 0.9)), effect: { outcome: 'review' } },
  { id: 'screening_debit_mid', cel: 'screening.debit_score >= 0.7', jre: one(is('screening_debit', 'greaterThanInclusive', 0.7)), effect: { score: 40 } },
  { id: 'screening_any', cel: 'screening.credit_score > 0.5 || screening.debit_score > 0.5', jre: any(is('screening_credit', 'greaterThan', 0.5), is('screening_debit', 'greaterThan', 0.5)), effect: { score: 10 } },
  { id: 'mule_credit', cel: 'graph.credit_mule_score > 0.8', jre: one(is('mule_credit', 'greaterThan', 0.8)), effect: { score: 50 } },
  { id: 'mule_debit', cel: 'graph.debit_mule_score > 0.6', jre: one(is('mule_debit', 'greaterThan', 0.6)), effect: { score: 30 } },
  { id: 'mule_both', cel: 'graph.credit_mule_score + graph.debit_mule_score > 1.0', jre: one(is('mule_sum', 'greaterThan', 1)), effect: { score: 20 } },
  { id: 'velocity_1m', cel: 'features.account_out_count_1m >= 5', jre: one(is('account_out_count_1m', 'greaterThanInclusive', 5)), effect: { score: 40 } },
  { id: 'velocity_1h', cel: 'features.account_out_count_1h > 20', jre: one(is('account_out_count_1h', 'greaterThan', 20)), effect: { score: 25 } },
  { id: 'velocity_24h', cel: 'features.account_out_count_24h > 100', jre: one(is('account_out_count_24h', 'greaterThan', 100)), effect: { score: 15 } },
  { id: 'sum_1h_large', cel: 'features.account_out_sum_1h > 20000000', jre: one(is('account_out_sum_1h', 'greaterThan', 20_000_000)), effect: { score: 25 } },
  { id: 'out_over_in', cel: 'features.account_out_sum_24h > features.account_in_sum_24h * 3.0', jre: one(is('out_minus_three_in', 'greaterThan', 0)), effect: { score: 20 } },
  { id: 'many_counterparties', cel: 'features.distinct_counterparties_24h > 15', jre: one(is('distinct_counterparties_24h', 'greaterThan', 15)), effect: { score: 25 } },
  { id: 'burst_after_silence', cel: 'features.minutes_since_last < 1.0 && features.account_out_count_1h > 10', jre: all(is('minutes_since_last', 'lessThan', 1), is('account_out_count_1h', 'greaterThan', 10)), effect: { score: 20 } },
  { id: 'zscore_high', cel: 'features.amount_zscore > 4.0', jre: one(is('amount_zscore', 'greaterThan', 4)), effect: { score: 35 } },
  { id: 'zscore_mid', cel: 'features.amount_zscore > 2.5 && features.amount_zscore <= 4.0', jre: all(is('amount_zscore', 'greaterThan', 2.5), is('amount_zscore', 'lessThanInclusive', 4)), effect: { score: 15 } },
  { id: 'pass_through', cel: 'features.pass_through_ratio_24h > 0.9 && features.account_in_sum_24h > 1000000.0', jre: all(is('pass_through_ratio_24h', 'greaterThan', 0.9), is('account_in_sum_24h', 'greaterThan', 1_000_000)), effect: { score: 40 } },
  { id: 'above_max', cel: 'double(event.amount) > features.max_amount_30d * 2.0', jre: one(is('amount_minus_twice_max', 'greaterThan', 0)), effect: { score: 25 } },
  { id: 'above_average', cel: 'double(event.amount) > features.avg_amount_30d * 10.0 && features.avg_amount_30d > 0.0', jre: all(is('amount_minus_ten_average', 'greaterThan', 0), is('avg_amount_30d', 'greaterThan', 0)), effect: { score: 20 } },
  { id: 'young_account', cel: 'features.account_age_days < 7.0 && event.amount > 1000000', jre: all(is('account_age_days', 'lessThan', 7), is('amount', 'greaterThan', 1_000_000)), effect: { score: 30 } },
  { id: 'shared_device', cel: 'features.device_accounts_24h >= 4', jre: one(is('device_accounts_24h', 'greaterThanInclusive', 4)), effect: { score: 30 } },
  { id: 'shared_ip', cel: 'features.ip_accounts_24h >= 6', jre: one(is('ip_accounts_24h', 'greaterThanInclusive', 6)), effect: { score: 20 } },
  { id: 'party_velocity', cel: 'features.party_out_count_24h > 50', jre: one(is('party_out_count_24h', 'greaterThan', 50)), effect: { score: 15 } },
  { id: 'fan_in', cel: 'features.counterparty_in_count_1h > 30', jre: one(is('counterparty_in_count_1h', 'greaterThan', 30)), effect: { score: 30 } },
  { id: 'first_seen_large', cel: 'features.first_seen_counterparty && event.amount > 2000000', jre: all(is('first_seen_counterparty', 'equal', true), is('amount', 'greaterThan', 2_000_000)), effect: { score: 25 } },
  { id: 'new_beneficiary_large', cel: 'features.new_beneficiary_large == true', jre: one(is('new_beneficiary_large', 'equal', true)), effect: { score: 35 } },
  { id: 'new_device', cel: 'features.device_new && event.amount > 500000', jre: all(is('device_new', 'equal', true), is('amount', 'greaterThan', 500_000)), effect: { score: 20 } },
  { id: 'new_device_night', cel: 'features.device_new && (event.hour < 6 || event.hour > 22)', jre: all(is('device_new', 'equal', true), any(is('hour', 'lessThan', 6), is('hour', 'greaterThan', 22))), effect: { score: 15 } },
  { id: 'young_shared_device', cel: 'features.account_age_days < 30.0 && features.device_accounts_24h >= 2', jre: all(is('account_age_days', 'lessThan', 30), is('device_accounts_24h', 'greaterThanInclusive', 2)), effect: { score: 15 } },
  { id: 'rapid_new_counterparty', cel: 'features.first_seen_counterparty && features.account_out_count_1h > 5', jre: all(is('first_seen_counterparty', 'equal', true), is('account_out_count_1h', 'greaterThan', 5)), effect: { score: 20 } },
  { id: 'mule_pass_through', cel: 'graph.credit_mule_score > 0.5 && features.pass_through_ratio_24h > 0.7', jre: all(is('mule_credit', 'greaterThan', 0.5), is('pass_through_ratio_24h', 'greaterThan', 0.7)), effect: { outcome: 'review' } },
  { id: 'cash_codes', cel: 'event.code in [501, 502, 503] && event.amount > 5000000', jre: all(is('code', 'in', [501, 502, 503]), is('amount', 'greaterThan', 5_000_000)), effect: { score: 15 } },
  { id: 'card_testing', cel: 'event.amount < 100 && features.first_seen_counterparty', jre: all(is('amount', 'lessThan', 100), is('first_seen_counterparty', 'equal', true)), effect: { score: 10 } },
];

export const THRESHOLDS = { reviewAt: 60, declineAt: 120 } as const;

export function celRules(): RuleDefinition[] {
  return RULES.map((rule) => ({
    id: rule.id, name: rule.id.replace(/_/g, ' '), expression: rule.cel, reason: `${rule.id.replace(/_/g, ' ')}`,
    effect: 'score' in rule.effect ? { kind: 'score', points: rule.effect.score } : { kind: 'force', outcome: rule.effect.outcome },
  }));
}

export function jreRules(): RuleProperties[] {
  return RULES.map((rule) => ({ name: rule.id, conditions: rule.jre, event: { type: rule.id, params: { ...rule.effect } } }));
}

/** A decision with mostly ordinary values and, now and then, the values that make rules fire. */
export function decisions(count: number, seed: number): DecisionVariables[] {
  const random = seededRandom(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)] as T;
  const rare = (probability: number) => random() < probability;
  const amount = () => (rare(0.1) ? BigInt(Math.floor(random() * 100_000_000)) : rare(0.05) ? BigInt(Math.floor(random() * 100) * 100_000) : BigInt(Math.floor(random() * 2_000_000)));
  return Array.from({ length: count }, (_, index): DecisionVariables => {
    const features: Record<string, number | boolean> = {
      account_out_count_1m: Math.floor(random() * (rare(0.05) ? 10 : 3)), account_out_count_1h: Math.floor(random() * (rare(0.1) ? 40 : 8)),
      account_out_count_24h: Math.floor(random() * (rare(0.1) ? 200 : 30)), account_out_sum_1h: Math.floor(random() * (rare(0.1) ? 50_000_000 : 3_000_000)),
      account_out_sum_24h: Math.floor(random() * 20_000_000), account_in_sum_24h: Math.floor(random() * 20_000_000), distinct_counterparties_24h: Math.floor(random() * (rare(0.1) ? 40 : 8)),
      minutes_since_last: random() * (rare(0.1) ? 1 : 600), amount_zscore: random() * (rare(0.1) ? 8 : 2.5), pass_through_ratio_24h: random(),
      avg_amount_30d: Math.floor(random() * 1_000_000), max_amount_30d: Math.floor(random() * 10_000_000), account_age_days: random() * (rare(0.1) ? 10 : 2000),
      device_accounts_24h: Math.floor(random() * (rare(0.1) ? 8 : 2)), ip_accounts_24h: Math.floor(random() * (rare(0.1) ? 10 : 3)), party_out_count_24h: Math.floor(random() * (rare(0.1) ? 100 : 20)),
      counterparty_in_count_1h: Math.floor(random() * (rare(0.05) ? 60 : 10)), first_seen_counterparty: rare(0.2), new_beneficiary_large: rare(0.03), device_new: rare(0.1),
    };
    return {
      event: {
        amount: amount(), currency: pick(['CNY', 'CNY', 'CNY', 'USD', 'EUR', 'HKD']), code: BigInt(pick([1, 2, 3, 501, 502, 700])), channel: pick(['api', 'api-v2', 'batch', 'mobile', 'console']),
        debit_account: `acct-${index % 997}`, credit_account: `acct-${(index * 7) % 991}`, debit_party: rare(0.05) ? `tmp-${index}` : `party-${index % 311}`, credit_party: `party-${index % 293}`,
        debit_country: pick(['CN', 'CN', 'CN', 'HK', 'SG']), credit_country: pick(['CN', 'CN', 'HK', 'US', 'SG', 'KY', 'VG', 'IR', 'DE']),
        device: rare(0.05) ? '' : rare(0.05) ? `emu-${(index * 2654435761 >>> 0).toString(16)}` : rare(0.02) ? `android-emulator-${index}` : `device-${index % 5000}`,
        ip: rare(0.05) ? `10.66.${index % 256}.${(index * 13) % 256}` : `203.0.${index % 256}.${(index * 17) % 256}`, hour: BigInt(Math.floor(random() * 24)),
      },
      features,
      lists: { blocked: rare(0.01), allowed: rare(0.02), hits: rare(0.03) ? ['block:device', 'block:ip', 'watch:party'] : [] },
      screening: { debit_score: rare(0.05) ? 0.6 + random() * 0.4 : random() * 0.5, credit_score: rare(0.05) ? 0.6 + random() * 0.4 : random() * 0.5 },
      graph: { debit_mule_score: rare(0.05) ? 0.5 + random() * 0.5 : random() * 0.3, credit_mule_score: rare(0.05) ? 0.5 + random() * 0.5 : random() * 0.3 },
    };
  });
}

/** The baseline's facts: one flat fact per value, so json-rules-engine needs no path lookups. */
export function factsOf(variables: DecisionVariables): Record<string, unknown> {
  const { event, lists, screening, graph } = variables;
  return {
    amount: Number(event.amount), currency: event.currency, code: Number(event.code), channel: event.channel, debit_party: event.debit_party,
    debit_country: event.debit_country, credit_country: event.credit_country, device: event.device, ip: event.ip, hour: Number(event.hour),
    blocked: lists.blocked, allowed: lists.allowed, hits: lists.hits, screening_debit: screening.debit_score, screening_credit: screening.credit_score,
    mule_debit: graph.debit_mule_score, mule_credit: graph.credit_mule_score, ...variables.features,
  };
}
