import type { FeatureVector, RiskEvent } from '../features/index.ts';
import type { ListHit, ListMatch, ListSubject } from '../lists/index.ts';
import type { DecisionVariables, FiredRule, Outcome, RulesetResult } from '../rules/index.ts';
import { RISK_LIMITS } from './risk.limits.ts';

/**
 * The decision path's types and its pure rules: which events are evaluated, how the variables a
 * rule sees are built from an event, and how list hits and the live ruleset's result combine into
 * one outcome (the precedence is documented in README.md and tested in risk.test.ts).
 */
export const FAIL_MODES = ['open', 'closed'] as const;
export type FailMode = (typeof FAIL_MODES)[number];

/** Where a decision was asked for: the transfer gate, the payment gate, or the stand-alone API. */
export const DECISION_SOURCES = ['transfer', 'payment', 'api'] as const;
export type DecisionSource = (typeof DECISION_SOURCES)[number];

export interface RiskSettings {
  /** Off: nothing is evaluated; holds already open stay guarded until someone resolves them. */
  readonly enabled: boolean;
  /** What an evaluation that throws or overruns its budget concludes: open approves, closed declines. */
  readonly failMode: FailMode;
  readonly budgetMs: number;
  /** Ledger codes evaluated; empty means every code. */
  readonly codes: readonly number[];
  /** Codes never evaluated (internal sweeps, say), whatever `codes` says. */
  readonly exemptCodes: readonly number[];
  /** Channels evaluated (api, batch, payments, iso20022 …); empty means every channel. */
  readonly channels: readonly string[];
  readonly exemptChannels: readonly string[];
  readonly updatedAt: string | null;
  readonly updatedBy: string | null;
}

/**
 * A new installation evaluates everything and fails closed. With no live ruleset every decision
 * approves, so this costs a little time and changes no outcome until someone promotes rules; and
 * every decision is logged from the first day, so the first backtest has history to replay.
 */
export const DEFAULT_SETTINGS: RiskSettings = Object.freeze({
  enabled: true,
  failMode: 'closed',
  budgetMs: RISK_LIMITS.decisionBudgetDefaultMs,
  codes: [],
  exemptCodes: [],
  channels: [],
  exemptChannels: [],
  updatedAt: null,
  updatedBy: null,
});

export interface ShadowResult {
  readonly rulesetId: string;
  readonly version: number;
  readonly outcome: Outcome;
  readonly score: number;
  readonly fired: readonly FiredRule[];
}

export interface Decision {
  readonly id: string;
  readonly eventId: string;
  readonly source: DecisionSource;
  /** When it was decided, epoch milliseconds from the platform clock. */
  readonly atMs: number;
  readonly outcome: Outcome;
  readonly score: number;
  /** Why, in words, most important first: list hits, rules that fired, a failure. */
  readonly reasons: readonly string[];
  readonly fired: readonly FiredRule[];
  /** The live ruleset that decided, or null when none was live (or evaluation failed before it ran). */
  readonly ruleset: { readonly id: string; readonly version: number } | null;
  readonly shadow: readonly ShadowResult[];
  readonly ruleErrors: readonly { readonly ruleId: string; readonly message: string }[];
  readonly listHits: readonly ListHit[];
  /**
   * Time the evaluation took, fractional milliseconds: wall time when within the budget, CPU time
   * when the wall time overran it and the evaluation was measured again (see risk.evaluate.ts).
   */
  readonly elapsedMs: number;
  /** The fail mode that decided, when evaluation threw or overran its budget; null otherwise. */
  readonly failMode: FailMode | null;
  readonly event: RiskEvent;
  /** What the rules saw, kept so that a backtest replays exactly this; null if evaluation failed first. */
  readonly variables: DecisionVariables | null;
}

const RANK: Readonly<Record<Outcome, number>> = { approve: 0, review: 1, decline: 2 };

export const stricter = (left: Outcome, right: Outcome): Outcome => (RANK[right] > RANK[left] ? right : left);

/** A compiled form of the settings: one set lookup per dimension on the hot path. */
export interface Coverage {
  covers(code: number | undefined, channel: string | undefined): boolean;
}

