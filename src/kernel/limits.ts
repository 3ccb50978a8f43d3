/**
 * Every limit of the platform, named once. Changing one is a decision: each says why it has its value.
 */
export const LIMITS = Object.freeze({
  /** Transfers or accounts in one request and in one engine batch (TigerBeetle's batch size). */
  batchMaxItems: 8190,
  /** Items waiting for the ledger engine before new requests are turned away with 503. */
  engineQueueMaxItems: 8190 * 16,
  /** Pending transfers expired per engine pass; the rest go in the next pass. */
  expiryMaxPerPass: 8190,
  /** Largest request body the HTTP server reads: a full batch of plain transfers fits several times over. */
  httpBodyMaxBytes: 8 * 1024 * 1024,
  /** A request whose body has not arrived in this time is cut off (Node answers 408). */
  httpRequestTimeoutMs: 30_000,
  /** Page size cap for every list endpoint. */
  pageMaxItems: 100,
  pageDefaultItems: 20,
  /** Instants one balance-series request may ask for (a chart needs a few dozen). */
  balanceSeriesMaxPoints: 200,
  balanceSeriesDefaultPoints: 24,
  /** Metadata attached to accounts and transfers. */
  metadataMaxKeys: 16,
  metadataKeyMaxLength: 64,
  metadataValueMaxLength: 256,
  /** Names, descriptions and other free text. */
  textMaxLength: 200,
  /** Largest ledger number (TigerBeetle's u32 ledger field). */
  ledgerMaxId: 2 ** 32 - 1,
  /** Largest account or transfer code (u16). */
  codeMax: 65_535,
  /** Largest pending timeout: about 136 years would overflow nothing, but ten years is already absurd. */
  timeoutMaxSeconds: 10 * 365 * 24 * 3600,
  /**
   * API requests per key (or per address when unauthenticated) per rate window: 1,000 a second,
   * ample for one client of a bank or a payment firm (a batch request carries up to 8,190
   * transfers). Load tests and benchmarks set SLUICE_RATE_LIMIT higher.
   */
  rateLimitMax: 60_000,
  rateLimitWindowMs: 60_000,
  /**
   * Unknown or revoked API keys one client address may present per rate window before it is refused
   * with 429 without a lookup. Enough for a misconfigured client to notice; far too few to guess a
   * short key chosen by hand, and each refused guess costs no database read.
   */
  authFailuresMaxPerWindow: 100,
  /** Journal entries checked per verification step; verify streams the chain in pages of this size. */
  journalVerifyPageSize: 1000,
});
