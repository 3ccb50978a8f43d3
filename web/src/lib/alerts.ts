import { enUS, type MessageKey } from '../i18n/en-US.ts';

/**
 * Case titles and alert reasons in the reader's language. The server writes them as English
 * sentences (for API users); for the kinds of alert it knows, the console words them itself from
 * the alert's structured details (and a case's title values), and falls back to the server's text
 * for any other kind, or for an alert stored before its details carried what is needed.
 */
type Values = Readonly<Record<string, unknown>>;
/** The console's `t` (app/i18n.tsx), named here so that this file needs no JSX to load (the tests load it). */
type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;
const isMessageKey = (key: string): key is MessageKey => Object.hasOwn(enUS, key);

export interface TitledCase {
  readonly title: string;
  readonly kind?: string | null;
  readonly title_values?: Values | null;
}

export interface WordedAlert {
  readonly kind: string;
  readonly title: string;
  readonly reasons: readonly string[];
  readonly details?: Values;
}

export interface AlertWords {
  /** The reasons, in the reader's language when the kind is known. */
  readonly reasons: readonly string[];
  /** Steps the server explained in English that the console cannot word (a name match's alignment); shown apart. */
  readonly explanation: readonly string[];
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
const count = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : undefined);
const fraction = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const records = (value: unknown): Values[] => (Array.isArray(value) ? value.filter((item): item is Values => typeof item === 'object' && item !== null) : []);

/** A score as the server's text gives it: at most four decimals, no trailing zeros. */
const score = (value: number) => String(Math.round(value * 10_000) / 10_000);

function titleOf(t: Translate, kind: string | null | undefined, values: Values | null | undefined, fallback: string): string {
  if (!values) return fallback;
  if (kind === 'graph:mule_ring') {
    const members = count(values.members);
    const account = text(values.account);
    if (members !== undefined && members > 1) return t('alerts.muleRing.title', { members });
    if (members === 1 && account) return t('alerts.muleAccount.title', { account });
    return fallback;
  }
  if (kind === 'screening:name_match') {
    const [party, name, matched, list] = [text(values.party_id), text(values.party_name), text(values.matched_name), text(values.list)];
    if (party && name && matched && list) return t('alerts.nameMatch.title', { party_id: party, party_name: name, matched_name: matched, list });
  }
  return fallback;
}

/** A case's title: worded from the kind and title values of the alert that opened it, or the stored title. */
export function caseTitle(t: Translate, item: TitledCase): string {
  return titleOf(t, item.kind, item.title_values, item.title);
}

/** An alert's title: worded from its details for the kinds the console knows, or the server's title. */
export function alertTitle(t: Translate, alert: WordedAlert): string {
  return titleOf(t, alert.kind, alert.details, alert.title);
}

/** A signal's or measurement's name in the reader's language; a name this console does not know is shown as it is. */
function named(t: Translate, prefix: 'alerts.signal' | 'alerts.value', name: string): string {
  const key = `${prefix}.${name}`;
  return isMessageKey(key) ? t(key) : name;
}

function memberLine(t: Translate, member: Values): string | undefined {
  const account = text(member.account_id);
  const memberScore = fraction(member.score);
  if (!account || memberScore === undefined) return undefined;
  const signals = records(member.signals).map((reading) => {
    const values = typeof reading.values === 'object' && reading.values !== null ? Object.entries(reading.values as Values) : [];
    return t('alerts.signalReading', {
      signal: named(t, 'alerts.signal', String(reading.signal)),
      strength: score(fraction(reading.strength) ?? 0),
      values: values.map(([name, value]) => t('alerts.valueReading', { name: named(t, 'alerts.value', name), value: String(value) })).join(t('alerts.valueSeparator')),
    });
  });
  return t('alerts.muleRing.member', { account, score: score(memberScore), signals: signals.join(t('alerts.signalSeparator')) });
}

function ringWords(t: Translate, details: Values): AlertWords | undefined {
  const members = count(details.members);
  const edges = count(details.edge_count);
  const threshold = fraction(details.threshold);
  if (members === undefined || edges === undefined || threshold === undefined) return undefined;
  const lines = records(details.member_signals).map((member) => memberLine(t, member));
  if (lines.some((line) => line === undefined)) return undefined;
  return { reasons: [t('alerts.muleRing.summary', { members, threshold: score(threshold), edges }), ...(lines as string[])], explanation: [] };
}

function nameMatchWords(t: Translate, details: Values, serverReasons: readonly string[]): AlertWords | undefined {
  const matched = text(details.matched_name);
  const list = text(details.list);
  const matchScore = fraction(details.score);
  if (!matched || !list || matchScore === undefined) return undefined;
  // The best match is the first of the matches listed; the others are named after it.
  const others = records(details.matches).slice(1).flatMap((match) => {
    const [name, on, value] = [text(match.matched_name), text(match.list), fraction(match.score)];
    return name && on && value !== undefined ? [t('alerts.nameMatch.other', { matched_name: name, list: on, score: value.toFixed(2) })] : [];
  });
  return { reasons: [t('alerts.nameMatch.summary', { matched_name: matched, list, score: matchScore.toFixed(2) }), ...others], explanation: serverReasons };
}

/** An alert's reasons in the reader's language for the kinds the console knows; the server's reasons otherwise. */
export function alertWords(t: Translate, alert: WordedAlert): AlertWords {
  const details = alert.details ?? {};
  const worded = alert.kind === 'graph:mule_ring' ? ringWords(t, details) : alert.kind === 'screening:name_match' ? nameMatchWords(t, details, alert.reasons) : undefined;
  return worded ?? { reasons: alert.reasons, explanation: [] };
}
