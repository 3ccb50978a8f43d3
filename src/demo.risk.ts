import type { Platform } from './platform.ts';

/**
 * Risk control for the demo: a small watch list (invented names, one of them a demo customer's),
 * a live ruleset an analyst would start from, and a scan of the payment graph that finds the planted
 * mule ring and opens its case. Loading it twice changes nothing: the list is replaced whole, a
 * ruleset is only created when none exists, and a rescan finds the ring unchanged, which adds nothing
 * to its open case.
 */
export const DEMO_WATCH_LIST_NAME = 'demo_sanctions';

const DEMO_WATCH_LIST = [
  'id,name,aliases,country,birth_date,list,schema',
  'demo-0001,Viktor Petrovich Drozdov,Viktor Drozdov;V. P. Drozdov,RU,1968-03-14,demo_sanctions,person',
  'demo-0002,Karim Abdel Nasser Haddad,Kareem Haddad,SY,1975-11-02,demo_sanctions,person',
  'demo-0003,Northern Star Maritime Trading LLC,Northern Star Maritime,AE,,demo_sanctions,company',
  'demo-0004,林国栋,Lin Guodong;林國棟,CN,1971-06-30,demo_sanctions,person',
  'demo-0005,Pyotr Ilyich Volkov,Petr Volkov,RU,1959-01-21,demo_sanctions,person',
].join('\n');

/** Loaded before any party is registered, so onboarding screening sees the list. */
export async function loadDemoWatchList(platform: Platform): Promise<void> {
  const imported = await platform.screening.importList({ name: DEMO_WATCH_LIST_NAME, format: 'csv', content: DEMO_WATCH_LIST });
  if (!imported.ok) throw new Error(`demo watch list: ${JSON.stringify(imported)}`);
}

const score = (points: number) => ({ kind: 'score' as const, points });
const force = (outcome: 'review' | 'decline') => ({ kind: 'force' as const, outcome });

/** The ruleset the demo promotes to live after replaying its history through a backtest. */
export const DEMO_RULESET = {
  name: 'Retail payments baseline',
  thresholds: { reviewAt: 60, declineAt: 100 },
  rules: [
    { id: 'blocked', name: 'Block list hit', expression: 'lists.blocked', effect: force('decline'), reason: 'a party, account, device, country or address is on the block list' },
    { id: 'sanctioned-payee', name: 'Payee on a watch list', expression: 'screening.credit_score >= 0.9', effect: force('review'), reason: "the payee's name matches a watch-list entry" },
    { id: 'sanctioned-payer', name: 'Payer on a watch list', expression: 'screening.debit_score >= 0.9', effect: force('review'), reason: "the payer's name matches a watch-list entry" },
    { id: 'mule-payee', name: 'Payee scored as a mule', expression: 'graph.credit_mule_score >= 0.7', effect: score(50), reason: 'the payee belongs to a suspected mule ring' },
    { id: 'mule-payer', name: 'Payer scored as a mule', expression: 'graph.debit_mule_score >= 0.7', effect: score(50), reason: 'the payer belongs to a suspected mule ring' },
    { id: 'new-payee-large', name: 'Large amount to a new payee', expression: 'features.new_beneficiary_large', effect: score(35), reason: 'first payment to this payee, far above the payer\'s usual amount' },
    { id: 'unusual-amount', name: 'Amount unusual for the payer', expression: 'features.amount_zscore > 4.0', effect: score(25), reason: 'more than four standard deviations above the payer\'s mean' },
    { id: 'burst', name: 'Burst of payments', expression: 'features.account_out_count_1h >= 10.0', effect: score(30), reason: 'ten or more payments from this account in the last hour' },
    { id: 'fan-out', name: 'Many new payees', expression: 'features.account_distinct_payees_24h >= 8.0', effect: score(25), reason: 'eight or more distinct payees in a day' },
    { id: 'pass-through', name: 'Money passed straight on', expression: 'features.pass_through_ratio_24h >= 0.9 && features.account_in_sum_24h > 1000000.0', effect: score(40), reason: 'almost everything received in the last day is paid out again' },
    { id: 'collector', name: 'Many payers into one account', expression: 'features.counterparty_distinct_payers_24h >= 10.0 && event.amount >= 400000', effect: score(20), reason: 'the payee collected from ten or more payers in a day' },
    { id: 'night-large', name: 'Large payment at night', expression: 'event.hour < 5 && event.amount >= 5000000', effect: score(15), reason: 'a large payment between midnight and five (UTC)' },
  ],
};

/** After the history is booked: find the mule ring, then put the baseline ruleset live. */
export async function loadDemoRisk(platform: Platform): Promise<{ rings: number; ruleset: string | null }> {
  // Booked payments reach the graph's store and the decision log in the background; wait for both.
  await platform.risk.flush();
  await platform.graph.flush();
  const scanned = await platform.graph.scan({ sinceMs: platform.clock.nowMs() - 30 * 86_400_000 });
  if (!scanned.ok) throw new Error(`demo graph scan: ${scanned.error}`);
  if ((await platform.rules.list({ limit: 1, order: 'desc' })).length > 0) return { rings: scanned.value.alerted.length, ruleset: null };
  const draft = await platform.rules.createDraft(DEMO_RULESET);
  if (!draft.ok) throw new Error(`demo ruleset: ${JSON.stringify(draft)}`);
  const backtested = await platform.rules.backtest(draft.value.id, 30);
  if (!backtested.ok) throw new Error(`demo backtest: ${JSON.stringify(backtested)}`);
  const live = await platform.rules.promote(draft.value.id, 'live');
  if (!live.ok) throw new Error(`demo promotion: ${JSON.stringify(live)}`);
  return { rings: scanned.value.alerted.length, ruleset: draft.value.id };
}
