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

/** Order of strength: a forced decline beats a forced review, which beats a forced approve. */
export const OUTCOME_STRENGTH: Readonly<Record<Outcome, number>> = Object.freeze({ approve: 0, review: 1, decline: 2 });

/** What a rule does when its expression is true: add points to the score, or force an outcome. */
export type RuleEffect = { readonly kind: 'score'; readonly points: number } | { readonly kind: 'force'; readonly outcome: Outcome };

/** One rule of a ruleset, as written by an analyst. */
export interface RuleDefinition {
  /** Unique within its ruleset; lower-case letters, digits, `_`, `-` and `.`. */
  readonly id: string;
  readonly name: string;
  /** A CEL expression over DecisionVariables that yields a bool. */
  readonly expression: string;
  readonly effect: RuleEffect;
  /** Readable reason given with every decision the rule fires on. */
  readonly reason: string;
}

/** Scores at which a decision turns to review and to decline, when no rule forces an outcome. */
export interface Thresholds {
  readonly reviewAt: number;
  readonly declineAt: number;
}

/**
 * A ruleset version moves draft → backtested → shadow → live → retired (shadow is optional). It is
 * edited only as a draft; past that it never changes, so a decision's rulesetId and version name
 * exactly the rules that made it.
 */
export const RULESET_STAGES = ['draft', 'backtested', 'shadow', 'live', 'retired'] as const;
export type RulesetStage = (typeof RULESET_STAGES)[number];

/**
 * The outcome of a ruleset: the strongest outcome a rule forced, or else the thresholds applied to
 * the score. Monotone in the score when nothing is forced, and a forced decline always wins.
 */
export function decideOutcome(score: number, forced: readonly Outcome[], thresholds: Thresholds): Outcome {
  if (forced.length > 0) {
    let strongest: Outcome = 'approve';
    for (const outcome of forced) if (OUTCOME_STRENGTH[outcome] > OUTCOME_STRENGTH[strongest]) strongest = outcome;
    return strongest;
  }
  if (score >= thresholds.declineAt) return 'decline';
  if (score >= thresholds.reviewAt) return 'review';
  return 'approve';
}