export function coverageOf(settings: RiskSettings): Coverage {
  const codes = new Set(settings.codes);
  const exemptCodes = new Set(settings.exemptCodes);
  const channels = new Set(settings.channels);
  const exemptChannels = new Set(settings.exemptChannels);
  return {
    covers(code, channel) {
      if (!settings.enabled) return false;
      if (codes.size > 0 && (code === undefined || !codes.has(code))) return false;
      if (code !== undefined && exemptCodes.has(code)) return false;
      if (channels.size > 0 && (channel === undefined || !channels.has(channel))) return false;
      return channel === undefined || !exemptChannels.has(channel);
    },
  };
}

/** Every value of every kind the event carries, for one list lookup. */
const NONE: readonly string[] = [];

function present(first: string | undefined, second?: string): readonly string[] {
  const hasFirst = first !== undefined && first !== '';
  const hasSecond = second !== undefined && second !== '';
  if (hasFirst && hasSecond) return [first, second];
  if (hasFirst) return [first];
  return hasSecond ? [second] : NONE;
}

export function listSubjectOf(event: RiskEvent): ListSubject {
  return {
    accountIds: [event.debitAccountId, event.creditAccountId],
    partyIds: present(event.debitPartyId, event.creditPartyId),
    countries: present(event.debitCountry, event.creditCountry),
    ips: present(event.ip),
    devices: present(event.deviceId),
  };
}

export const hitLabel = (hit: ListHit): string => `${hit.list}:${hit.kind}:${hit.matched}`;

const MS_PER_HOUR = 3_600_000;

/**
 * What rules see of the event. The decision log relies on this being a function of the event alone
 * (it stores these variables only when they differ from it; see risk.json.ts): a change here must
 * keep what it gives for events already logged, or those decisions would replay differently.
 */
export function eventVariablesOf(event: RiskEvent): DecisionVariables['event'] {
  return {
    amount: event.amountMinor,
    currency: event.currency,
    code: BigInt(event.code ?? 0),
    channel: event.channel ?? '',
    debit_account: event.debitAccountId,
    credit_account: event.creditAccountId,
    debit_party: event.debitPartyId ?? '',
    credit_party: event.creditPartyId ?? '',
    debit_country: event.debitCountry ?? '',
    credit_country: event.creditCountry ?? '',
    device: event.deviceId ?? '',
    ip: event.ip ?? '',
    hour: BigInt(Math.floor(event.atMs / MS_PER_HOUR) % 24),
  };
}

/**
 * Whether these are the variables eventVariablesOf gives for the event, field by field, without
 * building them (the decision log asks this of every decision). Kept beside eventVariablesOf: the
 * two must read the event alike.
 */
export function isEventVariablesOf(variables: DecisionVariables['event'], event: RiskEvent): boolean {
  return variables.amount === event.amountMinor &&
    variables.currency === event.currency &&
    variables.code === BigInt(event.code ?? 0) &&
    variables.channel === (event.channel ?? '') &&
    variables.debit_account === event.debitAccountId &&
    variables.credit_account === event.creditAccountId &&
    variables.debit_party === (event.debitPartyId ?? '') &&
    variables.credit_party === (event.creditPartyId ?? '') &&
    variables.debit_country === (event.debitCountry ?? '') &&
    variables.credit_country === (event.creditCountry ?? '') &&
    variables.device === (event.deviceId ?? '') &&
    variables.ip === (event.ip ?? '') &&
    variables.hour === BigInt(Math.floor(event.atMs / MS_PER_HOUR) % 24);
}

/** The hits of a decision without any (most): one list shared, never changed. */
const NO_HITS: readonly string[] = Object.freeze([]);

export function variablesOf(
  event: RiskEvent,
  features: FeatureVector,
  lists: ListMatch,
  screening: DecisionVariables['screening'],
  graph: DecisionVariables['graph'],
): DecisionVariables {
  return {
    event: eventVariablesOf(event),
    features,
    lists: {
      blocked: lists.blocked.length > 0,
      allowed: lists.allowed.length > 0,
      hits: lists.blocked.length + lists.allowed.length === 0 ? NO_HITS : [...lists.blocked, ...lists.allowed].map(hitLabel),
    },
    screening,
    graph,
  };
}

