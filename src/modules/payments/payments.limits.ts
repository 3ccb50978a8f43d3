/** Limits of the payments module, each with the reason for its value. */
export const PAYMENT_LIMITS = Object.freeze({
  /** Payment writes (intents, outcomes, events) applied in one database transaction. */
  writerBatchMax: 1024,
  /** Writes waiting for the writer before new payments are turned away with 503. */
  writerQueueMax: 65_536,
  /** A reservation of an immediate payment is voided by the ledger itself if nothing posts it by then. */
  reservationTimeoutSeconds: 300,
  /** How long a payment held for acceptance may wait by default, and at most. */
  acceptanceDefaultSeconds: 3600,
  acceptanceMaxSeconds: 7 * 86_400,
  /** The ledger's own expiry of a held payment comes this much after the deadline, as a safety net. */
  acceptanceGraceSeconds: 60,
  /** ISO 20022 Max140Text: unstructured remittance information. */
  remittanceMaxLength: 140,
  /** ISO 20022 Max140Text: a party's name in a message; the party registry allows longer names. */
  messageNameMaxLength: 140,
  /** Another process on PostgreSQL may be mid-way through a payment; recovery leaves younger ones alone. */
  recoveryGraceMs: 60_000,
  /** Payments finished per recovery or expiry pass, and passes per call. */
  recoveryPage: 500,
  recoveryMaxPasses: 100,
  /** Directory entries kept in memory; participants' fee settings are read again after this long. */
  directoryCacheMaxEntries: 200_000,
  directoryTtlMs: 5_000,
  /** A pain.001 file of about a thousand transactions; larger ones are split by the sender. */
  xmlMaxBytes: 2 * 1024 * 1024,
  transactionsPerFileMax: 1000,
  /** Payments submitted at once from one file, so a large file does not starve other clients. */
  importConcurrency: 64,
  /**
   * How long an imported file's sender and MsgId are kept for the duplicate check, unless
   * SLUICE_IMPORTED_MESSAGE_RETENTION_DAYS says otherwise: over a year, so that a sender whose ids
   * restart every year (a day-of-year counter) is still caught, with a month to spare.
   */
  importedMessageRetentionDays: 400,
  importedMessageRetentionDaysMax: 36_500,
  /** Old imported-message rows deleted per statement, and statements per pass, so a pass stays short. */
  importedMessagePruneBatch: 500,
  importedMessagePruneBatchesPerPass: 20,
  /** The background pass prunes at most this often (by the platform's clock). */
  importedMessagePruneIntervalMs: 3_600_000,
  /** Entries one statement may list; a busier account asks for shorter periods. */
  statementMaxEntries: 10_000,
  pageMaxItems: 100,
});

export const WEBHOOK_LIMITS = Object.freeze({
  /** Attempts per delivery before it is marked failed, with exponential backoff between them. */
  maxAttempts: 8,
  /** First retry after this long, doubling up to the cap: 1 s, 2 s, 4 s … 64 s. */
  backoffBaseMs: 1_000,
  backoffMaxMs: 3_600_000,
  /** A receiver that has not answered in this long has failed this attempt. */
  requestTimeoutMs: 5_000,
  /** Deliveries attempted at once, and per dispatch pass. */
  concurrency: 8,
  deliveriesPerPass: 200,
  /** Events fanned out to each subscription per pass. */
  eventsPerPass: 1_000,
  subscriptionsMax: 100,
  /** What of a receiver's answer is read (and logged) before the rest is dropped. */
  responseMaxBytes: 1_024,
  secretMinLength: 16,
  urlMaxLength: 2_048,
  /**
   * A host name is resolved when a webhook is registered and must answer within this long. The
   * registering request waits for it, and a name slower than this would eat most of a delivery's
   * requestTimeoutMs as well.
   */
  resolveTimeoutMs: 3_000,
  /** Entries of SLUICE_WEBHOOK_ALLOWED_NETWORKS: every address a webhook reaches is compared with each. */
  allowedNetworksMax: 256,
});

/** Ledger codes the payments module books with. */
export const PAYMENT_CODES = Object.freeze({
  customerAccount: 820,
  participantSettlement: 821,
  participantFee: 822,
  customerDebit: 830,
  interbank: 831,
  fxSell: 832,
  fxBuy: 833,
  customerCredit: 834,
  fee: 835,
  fxRounding: 836,
  paymentReturn: 837,
});
