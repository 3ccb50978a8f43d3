import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListHit, ListMatch } from '../lists/index.ts';
import type { FiredRule, Outcome, RulesetResult } from '../rules/index.ts';
import { eventFromJson, eventJson, featureSetOf, toJson, variablesFromJson, variablesToJson } from './risk.json.ts';
import { combine, coverageOf, DEFAULT_SETTINGS, listSubjectOf, stricter, variablesOf } from './risk.ts';

const hit = (list: 'block' | 'allow', kind: ListHit['kind'], value: string): ListHit => ({ entryId: `${list}-${value}`, list, kind, value, matched: value, reason: `${list}ed on purpose` });
const live = (outcome: Outcome, fired: FiredRule[] = [], score = 0): RulesetResult => ({ rulesetId: 'rs', version: 3, outcome, score, fired, errors: [] });
const rule = (ruleId: string, forces?: Outcome): FiredRule => ({ ruleId, name: ruleId, score: forces ? 0 : 40, ...(forces ? { forces } : {}), reason: `${ruleId} fired` });
const NONE: ListMatch = { blocked: [], allowed: [] };

const outcomes = fc.constantFrom<Outcome>('approve', 'review', 'decline');
const firedRules = fc.array(fc.record({ id: fc.stringMatching(/^[a-z]{1,8}$/), forces: fc.option(outcomes, { nil: undefined }) }), { maxLength: 6 })
  .map((rules) => rules.map((item) => rule(item.id, item.forces)));

describe('decision precedence', () => {
  it('declines on a block-list hit whatever the rules and the allow list say', () => {
    fc.assert(fc.property(outcomes, firedRules, fc.boolean(), (outcome, fired, allowed) => {
      const lists = { blocked: [hit('block', 'account', 'acct-1')], allowed: allowed ? [hit('allow', 'party', 'p-1')] : [] };
      const combined = combine(live(outcome, fired), lists);
      expect(combined.outcome).toBe('decline');
      expect(combined.reasons[0]).toBe('block list: account acct-1: blocked on purpose');
    }));
  });

  it('approves on an allow-list hit unless a rule forces a stricter outcome, then the strictest forced one stands', () => {
    fc.assert(fc.property(outcomes, firedRules, (outcome, fired) => {
      const combined = combine(live(outcome, fired), { blocked: [], allowed: [hit('allow', 'device', 'dev-9')] });
      const strictestForced = fired.reduce<Outcome>((strictest, item) => (item.forces ? stricter(strictest, item.forces) : strictest), 'approve');
      expect(combined.outcome).toBe(strictestForced);
    }));
  });

  it('says when the allow list overrode a score-based outcome', () => {
    const combined = combine(live('review', [rule('velocity')], 40), { blocked: [], allowed: [hit('allow', 'account', 'payroll')] });
    expect(combined).toEqual({ outcome: 'approve', reasons: ['allow list: account payroll: allowed on purpose', "allow list overrides the rules' review", 'velocity: velocity fired'] });
  });

  it('takes the live outcome without list hits, and approves when no ruleset is live', () => {
    fc.assert(fc.property(outcomes, firedRules, (outcome, fired) => {
      expect(combine(live(outcome, fired), NONE).outcome).toBe(outcome);
    }));
    expect(combine(null, NONE)).toEqual({ outcome: 'approve', reasons: [] });
  });
});

describe('coverage', () => {
  const settings = { ...DEFAULT_SETTINGS, codes: [1, 2, 3], exemptCodes: [3], channels: [], exemptChannels: ['batch'] };

  it('evaluates the codes listed, never the exempt ones, and no exempt channel', () => {
    const coverage = coverageOf(settings);
    expect(coverage.covers(1, 'api')).toBe(true);
    expect(coverage.covers(3, 'api')).toBe(false);
    expect(coverage.covers(4, 'api')).toBe(false);
    expect(coverage.covers(undefined, 'api')).toBe(false);
    expect(coverage.covers(1, 'batch')).toBe(false);
  });

  it('evaluates nothing when disabled, and everything with empty lists', () => {
    expect(coverageOf({ ...settings, enabled: false }).covers(1, 'api')).toBe(false);
    fc.assert(fc.property(fc.option(fc.integer({ min: 1, max: 65_535 }), { nil: undefined }), fc.option(fc.stringMatching(/^[a-z]{1,10}$/), { nil: undefined }), (code, channel) => {
      expect(coverageOf(DEFAULT_SETTINGS).covers(code, channel)).toBe(true);
    }));
  });
});