const describeHit = (hit: ListHit): string => `${hit.list} list: ${hit.kind} ${hit.matched}${hit.matched !== hit.value ? ` (in ${hit.value})` : ''}${hit.reason ? `: ${hit.reason}` : ''}`;

/**
 * The outcome of a decision that evaluated without failing. Precedence, strongest first:
 *   1. a block-list hit declines, whatever the rules say;
 *   2. an allow-list hit approves, unless a live rule forces review or decline (the strictest
 *      forced outcome then stands): the allow list overrides scores, not explicit rules;
 *   3. otherwise the live ruleset's outcome; with no live ruleset, approve.
 */
export function combine(live: RulesetResult | null, lists: ListMatch): { outcome: Outcome; reasons: string[] } {
  const ruleReasons = (live?.fired ?? []).map((rule) => `${rule.name}: ${rule.reason}`);
  if (lists.blocked.length > 0) {
    return { outcome: 'decline', reasons: [...lists.blocked.map(describeHit), ...ruleReasons] };
  }
  if (lists.allowed.length > 0) {
    let forced: Outcome = 'approve';
    for (const rule of live?.fired ?? []) if (rule.forces) forced = stricter(forced, rule.forces);
    const overridden = live && live.outcome !== forced && forced === 'approve' ? [`allow list overrides the rules' ${live.outcome}`] : [];
    return { outcome: forced, reasons: [...lists.allowed.map(describeHit), ...overridden, ...ruleReasons] };
  }
  return { outcome: live?.outcome ?? 'approve', reasons: ruleReasons };
}

/** What a failed evaluation concludes under the configured fail mode. */
export function failedOutcome(mode: FailMode): Outcome {
  return mode === 'closed' ? 'decline' : 'approve';
}

export function capReasons(reasons: readonly string[]): string[] {
  if (reasons.length <= RISK_LIMITS.reasonsMax) return [...reasons];
  return [...reasons.slice(0, RISK_LIMITS.reasonsMax - 1), `and ${reasons.length - RISK_LIMITS.reasonsMax + 1} more`];
}

export const HOLD_KINDS = ['transfer', 'payment'] as const;
export type HoldKind = (typeof HOLD_KINDS)[number];

/**
 * held: waiting for an analyst. releasing / rejecting: an analyst decided and the ledger (or the
 * payment) is being told. released / rejected: done. not_booked: the ledger refused the booking
 * the hold was written for, so there is nothing to hold. closed: resolved elsewhere (the owner
 * voided its pending transfer, the payment was cancelled or expired) before anyone reviewed it.
 */
export const HOLD_STATUSES = ['held', 'releasing', 'rejecting', 'released', 'rejected', 'not_booked', 'closed'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];
/** Holds in these states still stop anyone but the review from posting their transfers. */
export const GUARDING_STATUSES: readonly HoldStatus[] = ['held', 'releasing', 'rejecting'];

export interface HoldItem {
  readonly transferId: string;
  /**
   * post: the client asked for a plain transfer, the gate booked it pending, and a release posts it.
   * keep: the client asked for a pending transfer itself; a release lets the client post it.
   */
  readonly onRelease: 'post' | 'keep';
}

export interface Hold {
  /** The first held transfer's id, or the payment's UETR. */
  readonly id: string;
  readonly kind: HoldKind;
  readonly status: HoldStatus;
  readonly decisionIds: readonly string[];
  readonly items: readonly HoldItem[];
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly debitAccountId: string;
  readonly creditAccountId: string;
  readonly reasons: readonly string[];
  readonly createdAtMs: number;
  readonly resolvedAtMs: number | null;
  /** Who released or rejected it: an API key id, or a system actor. */
  readonly resolvedBy: string | null;
  readonly note: string | null;
  /** What the ledger or the payment answered when the hold was resolved or failed to book. */
  readonly detail: string | null;
}
