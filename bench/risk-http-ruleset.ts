/**
 * The live ruleset of the `risk-http` benchmark: 20 rules over the event, the lists, screening,
 * the graph and the feature windows, as a bank might run them. Data only, so that tests can check
 * the rules engine against it without loading the benchmark.
 */
const rule = (id: string, expression: string, effect: { score: number } | { outcome: 'review' | 'decline' }, reason: string) => ({ id, name: id.replace(/_/g, ' '), expression, ...effect, reason });

export const BENCH_RULESET = {
  name: 'benchmark live ruleset',
  thresholds: { review_at: 60, decline_at: 120 },
  rules: [
    rule('large_amount', 'event.amount > 5000000', { score: 30 }, 'amount above 50,000.00'),
    rule('very_large_amount', 'event.amount > 50000000', { score: 80 }, 'amount above 500,000.00'),
    rule('night_large', 'event.hour < 5 && event.amount > 1000000', { score: 10 }, 'large amount at night'),
    rule('sanctioned_country', 'event.credit_country in ["KP", "IR", "SY"]', { outcome: 'decline' }, 'payee in a sanctioned country'),
    rule('cross_border_large', 'event.debit_country != event.credit_country && event.amount > 2000000', { score: 10 }, 'large cross-border amount'),
    rule('block_listed', 'lists.blocked', { outcome: 'decline' }, 'on the block list'),
    rule('velocity_1m', 'features.account_out_count_1m >= 20', { score: 40 }, 'twenty transfers in a minute'),
    rule('velocity_1h', 'features.account_out_count_1h > 200', { score: 25 }, 'over 200 transfers in an hour'),
    rule('sum_1h', 'features.account_out_sum_1h > 50000000.0', { score: 25 }, 'over 500,000.00 sent in an hour'),
    rule('fan_out', 'features.account_distinct_payees_24h > 500', { score: 25 }, 'paid over 500 accounts in a day'),
    rule('pass_through', 'features.pass_through_ratio_24h > 0.95 && features.account_in_sum_24h > 100000000.0', { score: 40 }, 'money passes straight through'),
    rule('amount_outlier', 'features.amount_zscore > 6.0', { score: 30 }, 'amount far above this account\'s usual'),
    rule('new_beneficiary_large', 'features.new_beneficiary_large == true', { score: 20 }, 'large amount to a new payee'),
    rule('fan_in', 'features.counterparty_distinct_payers_24h > 500', { score: 25 }, 'payee paid by over 500 accounts in a day'),
    rule('shared_device', 'features.device_distinct_accounts_24h >= 10', { score: 30 }, 'device used by ten accounts in a day'),
    rule('party_velocity', 'features.party_out_count_24h > 1000', { score: 15 }, 'over 1,000 transfers by one party in a day'),
    rule('screening_match', 'screening.credit_score >= 0.9 || screening.debit_score >= 0.9', { outcome: 'review' }, 'a name matches a watch list'),
    rule('mule_payee', 'graph.credit_mule_score > 0.8', { score: 50 }, 'payee scored as a likely mule'),
    rule('burst', 'features.seconds_since_last_out < 1.0 && features.account_out_count_1h > 50', { score: 20 }, 'burst of transfers'),
    rule('anonymising_network', 'event.ip.startsWith("10.66.")', { score: 35 }, 'order from an anonymising network'),
  ],
};
