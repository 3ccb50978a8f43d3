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
  readonly accountIds?: readonly string[];
  readonly partyIds?: readonly string[];
  readonly details?: Readonly<Record<string, unknown>>;
}

/** What detectors need of the cases module: raising an alert, which opens or joins a case. */
export interface AlertSink {
  raise(alert: AlertInput): Promise<{ readonly caseId: string; readonly alertId: string }>;
}
