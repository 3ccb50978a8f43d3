import { SCORE_SCALE_BP, type AuditEntry, type CaseLink, type CaseNote, type CaseRecord, type CaseView, type StoredAlert } from './cases.ts';

/** Wire shapes of cases: snake_case, instants as ISO 8601, scores as numbers 0..1. */
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const score = (bp: number) => bp / SCORE_SCALE_BP;

export const renderCase = (record: CaseRecord) => ({
  id: record.id,
  title: record.title,
  status: record.status,
  priority: score(record.priorityBp),
  source: record.source,
  // The kind of the alert that opened the case and the values its title is made of, so that a
  // reader can word the title in its own language (the title itself is English).
  kind: record.kind,
  title_values: record.titleValues,
  dedupe_key: record.dedupeKey,
  assignee: record.assignee,
  alert_count: record.alertCount,
  created_at: iso(record.createdAtMs),
  updated_at: iso(record.updatedAtMs),
  closed_at: iso(record.closedAtMs),
});

export const renderAlert = (alert: StoredAlert) => ({
  id: alert.id,
  source: alert.source,
  kind: alert.kind,
  title: alert.title,
  score: score(alert.scoreBp),
  reasons: alert.reasons,
  dedupe_key: alert.dedupeKey,
  transfer_ids: alert.transferIds,
  payment_ids: alert.paymentIds,
  account_ids: alert.accountIds,
  party_ids: alert.partyIds,
  details: alert.details,
  raised_at: iso(alert.raisedAtMs),
});

export const renderNote = (note: CaseNote) => ({ id: note.id, author: note.author, text: note.text, created_at: iso(note.createdAtMs) });

export const renderAudit = (entry: AuditEntry) => ({ seq: entry.seq, actor: entry.actor, at: iso(entry.atMs), action: entry.action, detail: entry.detail });

/** Links grouped by kind, each id with the instant it was linked. */
export function renderLinks(links: readonly CaseLink[]) {
  const of = (kind: CaseLink['kind']) => links.filter((link) => link.kind === kind).map((link) => ({ id: link.refId, linked_at: iso(link.addedAtMs) }));
  return { transfers: of('transfer'), payments: of('payment'), accounts: of('account'), parties: of('party') };
}

export const renderView = (view: CaseView) => ({
  ...renderCase(view.case),
  alerts: view.alerts.map(renderAlert),
  notes: view.notes.map(renderNote),
  links: renderLinks(view.links),
  audit: view.audit.map(renderAudit),
});
