import type { AlertSink } from '../cases/index.ts';
import type { NameScreener, ScreeningResult } from './screening.ts';

/**
 * Screening at onboarding: a party's name is screened when it is registered, with its jurisdiction
 * as the country and a birth year when its metadata carries one (birth_date, date_of_birth or
 * birth_year). A match raises one alert for the party, whose reasons are the explanation of the best
 * match; repeated registrations of the same party join the same open case through the dedupe key,
 * and the same best match found again adds nothing to it (its fingerprint).
 */
export interface RegisteredParty {
  readonly id: string;
  readonly name: string;
  readonly jurisdiction: string;
  /** Canonical JSON of string values, or null. */
  readonly metadata: string | null;
}

/** Matches listed with the alert, beyond the best one whose explanation is the alert's reasons. */
const MATCHES_IN_ALERT_MAX = 5;

function birthYearOf(metadata: string | null): number | undefined {
  if (!metadata) return undefined;
  let values: Record<string, unknown>;
  try {
    values = JSON.parse(metadata) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  for (const key of ['birth_year', 'birth_date', 'date_of_birth']) {
    const value = values[key];
    if (typeof value === 'string' && /^\d{4}/.test(value)) return Number(value.slice(0, 4));
  }
  return undefined;
}

export async function screenRegisteredParty(screener: NameScreener, alerts: AlertSink | undefined, party: RegisteredParty): Promise<ScreeningResult> {
  const birthYear = birthYearOf(party.metadata);
  const result = screener.screen(party.name, { country: party.jurisdiction, ...(birthYear === undefined ? {} : { birthYear }) });
  const best = result.matches[0];
  if (!best || !alerts) return result;
  await alerts.raise({
    source: 'screening',
    kind: 'screening:name_match',
    title: `Party ${party.id} (${party.name}) resembles ${best.matchedName} on list ${best.listName}`,
    score: best.score,
    reasons: best.explanation,
    dedupeKey: `screening:party:${party.id}`,
    // The same best match again (a party screened twice) says nothing new to its open case.
    fingerprint: `${best.listName}\n${best.entityId}\n${best.matchedName}\n${Math.round(best.score * 10_000)}`,
    titleValues: { party_id: party.id, party_name: party.name, matched_name: best.matchedName, list: best.listName },
    partyIds: [party.id],
    details: {
      // The best match by name, for readers that word the title and reasons themselves.
      party_id: party.id, party_name: party.name, matched_name: best.matchedName, list: best.listName, score: best.score,
      query: result.query,
      threshold: result.threshold,
      matches: result.matches.slice(0, MATCHES_IN_ALERT_MAX).map((match) => ({
        entity_id: match.entityId, list: match.listName, matched_name: match.matchedName, score: match.score,
      })),
    },
  });
  return result;
}
