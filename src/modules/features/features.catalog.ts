import type { FeatureDescription } from './features.event.ts';
import { FEATURE_WINDOWS, HISTORY_MIN_COUNT, NEW_BENEFICIARY_LARGE_FACTOR, NO_PREVIOUS_OUT_SECONDS, type WindowSuffix } from './features.limits.ts';

/**
 * Every feature by name, with what it measures. The payer is the event's debit account, the payee
 * (counterparty) its credit account. Windows count the events recorded before the one being decided,
 * never that event itself; an event exactly one window old is outside it. Amounts are minor units of
 * the event's currency, as numbers (exact below 2^53).
 */
export type FeatureScope = 'account' | 'event' | 'party' | 'counterparty' | 'device' | 'score';

export interface CatalogEntry extends FeatureDescription {
  /** What the value depends on: account-scope values are the payer's alone, event-scope ones also on this event. */
  readonly scope: FeatureScope;
}

const WINDOW_WORDS: Readonly<Record<WindowSuffix, string>> = { '1m': 'minute', '1h': 'hour', '24h': '24 hours', '7d': '7 days', '30d': '30 days' };
const PARTY_WINDOWS: readonly WindowSuffix[] = ['1h', '24h', '7d'];
const COUNTERPARTY_WINDOWS: readonly WindowSuffix[] = ['1h', '24h', '7d'];
const DEVICE_WINDOWS: readonly WindowSuffix[] = ['1h', '24h'];

export const windowMsOf = (suffix: WindowSuffix): number => (FEATURE_WINDOWS.find((window) => window.suffix === suffix) as { ms: number }).ms;

function windowed(scope: FeatureScope, prefix: string, suffixes: readonly WindowSuffix[], what: (words: string) => [count: string, sum: string]): CatalogEntry[] {
  return suffixes.flatMap((suffix) => {
    const [count, sum] = what(WINDOW_WORDS[suffix]);
    return [
      { name: `${prefix}_count_${suffix}`, type: 'number' as const, scope, description: count },
      { name: `${prefix}_sum_${suffix}`, type: 'number' as const, scope, description: sum },
    ];
  });
}

const ALL_WINDOWS = FEATURE_WINDOWS.map((window) => window.suffix);

export const FEATURE_CATALOG: readonly CatalogEntry[] = Object.freeze([
  ...windowed('account', 'account_out', ALL_WINDOWS, (w) => [`Transfers the payer sent in the last ${w}.`, `Minor units the payer sent in the last ${w}.`]),
  ...windowed('account', 'account_in', ALL_WINDOWS, (w) => [`Transfers the payer received in the last ${w}.`, `Minor units the payer received in the last ${w}.`]),
  { name: 'account_distinct_payees_24h', type: 'number', scope: 'account', description: 'Distinct accounts the payer paid in the last 24 hours (fan-out).' },
  { name: 'account_out_mean_30d', type: 'number', scope: 'account', description: 'Mean amount the payer sent per transfer over the last 30 days (0 without history).' },
  {
    name: 'seconds_since_last_out', type: 'number', scope: 'account',
    description: `Seconds since the payer last sent money; ${NO_PREVIOUS_OUT_SECONDS} (30 days) when it sent nothing in 30 days.`,
  },
  {
    name: 'pass_through_ratio_24h', type: 'number', scope: 'event',
    description: 'Rapid in-and-out: what the payer sent in the last 24 hours plus this amount, over what it received in the last 24 hours; 0 when it received nothing.',
  },
  {
    name: 'account_history_truncated', type: 'boolean', scope: 'account',
    description: 'True when the payer has more events in 30 days than are held per account: its 7- and 30-day figures then undercount.',
  },
  {
    name: 'amount_zscore', type: 'number', scope: 'event',
    description: `This amount against the payer's own outgoing amounts over 30 days: (amount − mean) / sample standard deviation (at least 1 minor unit); 0 with fewer than ${HISTORY_MIN_COUNT} past amounts.`,
  },
  { name: 'pair_first_seen', type: 'boolean', scope: 'event', description: 'True when the payer never paid this payee before (within the remembered pair history).' },
  {
    name: 'new_beneficiary_large', type: 'boolean', scope: 'event',
    description: `A first payment to this payee of at least ${NEW_BENEFICIARY_LARGE_FACTOR} times the payer's 30-day mean outgoing amount (needs ${HISTORY_MIN_COUNT} past amounts).`,
  },
  ...windowed('party', 'party_out', PARTY_WINDOWS, (w) => [`Transfers the payer's party sent in this currency in the last ${w}, from any of its accounts.`, `Minor units the payer's party sent in this currency in the last ${w}.`]),
  ...windowed('counterparty', 'counterparty_in', COUNTERPARTY_WINDOWS, (w) => [`Transfers the payee received in the last ${w}.`, `Minor units the payee received in the last ${w}.`]),
  { name: 'counterparty_distinct_payers_24h', type: 'number', scope: 'counterparty', description: 'Distinct accounts that paid the payee in the last 24 hours (fan-in).' },
  ...DEVICE_WINDOWS.map((suffix): CatalogEntry => ({
    name: `device_out_count_${suffix}`, type: 'number', scope: 'device', description: `Transfers ordered from this device in the last ${WINDOW_WORDS[suffix]} (0 without a device).`,
  })),
  { name: 'device_distinct_accounts_24h', type: 'number', scope: 'device', description: 'Distinct payer accounts that used this device in the last 24 hours.' },
]);

export const BUILT_IN_NAMES: ReadonlySet<string> = new Set(FEATURE_CATALOG.map((entry) => entry.name));
export const PARTY_WINDOW_SUFFIXES = PARTY_WINDOWS;
export const COUNTERPARTY_WINDOW_SUFFIXES = COUNTERPARTY_WINDOWS;
export const DEVICE_WINDOW_SUFFIXES = DEVICE_WINDOWS;

/** An external score's name: snake_case, and neither it nor its counterparty_ twin may shadow a built-in feature. */
export const SCORE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,47}$/;

export function scoreNameProblem(name: string): string | undefined {
  if (!SCORE_NAME_PATTERN.test(name)) return 'a score name is snake_case: a lower-case letter, then letters, digits or _ (at most 48)';
  if (name.startsWith('counterparty_')) return 'counterparty_ is added by the platform for the payee\'s score';
  if (BUILT_IN_NAMES.has(name) || BUILT_IN_NAMES.has(`counterparty_${name}`)) return `${name} is a built-in feature`;
  return undefined;
}

export function scoreDescriptions(name: string, description: string): CatalogEntry[] {
  return [
    { name, type: 'number', scope: 'score', description: `${description} (the payer's; 0 when never scored).` },
    { name: `counterparty_${name}`, type: 'number', scope: 'score', description: `${description} (the payee's; 0 when never scored).` },
  ];
}
