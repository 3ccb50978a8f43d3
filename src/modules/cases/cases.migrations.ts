import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Case tables. `open_dedupe_key` holds the dedupe key only while a case is not closed: its unique
 * index is what makes two alerts with one key, raised at once, join one case rather than open two,
 * and closing a case frees the key for the next one. Scores are whole basis points; instants are
 * milliseconds from the injected clock; lists and details are JSON text.
 */
const body = (int: string) => `
CREATE TABLE case_records (
  id TEXT PRIMARY KEY,
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  priority_bp ${int} NOT NULL,
  source TEXT NOT NULL,
  dedupe_key TEXT,
  open_dedupe_key TEXT,
  assignee TEXT,
  alert_count ${int} NOT NULL,
  link_count ${int} NOT NULL,
  audit_seq ${int} NOT NULL,
  created_at_ms ${int} NOT NULL,
  updated_at_ms ${int} NOT NULL,
  closed_at_ms ${int}
);
CREATE UNIQUE INDEX case_records_open_dedupe_key ON case_records (open_dedupe_key);
CREATE INDEX case_records_queue ON case_records (priority_bp DESC, created_at_ms, id);
CREATE INDEX case_records_status_queue ON case_records (status, priority_bp DESC, created_at_ms, id);
CREATE TABLE case_alerts (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  title TEXT NOT NULL,
  score_bp ${int} NOT NULL,
  reasons TEXT NOT NULL,
  dedupe_key TEXT,
  transfer_ids TEXT NOT NULL,
  account_ids TEXT NOT NULL,
  party_ids TEXT NOT NULL,
  details TEXT NOT NULL,
  raised_at_ms ${int} NOT NULL
);
CREATE INDEX case_alerts_case ON case_alerts (case_id, id);
CREATE TABLE case_notes (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL,
  author TEXT NOT NULL,
  text TEXT NOT NULL,
  created_at_ms ${int} NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);
CREATE TABLE case_links (
  case_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  ref_id TEXT NOT NULL,
  added_at_ms ${int} NOT NULL,
  PRIMARY KEY (case_id, kind, ref_id)
);
CREATE TABLE case_audit (
  case_id TEXT NOT NULL,
  seq ${int} NOT NULL,
  actor TEXT NOT NULL,
  at_ms ${int} NOT NULL,
  action TEXT NOT NULL,
  detail TEXT NOT NULL,
  PRIMARY KEY (case_id, seq)
);
`;

/**
 * What a repeated alert is compared with, and what the console words a title from: an alert's
 * fingerprint (the latest of its kind on a case is read through the new index), and the kind and
 * title values of the alert that opened a case. A dump carries them; one written before they existed
 * still imports (they are `addedColumns` in casesTables): such a case falls back to its stored title,
 * and its next alert is stored even if it repeats the last one.
 */
const repeatsAndTitles = `
ALTER TABLE case_alerts ADD COLUMN fingerprint TEXT;
ALTER TABLE case_records ADD COLUMN kind TEXT;
ALTER TABLE case_records ADD COLUMN title_values TEXT;
CREATE INDEX case_alerts_case_kind ON case_alerts (case_id, kind, id);
`;

/**
 * Payments an alert names, by UETR, as JSON text like the other references; null for alerts stored
 * before (and for alerts of a dump written before the column existed).
 */
const alertPayments = `
ALTER TABLE case_alerts ADD COLUMN payment_ids TEXT;
`;

export const casesMigrations: readonly Migration[] = [
  { id: 'cases/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } },
  { id: 'cases/002_repeats_and_titles', sql: { sqlite: repeatsAndTitles, postgres: repeatsAndTitles } },
  { id: 'cases/003_alert_payments', sql: { sqlite: alertPayments, postgres: alertPayments } },
];

export const casesTables: readonly TableSpec[] = [
  {
    name: 'case_records',
    columns: ['id', 'title', 'status', 'priority_bp', 'source', 'dedupe_key', 'open_dedupe_key', 'assignee', 'alert_count', 'link_count', 'audit_seq', 'created_at_ms', 'updated_at_ms', 'closed_at_ms', 'kind', 'title_values'],
    orderBy: 'id',
    addedColumns: ['kind', 'title_values'],
  },
  {
    name: 'case_alerts',
    columns: ['id', 'case_id', 'source', 'kind', 'title', 'score_bp', 'reasons', 'dedupe_key', 'transfer_ids', 'account_ids', 'party_ids', 'details', 'raised_at_ms', 'fingerprint', 'payment_ids'],
    orderBy: 'id',
    addedColumns: ['fingerprint', 'payment_ids'],
  },
  { name: 'case_notes', columns: ['id', 'case_id', 'author', 'text', 'created_at_ms'], orderBy: 'id' },
  { name: 'case_links', columns: ['case_id', 'kind', 'ref_id', 'added_at_ms'], orderBy: 'case_id, kind, ref_id' },
  { name: 'case_audit', columns: ['case_id', 'seq', 'actor', 'at_ms', 'action', 'detail'], orderBy: 'case_id, seq' },
];
