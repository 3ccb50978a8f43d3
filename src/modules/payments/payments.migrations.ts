import type { Migration, TableSpec } from '../../db/index.ts';

/**
 * Payments tables. Money is never kept here: balances are the ledger's, and every leg of a payment
 * is a ledger transfer whose id the payment's plan names. A payment row holds its order, its plan,
 * where its ledger work stands and its own events (what the tracker reads); the events table
 * numbers every status change across all payments (the polling feed and the webhooks' outbox, read
 * by number only, so it has no other index), with the last number used in `payments_head`.
 * Instants of the status machine are nanoseconds (the ledger's clock); bookkeeping instants are
 * ISO 8601 text, which sorts as it compares.
 */
const body = (int: string) => `
CREATE TABLE payment_participants (
  bic TEXT PRIMARY KEY,
  party_id TEXT NOT NULL,
  name TEXT NOT NULL,
  jurisdiction TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE payment_participant_currencies (
  bic TEXT NOT NULL,
  currency TEXT NOT NULL,
  ledger ${int} NOT NULL,
  settlement_account_id TEXT NOT NULL,
  fee_account_id TEXT NOT NULL,
  fee_fixed ${int} NOT NULL,
  fee_bps ${int} NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (bic, currency)
);
CREATE TABLE payment_accounts (
  account_id TEXT PRIMARY KEY,
  identifier TEXT NOT NULL UNIQUE,
  bic TEXT NOT NULL,
  party_id TEXT NOT NULL,
  currency TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE payments (
  id TEXT PRIMARY KEY,
  uetr TEXT NOT NULL UNIQUE,
  fingerprint TEXT NOT NULL,
  order_json TEXT NOT NULL,
  status TEXT NOT NULL,
  reason_code TEXT,
  error TEXT,
  debtor_json TEXT,
  creditor_json TEXT,
  plan_json TEXT,
  ledger_state TEXT NOT NULL,
  decision_json TEXT,
  deadline_ms ${int},
  messages_json TEXT,
  received_at ${int} NOT NULL,
  reached_creditor_agent_at ${int},
  credited_at ${int},
  return_json TEXT,
  events_json TEXT NOT NULL,
  parties TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE INDEX payments_created ON payments (created_at, id);
CREATE INDEX payments_unresolved ON payments (updated_at) WHERE ledger_state IN ('reserving', 'posting', 'voiding', 'returning');
CREATE INDEX payments_deadline ON payments (deadline_ms) WHERE ledger_state = 'reserved';
CREATE TABLE payment_events (
  seq ${int} PRIMARY KEY,
  payment_id TEXT NOT NULL,
  uetr TEXT NOT NULL,
  status TEXT NOT NULL,
  reason_code TEXT,
  at ${int} NOT NULL
);
CREATE TABLE payments_head (
  id ${int} PRIMARY KEY CHECK (id = 1),
  last_event_seq ${int} NOT NULL
);
INSERT INTO payments_head (id, last_event_seq) VALUES (1, 0);
CREATE TABLE payment_webhooks (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT NOT NULL,
  active ${int} NOT NULL,
  cursor ${int} NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE payment_webhook_deliveries (
  id TEXT PRIMARY KEY,
  webhook_id TEXT NOT NULL,
  event_seq ${int} NOT NULL,
  state TEXT NOT NULL,
  attempts ${int} NOT NULL,
  next_attempt_ms ${int} NOT NULL,
  last_status ${int},
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  UNIQUE (webhook_id, event_seq)
);
CREATE INDEX payment_webhook_deliveries_due ON payment_webhook_deliveries (next_attempt_ms) WHERE state = 'pending';
CREATE TABLE payment_webhook_attempts (
  delivery_id TEXT NOT NULL,
  attempt ${int} NOT NULL,
  at_ms ${int} NOT NULL,
  status_code ${int},
  error TEXT,
  duration_ms ${int} NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
`;

/**
 * Every imported ISO 20022 message under its sender and MsgId, with the SHA-256 of its bytes: a
 * sender's message id names one file only (payments.duplicates.ts). The key is the lookup; rows are
 * pruned by age after their retention (migration 003 indexes it). The table holds text only and
 * reads the same on both dialects.
 */
const importedMessages = `
CREATE TABLE payment_imported_messages (
  message_definition TEXT NOT NULL,
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY (message_definition, sender, message_id)
);
`;

/** Rows past their retention are found by age and pruned a batch at a time (payments.duplicates.ts). */
const importedMessagesByAge = `
CREATE INDEX payment_imported_messages_imported_at ON payment_imported_messages (imported_at);
`;

/**
 * A pain.001's message ids are counted per importing caller as well as per sender (importerOf in
 * payments.duplicates.ts), so the key takes the importer. Neither dialect changes a primary key in
 * place the same way, so the table is rebuilt; its rows keep their ids under the empty importer,
 * the namespace of admin and operator keys, where they go on refusing other files as before.
 */
const importedMessagesByImporter = `
CREATE TABLE payment_imported_messages_v2 (
  message_definition TEXT NOT NULL,
  importer TEXT NOT NULL DEFAULT '',
  sender TEXT NOT NULL,
  message_id TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  imported_at TEXT NOT NULL,
  PRIMARY KEY (message_definition, importer, sender, message_id)
);
INSERT INTO payment_imported_messages_v2 (message_definition, importer, sender, message_id, fingerprint, imported_at)
  SELECT message_definition, '', sender, message_id, fingerprint, imported_at FROM payment_imported_messages;
DROP TABLE payment_imported_messages;
ALTER TABLE payment_imported_messages_v2 RENAME TO payment_imported_messages;
CREATE INDEX payment_imported_messages_imported_at ON payment_imported_messages (imported_at);
`;

