/**
 * Small stand-ins for the risk contracts, for tests of the decision path: a rules engine whose
 * answer a test scripts, feature and list sources it controls, and an alert sink that remembers.
 */
import type { AlertInput, AlertSink } from '../cases/index.ts';
import type { FeatureSource, FeatureVector, RiskEvent } from '../features/index.ts';
import type { ListChecker, ListHit, ListMatch, ListSubject } from '../lists/index.ts';
import type { DecisionVariables, FiredRule, Outcome, RulesEngine, RulesetResult } from '../rules/index.ts';

export type Script = (variables: DecisionVariables) => Outcome | 'throw';

export interface ScriptedRules extends RulesEngine {
  script: Script;
  /** Every set of variables evaluated, in order. */
  readonly seen: DecisionVariables[];
}

/** A live ruleset "test" version 1 whose outcome the script picks; 'throw' makes evaluation fail. */
export function scriptedRules(script: Script = () => 'approve'): ScriptedRules {
  const engine: ScriptedRules = {
    script,
    seen: [],
    evaluate(variables) {
      engine.seen.push(variables);
      const outcome = engine.script(variables);
      if (outcome === 'throw') throw new Error('the rules engine broke');
      const fired: FiredRule[] = outcome === 'approve' ? [] : [{ ruleId: `force_${outcome}`, name: `Force ${outcome}`, score: 0, forces: outcome, reason: `scripted ${outcome}` }];
      const live: RulesetResult = { rulesetId: 'test', version: 1, outcome, score: outcome === 'approve' ? 0 : 60, fired, errors: [] };
      const shadow: RulesetResult = { ...live, rulesetId: 'shadow', version: 2, outcome: 'review', fired: [] };
      return { live, shadow: [shadow] };
    },
  };
  return engine;
}

/** Declines any amount of at least `declineAt` and reviews any of at least `reviewAt` minor units. */
export const byAmount = (reviewAt: bigint, declineAt: bigint): Script => (variables) =>
  variables.event.amount >= declineAt ? 'decline' : variables.event.amount >= reviewAt ? 'review' : 'approve';

export interface RecordingFeatures extends FeatureSource {
  readonly recorded: RiskEvent[];
  values: FeatureVector;
}

export function recordingFeatures(values: FeatureVector = { account_out_count_1h: 0 }): RecordingFeatures {
  const features: RecordingFeatures = {
    recorded: [],
    values,
    compute: () => features.values,
    async record(event) {
      features.recorded.push(event);
    },
    describe: () => [],
  };
  return features;
}

export interface ScriptedLists extends ListChecker {
  blocked: Set<string>;
  allowed: Set<string>;
}

/** Lists of account ids only: enough to exercise the precedence of block and allow. */
export function accountLists(): ScriptedLists {
  const hitOf = (list: 'block' | 'allow', id: string): ListHit => ({ entryId: `${list}-${id}`, list, kind: 'account', value: id, matched: id, reason: `${list} test` });
  const lists: ScriptedLists = {
    blocked: new Set(),
    allowed: new Set(),
    match(subject: ListSubject): ListMatch {
      const ids = subject.accountIds ?? [];
      return { blocked: ids.filter((id) => lists.blocked.has(id)).map((id) => hitOf('block', id)), allowed: ids.filter((id) => lists.allowed.has(id)).map((id) => hitOf('allow', id)) };
    },
  };
  return lists;
}

export interface RecordingAlerts extends AlertSink {
  readonly raised: AlertInput[];
}

export function recordingAlerts(): RecordingAlerts {
  const alerts: RecordingAlerts = {
    raised: [],
    async raise(alert) {
      alerts.raised.push(alert);
      return { caseId: `case-${alerts.raised.length}`, alertId: `alert-${alerts.raised.length}` };
    },
  };
  return alerts;
}

export function sampleEvent(overrides: Partial<RiskEvent> = {}): RiskEvent {
  return {
    id: crypto.randomUUID(), atMs: Date.UTC(2026, 0, 1, 9), amountMinor: 10_000n, currency: 'CNY', debitAccountId: 'acct-payer', creditAccountId: 'acct-payee',
    debitPartyId: 'party-payer', debitCountry: 'CN', channel: 'api', code: 1, ...overrides,
  };
}
