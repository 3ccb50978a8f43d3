/**
 * English wording of case titles and alert reasons for the kinds of alert the console words itself
 * (web/src/lib/alerts.ts): mule rings and name matches, with the names of the graph's signals and
 * their measurements. Part of the English catalogue (en-US.ts), kept apart so that each file stays readable.
 */
export const enUSAlerts = {
  'alerts.muleRing.title': 'Possible mule ring of {members} accounts',
  'alerts.muleAccount.title': 'Possible mule account {account}',
  'alerts.muleRing.summary': '{members} account(s) scoring at least {threshold}, joined by split payments, money passed on or short cycles; {edges} transfer(s) among them',
  'alerts.muleRing.member': '{account} scored {score}: {signals}',
  'alerts.signalReading': '{signal} {strength} ({values})',
  'alerts.valueReading': '{name} {value}',
  'alerts.signalSeparator': '; ',
  'alerts.valueSeparator': ', ',
  'alerts.signal.fan_in': 'fan-in',
  'alerts.signal.fan_out': 'fan-out',
  'alerts.signal.split_transfers': 'split payments',
  'alerts.signal.cycles': 'short cycles',
  'alerts.signal.pass_through': 'money passed on',
  'alerts.signal.shared_devices': 'shared devices',
  'alerts.signal.flagged_counterparties': 'flagged counterparties',
  'alerts.value.distinct': 'distinct accounts',
  'alerts.value.count': 'transfers',
  'alerts.value.most_in_window': 'like amounts within a day',
  'alerts.value.cycles': 'cycles',
  'alerts.value.shortest': 'shortest',
  'alerts.value.expected_by_chance': 'expected by chance',
  'alerts.value.beyond_chance': 'beyond chance',
  'alerts.value.forwarded_share': 'share passed on',
  'alerts.value.similar_forwards': 'like amounts passed on',
  'alerts.value.other_payers_on_device': 'other payers on the device',
  'alerts.value.flagged': 'flagged',
  'alerts.nameMatch.title': 'Party {party_id} ({party_name}) resembles {matched_name} on list {list}',
  'alerts.nameMatch.summary': 'Resembles {matched_name} on list {list}: score {score}',
  'alerts.nameMatch.other': 'Also resembles {matched_name} on list {list} ({score})',
  'alerts.explanation': 'How the names were compared',
} as const;
