import type { FeatureVector } from '../features/index.ts';

export const OUTCOMES = ['approve', 'review', 'decline'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/**
 * The variables a CEL rule sees. Amounts are integer minor units (CEL int); scores are 0..1 doubles;
 * a string the event does not carry is ''. The risk module builds these; the rules module declares
 * them to CEL so a rule that names anything else is refused at validation.
 */
export interface DecisionVariables {
  readonly event: {
    readonly amount: bigint;
    readonly currency: string;
    readonly code: bigint;
    readonly channel: string;
    readonly debit_account: string;
    readonly credit_account: string;
    readonly debit_party: string;
    readonly credit_party: string;
    readonly debit_country: string;
    readonly credit_country: string;
    readonly device: string;
    readonly ip: string;
    /** Hour of day, UTC, 0..23. */
    readonly hour: bigint;
  };
  readonly features: FeatureVector;
  readonly lists: { readonly blocked: boolean; readonly allowed: boolean; readonly hits: readonly string[] };
  readonly screening: { readonly debit_score: number; readonly credit_score: number };
  readonly graph: { readonly debit_mule_score: number; readonly credit_mule_score: number };
}

export interface FiredRule {
  readonly ruleId: string;
  readonly name: string;
  /** Score the rule added (0 when it only forces an outcome). */
  readonly score: number;
  /** Outcome the rule forces, if it does. */
  readonly forces?: Outcome;
  readonly reason: string;
}

export interface RulesetResult {
  readonly rulesetId: string;
  readonly version: number;
  readonly outcome: Outcome;
  readonly score: number;
  readonly fired: readonly FiredRule[];
  /** Rules that failed or overran their budget while evaluating, by id. */
  readonly errors: readonly { readonly ruleId: string; readonly message: string }[];
}

/** What the decision path needs of the rules module. */
export interface RulesEngine {
  /** The live ruleset's result (null when no ruleset is live) and every shadow ruleset's. */
  evaluate(variables: DecisionVariables): { readonly live: RulesetResult | null; readonly shadow: readonly RulesetResult[] };
}

/** Past decisions a backtest replays: the variables as they were when each was decided. */
export interface DecisionHistory {
  since(fromMs: number, limit: number): AsyncIterable<{ readonly id: string; readonly atMs: number; readonly variables: DecisionVariables; readonly outcome: Outcome }>;
}
