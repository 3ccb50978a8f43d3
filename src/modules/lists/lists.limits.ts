import { LIMITS } from '../../kernel/index.ts';

/** Limits of the block and allow lists, each with the reason for its value. */
export const LISTS_LIMITS = Object.freeze({
  /** Entries held over both lists and every kind: each costs a few hundred bytes in every process's memory. */
  entriesMax: 500_000,
  /** Longest listed value: ids, codes and CIDR text are all far shorter. */
  valueMaxLength: 128,
  reasonMaxLength: LIMITS.textMaxLength,
  actorMaxLength: LIMITS.textMaxLength,
  /** How often a process asks whether another process changed the lists. Their changes apply here this much later. */
  pollIntervalMs: 1_000,
  /** Changes applied one by one on a refresh; a longer backlog is read as a whole new copy of the lists. */
  refreshChangesMax: 10_000,
  /** Rows per query when loading the lists whole. */
  loadPageRows: 5_000,
  /** Values of each kind looked at in one match: an event carries a handful. */
  subjectValuesMax: 64,
  /** A CSV import: entries and bytes. */
  importEntriesMax: 10_000,
  importMaxBytes: 2 * 1024 * 1024,
  /** Faulty lines named in one refusal: enough to fix a file, not a second copy of it. */
  importProblemsShownMax: 100,
  /** An expiry further away than this is a typo, not a plan. */
  expiryMaxMs: 100 * 365 * 24 * 3600_000,
});