describe('variables', () => {
  const event = {
    id: 't-1', atMs: Date.UTC(2026, 0, 1, 23, 59), amountMinor: 123_456_789_012_345_678n, currency: 'CNY', debitAccountId: 'a', creditAccountId: 'b',
    debitPartyId: 'pa', debitCountry: 'CN', ip: '10.0.0.1', code: 7, channel: 'api',
  };

  it('builds what rules see from the event: integers as bigints, absent strings as empty, the UTC hour', () => {
    const variables = variablesOf(event, { account_out_count_1h: 2 }, { blocked: [], allowed: [hit('allow', 'ip', '10.0.0.0/8')] }, { debit_score: 0, credit_score: 0.4 }, { debit_mule_score: 0.1, credit_mule_score: 0 });
    expect(variables.event).toMatchObject({ amount: 123_456_789_012_345_678n, code: 7n, hour: 23n, credit_party: '', credit_country: '', device: '', ip: '10.0.0.1' });
    expect(variables.lists).toEqual({ blocked: false, allowed: true, hits: ['allow:ip:10.0.0.0/8'] });
    expect(listSubjectOf(event)).toEqual({ accountIds: ['a', 'b'], partyIds: ['pa'], countries: ['CN'], ips: ['10.0.0.1'], devices: [] });
  });

  it('stores and restores variables and events exactly, bigints included', () => {
    const variables = variablesOf(event, { z: -1.5, new_beneficiary: true }, NONE, { debit_score: 0.25, credit_score: 0 }, { debit_mule_score: 0, credit_mule_score: 0.75 });
    const set = featureSetOf(variables.features, new Map());
    expect(set.names).toEqual(['z', 'new_beneficiary']);
    const text = variablesToJson(variables, set, event);
    expect(variablesFromJson(text, set.names, event)).toEqual(variables);
    // What rules saw of the event follows from the event stored beside it, and is not stored twice;
    // variables that do not follow from it (an event changed after it was decided) are stored whole.
    expect(JSON.parse(text)).not.toHaveProperty('event');
    const changed = { ...variables, event: { ...variables.event, ip: '10.9.9.9', hour: 3n } };
    const changedText = variablesToJson(changed, set, event);
    expect(JSON.parse(changedText).event).toMatchObject({ ip: '10.9.9.9', hour: '3', amount: '123456789012345678' });
    expect(variablesFromJson(changedText, set.names, event)).toEqual(changed);
    // No list hit and scores of zero are left out, and read back as they were.
    const quiet = variablesOf(event, { z: 0 }, NONE, { debit_score: 0, credit_score: 0 }, { debit_mule_score: 0, credit_mule_score: 0 });
    const quietText = variablesToJson(quiet, featureSetOf(quiet.features, new Map()), event);
    expect(Object.keys(JSON.parse(quietText))).toEqual(['features']);
    expect(variablesFromJson(quietText, ['z'], event)).toEqual(quiet);
    // Vectors stored whole, names and values together, still read back.
    expect(variablesFromJson(toJson(variables), undefined, event)).toEqual(variables);
    expect(eventFromJson(eventJson(event))).toEqual(event);
  });

  it('stores a vector\'s values in its set\'s order whatever order its own keys are in, and null for a name it lacks', () => {
    const set = { id: 'set-1', names: ['a', 'b', 'c'] };
    const valuesOf = (features: Record<string, number | boolean>) => JSON.parse(variablesToJson(variablesOf(event, features, NONE, { debit_score: 0, credit_score: 0 }, { debit_mule_score: 0, credit_mule_score: 0 }), set, event)).features.values;
    expect(valuesOf({ a: 1, b: true, c: 2.5 })).toEqual([1, true, 2.5]);
    expect(valuesOf({ c: 2.5, a: 1, b: false })).toEqual([1, false, 2.5]);
    expect(valuesOf({ a: 1, c: 2.5 })).toEqual([1, null, 2.5]);
    expect(valuesOf({ a: 1, b: 2, c: 3, d: 4 })).toEqual([1, 2, 3]);
    expect(valuesOf({ a: 1, b: Number.NaN, c: 3 })).toEqual([1, null, 3]);
  });
});