/**
 * Which API key did what (docs/security.md): the key that submitted a payment, and the key whose
 * request caused each status change (the submitter's for a submission's steps; the accepting,
 * rejecting, cancelling or returning key's for theirs). Written in the statements that write the
 * rows anyway. NULL means made inside the process, or recorded before this column; a dump of an
 * earlier version imports so (`addedColumns`).
 */
const actorKeys = `
ALTER TABLE payments ADD COLUMN submitted_by TEXT;
ALTER TABLE payment_events ADD COLUMN key_id TEXT;
`;

/**
 * Webhook signing secrets are kept sealed (payments.webhook-secrets.ts) in `sealed_secret`; `secret`
 * keeps a plain-text secret written before, until the dispatcher seals it and clears it, so it may
 * now be NULL and exactly one of the two is set. Neither dialect drops NOT NULL the same way, so the
 * table is rebuilt, its rows unchanged. The new column comes last: a dump of an earlier version,
 * which lacks it, still imports, its secrets in plain text until sealed like any other.
 */
const sealedWebhookSecrets = (int: string) => `
CREATE TABLE payment_webhooks_v2 (
  id TEXT PRIMARY KEY,
  url TEXT NOT NULL,
  secret TEXT,
  active ${int} NOT NULL,
  cursor ${int} NOT NULL,
  created_at TEXT NOT NULL,
  sealed_secret TEXT,
  CHECK ((secret IS NULL) <> (sealed_secret IS NULL))
);
INSERT INTO payment_webhooks_v2 (id, url, secret, active, cursor, created_at, sealed_secret)
  SELECT id, url, secret, active, cursor, created_at, NULL FROM payment_webhooks;
DROP TABLE payment_webhooks;
ALTER TABLE payment_webhooks_v2 RENAME TO payment_webhooks;
`;

export const paymentsMigrations: readonly Migration[] = [
  { id: 'payments/001_init', sql: { sqlite: body('INTEGER'), postgres: body('BIGINT') } },
  { id: 'payments/002_imported_messages', sql: { sqlite: importedMessages, postgres: importedMessages } },
  { id: 'payments/003_imported_messages_by_age', sql: { sqlite: importedMessagesByAge, postgres: importedMessagesByAge } },
  { id: 'payments/004_imported_messages_by_importer', sql: { sqlite: importedMessagesByImporter, postgres: importedMessagesByImporter } },
  { id: 'payments/005_actor_keys', sql: { sqlite: actorKeys, postgres: actorKeys } },
  { id: 'payments/006_sealed_webhook_secrets', sql: { sqlite: sealedWebhookSecrets('INTEGER'), postgres: sealedWebhookSecrets('BIGINT') } },
];

export const paymentsTables: readonly TableSpec[] = [
  { name: 'payment_participants', columns: ['bic', 'party_id', 'name', 'jurisdiction', 'created_at'], orderBy: 'bic' },
  {
    name: 'payment_participant_currencies',
    columns: ['bic', 'currency', 'ledger', 'settlement_account_id', 'fee_account_id', 'fee_fixed', 'fee_bps', 'updated_at'],
    orderBy: 'bic, currency',
  },
  { name: 'payment_accounts', columns: ['account_id', 'identifier', 'bic', 'party_id', 'currency', 'created_at'], orderBy: 'account_id' },
  {
    name: 'payments',
    columns: [
      'id', 'uetr', 'fingerprint', 'order_json', 'status', 'reason_code', 'error', 'debtor_json', 'creditor_json', 'plan_json', 'ledger_state',
      'decision_json', 'deadline_ms', 'messages_json', 'received_at', 'reached_creditor_agent_at', 'credited_at', 'return_json', 'events_json', 'parties',
      'created_at', 'updated_at', 'submitted_by',
    ],
    orderBy: 'id',
    // Dumps of versions before payments/005 lack it: their payments import as submitted by no key.
    addedColumns: ['submitted_by'],
  },
  { name: 'payment_events', columns: ['seq', 'payment_id', 'uetr', 'status', 'reason_code', 'at', 'key_id'], orderBy: 'seq', addedColumns: ['key_id'] },
  { name: 'payments_head', columns: ['id', 'last_event_seq'], orderBy: 'id', replaceOnImport: true },
  // Secrets travel sealed: the target installation needs the source's key secret to deliver.
  {
    name: 'payment_webhooks', columns: ['id', 'url', 'secret', 'active', 'cursor', 'created_at', 'sealed_secret'], orderBy: 'id', addedColumns: ['sealed_secret'],
  },
  {
    name: 'payment_webhook_deliveries',
    columns: ['id', 'webhook_id', 'event_seq', 'state', 'attempts', 'next_attempt_ms', 'last_status', 'last_error', 'created_at', 'updated_at'],
    orderBy: 'id',
  },
  { name: 'payment_webhook_attempts', columns: ['delivery_id', 'attempt', 'at_ms', 'status_code', 'error', 'duration_ms'], orderBy: 'delivery_id, attempt' },
  {
    name: 'payment_imported_messages',
    columns: ['message_definition', 'importer', 'sender', 'message_id', 'fingerprint', 'imported_at'],
    orderBy: 'message_definition, importer, sender, message_id',
  },
];
