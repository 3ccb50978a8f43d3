/** Cases: where alerts from decisions, screening and graph detection go for an analyst. */
export const CASE_STATUSES = ['open', 'investigating', 'escalated', 'closed_confirmed', 'closed_false_positive'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const ALERT_SOURCES = ['decision', 'screening', 'graph', 'manual'] as const;
export type AlertSource = (typeof ALERT_SOURCES)[number];

/** An alert raised by a detector. Alerts with the same dedupeKey while a case is open join that case. */
export interface AlertInput {
  readonly source: AlertSource;
  /** What fired, e.g. rule:large_new_beneficiary, screening:name_match, graph:mule_ring. */
  readonly kind: string;
  readonly title: string;
  /** 0..1, higher is worse. */
  readonly score: number;
  readonly reasons: readonly string[];
  readonly dedupeKey?: string;
  readonly transferIds?: readonly string[];
  /** Payments, by UETR (a payment is not a ledger transfer: its legs are). */
  readonly paymentIds?: readonly string[];
  readonly accountIds?: readonly string[];
  readonly partyIds?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
  /**
   * What the alert says, reduced to a short text by its detector (a hash of the members, counts and
   * score it reports, not of when it was seen). An alert whose fingerprint equals that of the latest
   * alert of its kind on the open case it joins says nothing new: it is not stored (see raise).
   * Without one, every alert is stored.
   */
  readonly fingerprint?: string;
  /**
   * The values the title is made of, by name (e.g. { members: 5 }), so that a reader can word the
   * title in its own language; the console does for the kinds it knows. Kept with the case the
   * alert opens; by convention the same names appear in `details`.
   */
  readonly titleValues?: Readonly<Record<string, string | number>>;
}

/**
 * What became of a raised alert: it opened a case, was added to the open case, said nothing new
 * (the latest alert of its kind on the case has its fingerprint; nothing was written), or found
 * the case holding CASES_LIMITS.caseAlertsMax alerts (counted and weighed into the priority, not stored).
 */
export const RAISE_OUTCOMES = ['opened', 'added', 'unchanged', 'capped'] as const;
export type RaiseOutcome = (typeof RAISE_OUTCOMES)[number];

export interface RaisedAlert {
  readonly caseId: string;
  /** The alert stored; for an unchanged or capped alert, the case's latest alert (of the same kind when unchanged). */
  readonly alertId: string;
  readonly outcome: RaiseOutcome;
}

/** What detectors need of the cases module: raising an alert, which opens or joins a case. */
export interface AlertSink {
  raise(alert: AlertInput): Promise<{ readonly caseId: string; readonly alertId: string }>;
}

/**
 * The lifecycle as an explicit table: from each status, the statuses a case may move to. Closing as
 * confirmed needs an investigation first (open cannot jump there), while an obvious false positive may
 * be closed straight from the queue. Closed cases are final: they are the record that was filed, and
 * may have fed the block list; new evidence raises a new alert, which opens a new case.
 */
export const CASE_TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = Object.freeze({
  open: ['investigating', 'escalated', 'closed_false_positive'],
  investigating: ['open', 'escalated', 'closed_confirmed', 'closed_false_positive'],
  escalated: ['investigating', 'closed_confirmed', 'closed_false_positive'],
  closed_confirmed: [],
  closed_false_positive: [],
});

export const CLOSED_STATUSES: readonly CaseStatus[] = ['closed_confirmed', 'closed_false_positive'];

export function isClosed(status: CaseStatus): boolean {
  return CLOSED_STATUSES.includes(status);
}

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return CASE_TRANSITIONS[from].includes(to);
}

export function isCaseStatus(text: string): text is CaseStatus {
  return (CASE_STATUSES as readonly string[]).includes(text);
}

export function isAlertSource(text: string): text is AlertSource {
  return (ALERT_SOURCES as readonly string[]).includes(text);
}

/** Scores are kept as whole basis points (0..10000), so that sorting and storage never meet floats. */
export const SCORE_SCALE_BP = 10_000;

export function scoreToBp(score: number): number {
  if (!Number.isFinite(score)) return 0;
  return Math.min(SCORE_SCALE_BP, Math.max(0, Math.round(score * SCORE_SCALE_BP)));
}

export const LINK_KINDS = ['transfer', 'payment', 'account', 'party'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

export interface CaseLink {
  readonly kind: LinkKind;
  readonly refId: string;
  readonly addedAtMs: number;
}

export interface CaseRecord {
  readonly id: string;
  readonly title: string;
  readonly status: CaseStatus;
  /** The highest score of the case's alerts, in basis points; manual cases state their own. */
  readonly priorityBp: number;
  /** Source of the alert that opened the case, or manual. */
  readonly source: AlertSource;
  /** Kind of the alert that opened the case (null for cases stored before kinds were kept). */
  readonly kind: string | null;
  /** The values the title is made of (AlertInput.titleValues of the opening alert), or null. */
  readonly titleValues: Readonly<Record<string, string | number>> | null;
  readonly dedupeKey: string | null;
  readonly assignee: string | null;
  readonly alertCount: number;
  readonly createdAtMs: number;
  readonly updatedAtMs: number;
  readonly closedAtMs: number | null;
}

export interface StoredAlert {
  readonly id: string;
  readonly caseId: string;
  readonly source: AlertSource;
  readonly kind: string;
  readonly title: string;
  readonly scoreBp: number;
  readonly reasons: readonly string[];
  readonly dedupeKey: string | null;
  readonly transferIds: readonly string[];
  readonly paymentIds: readonly string[];
  readonly accountIds: readonly string[];
  readonly partyIds: readonly string[];
  readonly details: Readonly<Record<string, unknown>>;
  readonly fingerprint: string | null;
  readonly raisedAtMs: number;
}

export interface CaseNote {
  readonly id: string;
  readonly caseId: string;
  readonly author: string;
  readonly text: string;
  readonly createdAtMs: number;
}

export const AUDIT_ACTIONS = ['created', 'alert_added', 'assigned', 'note_added', 'status_changed', 'block_list_fed', 'links_added'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One change to a case: who, when, what, with the particulars of the change. */
export interface AuditEntry {
  readonly caseId: string;
  /** 1, 2, 3 … within the case: the order changes happened in. */
  readonly seq: number;
  readonly actor: string;
  readonly atMs: number;
  readonly action: AuditAction;
  readonly detail: Readonly<Record<string, unknown>>;
}

/** Everything about one case, as the detail view and the report show it. */
export interface CaseView {
  readonly case: CaseRecord;
  readonly alerts: readonly StoredAlert[];
  readonly notes: readonly CaseNote[];
  readonly links: readonly CaseLink[];
  readonly audit: readonly AuditEntry[];
}
