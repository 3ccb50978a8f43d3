/**
 * Every limit and default of supply-chain finance, named once, each with the reason for its value.
 */
export const SCF_LIMITS = Object.freeze({
  /** No program may allow a term longer than a year (a leap year has 366 days). */
  maxTermDaysCeiling: 366,
  /** Deepest split a program may allow: each level halves readability of the tree for little gain. */
  maxSplitDepthCeiling: 32,
  /** Parts one split may produce; a split is one operation and one journal entry. */
  splitMaxParts: 100,
  /**
   * Pieces one voucher may ever have (split parents included). Settlement books one ledger transfer
   * per live piece in one linked chain, and the tree is returned whole, so both stay bounded.
   */
  piecesPerVoucherMax: 1000,
  /** Invoices backing one voucher. */
  invoicesPerVoucherMax: 100,
  /** Funding banks plus suppliers of one program; each gets a ledger account. */
  membersPerProgramMax: 1000,
  /** Parties added in one call. */
  membersPerRequestMax: 100,
  /** 100 % a year: beyond this a discount is not financing. Rates are basis points (1/100 %). */
  annualRateMaxBps: 10_000,
  /** Operations applied in one database transaction (one durable commit). */
  batchMaxOperations: 2048,
  /** Operations waiting for the engine before new ones are turned away with 503. */
  queueMaxOperations: 65_536,
  /**
   * How often one operation may be put back because the state it was priced against changed under
   * it (another process on PostgreSQL, or an earlier operation of its batch refused by the ledger).
   */
  deferralsMax: 5,
  /**
   * On PostgreSQL another process may be between reserving funds and committing; recovery leaves
   * reservations younger than this alone. No batch takes anywhere near this long.
   */
  recoveryGraceMs: 60_000,
  /** Pages of vouchers and pieces. */
  pageMaxItems: 100,
});

/** What a program gets when its creator says nothing. */
export const SCF_DEFAULTS = Object.freeze({
  /** About six months. */
  maxTermDays: 183,
  /** One minor unit: the program sets a real floor (e.g. 100.00) for its currency. */
  minSplitAmount: 1n,
  maxSplitDepth: 8,
  /** ACT/360 is the usual convention for discounting receivables in CNY. */
  dayCountBasis: 360 as 360 | 365,
});

/** Account and transfer codes that supply-chain finance books with in the program's ledger. */
export const SCF_CODES = Object.freeze({
  coreAccount: 710,
  bankAccount: 711,
  supplierAccount: 712,
  finance: 720,
  repurchase: 721,
  settlement: 722,
});
