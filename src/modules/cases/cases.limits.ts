/** Limits of case management, each with the reason for its value. */
export const CASES_LIMITS = Object.freeze({
  /** Titles, kinds, assignees, dedupe keys: short labels shown in a queue. */
  titleMaxLength: 200,
  kindMaxLength: 100,
  assigneeMaxLength: 100,
  dedupeKeyMaxLength: 200,
  /** A note is a paragraph or two of an investigator's findings. */
  noteMaxLength: 4000,
  /** Why a case moved: one or two sentences. */
  reasonMaxLength: 1000,
  /** Reasons one alert gives, and the length of each. */
  alertReasonsMax: 50,
  alertReasonMaxLength: 500,
  /** Transfers, accounts and parties one alert may name. */
  alertRefsMax: 500,
  /**
   * Payments an analyst links in one request (opening a case or adding links): each UETR is looked up
   * among the payments before it is linked, so a request stays a few hundred lookups at most.
   */
  linkPaymentsMax: 100,
  /** Details of an alert, as JSON text: enough for an explanation, not a data dump. */
  alertDetailsMaxBytes: 16 * 1024,
  /** A fingerprint is a hash or a few short values, not content. */
  fingerprintMaxLength: 200,
  /** The values a title is made of, as JSON text: a count, a name or two; shown in every row of the queue. */
  titleValuesMaxBytes: 1024,
  /**
   * Alerts stored per case. Alerts that repeat the latest one are not stored at all; this bounds a
   * detector whose findings keep changing: a ring that changes at every ten-minute scan reaches it in
   * a week, by when the case should have been worked (the report carries all of them). Beyond it,
   * an alert still counts and can raise the priority, but adds no alert, audit entry or link.
   */
  caseAlertsMax: 1000,
  /**
   * Links one case holds. A ring of mules spans tens of accounts; beyond this, further alerts still
   * join the case but add no links, so a noisy detector cannot grow a case without bound. An analyst
   * adding links by hand is refused (too_many_links) rather than cut short.
   */
  caseLinksMax: 2000,
  /** Alerts, notes and audit entries the detail view shows (the newest); the report shows more. */
  detailItemsMax: 200,
  /** Alerts, notes and audit entries a report carries: the whole case in any realistic investigation. */
  reportItemsMax: 5000,
  /** Raises waiting for the writer before new ones are refused: detectors must not queue without bound. */
  raiseQueueMax: 10_000,
});
