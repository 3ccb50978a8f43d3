/** Mule-ring detection: what other modules read of it. */
export interface MuleScores {
  /** 0..1 score of an account from the latest scan; 0 for accounts never scored. */
  scoreOf(accountId: string): number;
}

/**
 * One booked money movement as the graph keeps it: who paid whom, how much, when, and from which
 * device. Scoring is a pure function over a list of these, so it runs the same on live data and on
 * a labelled sample offline.
 */
export interface GraphEdge {
  /** The payer: the account money leaves. */
  readonly source: string;
  /** The payee: the account money reaches. */
  readonly target: string;
  readonly amountMinor: bigint;
  readonly atMs: number;
  /** Amounts are compared only within one currency; absent means all edges share one. */
  readonly currency?: string;
  readonly deviceId?: string;
}

export const SIGNAL_NAMES = ['fan_in', 'fan_out', 'split_transfers', 'cycles', 'pass_through', 'shared_devices', 'flagged_counterparties'] as const;
export type SignalName = (typeof SIGNAL_NAMES)[number];

/** One signal of one account: what was measured, how strong it is (0..1) and what it added to the score. */
export interface SignalReading {
  readonly signal: SignalName;
  /** The measurements behind the strength, e.g. { distinct: 14, count: 19 }. */
  readonly values: Readonly<Record<string, number>>;
  readonly strength: number;
  /** How much the score rose because of this signal (the parts add up to the score). */
  readonly contribution: number;
}

export interface AccountScore {
  readonly accountId: string;
  /** 0..1, higher is more like a mule. */
  readonly score: number;
  /** The signals that fired, strongest contribution first. */
  readonly signals: readonly SignalReading[];
}

/** Accounts above the alert threshold that are connected by money moving among them. */
export interface Ring {
  /** Stable for the same members: a hash of the sorted account ids. */
  readonly key: string;
  readonly accountIds: readonly string[];
  readonly score: number;
  /** Money movements among the members, at most GRAPH_LIMITS.ringEdgesMax. */
  readonly edgeCount: number;
}

export interface ScoringResult {
  /** Every account of the graph, in the order accounts first appeared in the edges. */
  readonly scores: readonly AccountScore[];
  readonly rings: readonly Ring[];
  readonly stats: {
    readonly accounts: number;
    readonly edges: number;
    readonly cycles: number;
    /** True when the cycle search stopped at its step budget: cycle counts are then lower bounds. */
    readonly cycleSearchTruncated: boolean;
    readonly cycleSearchSteps: number;
  };
}
