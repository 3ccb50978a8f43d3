/**
 * One money movement as risk control sees it: a ledger transfer or a payment, before or after it is
 * booked. Every risk module (features, lists, rules, graph, screening) speaks in these events, so a
 * decision computed now and a backtest over history see the same shape.
 */
export interface RiskEvent {
  /** Transfer id or payment UETR; the key decisions and holds are filed under. */
  readonly id: string;
  /** True when the event is a payment, whose id is then its UETR; absent for a ledger transfer. */
  readonly payment?: boolean;
  /** When it happened, epoch milliseconds from the platform clock. */
  readonly atMs: number;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** Payer side: the account money leaves. */
  readonly debitAccountId: string;
  /** Payee side: the account money reaches. */
  readonly creditAccountId: string;
  readonly debitPartyId?: string;
  readonly creditPartyId?: string;
  readonly deviceId?: string;
  readonly ip?: string;
  /** ISO 3166 alpha-2 country of the payer and of the payee, where known. */
  readonly debitCountry?: string;
  readonly creditCountry?: string;
  /** Where the order came from: api, batch, iso20022, console, … */
  readonly channel?: string;
  /** The ledger transfer code, or the payment's purpose code mapped to a number. */
  readonly code?: number;
  /** Names as given on the order, for watch-list screening of payments. */
  readonly debitName?: string;
  readonly creditName?: string;
}

/** Feature values by snake_case name, e.g. account_out_count_1h. Only numbers and booleans. */
export type FeatureVector = Readonly<Record<string, number | boolean>>;

export interface FeatureDescription {
  readonly name: string;
  readonly description: string;
  readonly type: 'number' | 'boolean';
}

/**
 * What the decision path needs of the features module. compute() answers from memory, before the
 * event is booked, and does not change state; record() adds a booked event to every window.
 */
export interface FeatureSource {
  compute(event: RiskEvent): FeatureVector;
  record(event: RiskEvent): Promise<void>;
  describe(): readonly FeatureDescription[];
}
