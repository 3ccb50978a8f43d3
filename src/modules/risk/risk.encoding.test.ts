import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { FeatureVector, RiskEvent } from '../features/index.ts';
import type { DecisionVariables } from '../rules/index.ts';
import { decisionBodyJson } from './risk.decisions.ts';
import { eventFromJson, featureSetOf, variablesFromJson, variablesToJson, type FeatureSetRef } from './risk.json.ts';
import { eventVariablesOf, isEventVariablesOf, type Decision } from './risk.ts';

/**
 * The decision log's rows are written by hand-built JSON rather than JSON.stringify of objects made
 * for it. These are the encoders as they were written first, object by object: every row written
 * now must be the same text, so that readers, backtests and rows written before read alike.
 */
const reference = {
  eventJson: (event: RiskEvent) => ({ ...event, amountMinor: String(event.amountMinor) }),
  body(decision: Decision): string {
    const orNothing = <T>(list: readonly T[]): readonly T[] | undefined => (list.length === 0 ? undefined : list);
    return JSON.stringify({
      reasons: orNothing(decision.reasons), fired: orNothing(decision.fired), shadow: orNothing(decision.shadow), ruleErrors: orNothing(decision.ruleErrors),
      listHits: orNothing(decision.listHits), event: reference.eventJson(decision.event),
    });
  },
  variables(variables: DecisionVariables, set: FeatureSetRef, decided: RiskEvent): string {
    const { event, features } = variables;
    const expected = eventVariablesOf(decided);
    const same = (Object.keys(expected) as (keyof typeof expected)[]).every((field) => event[field] === expected[field]);
    const values = set.names.map((name) => features[name] ?? null);
    const isZero = (first: number, second: number) => first === 0 && second === 0;
    return JSON.stringify({
      event: same ? undefined : { ...event, amount: String(event.amount), code: String(event.code), hour: String(event.hour) },
      features: { set: set.id, values },
      lists: variables.lists.blocked === false && variables.lists.allowed === false && variables.lists.hits.length === 0 ? undefined : variables.lists,
      screening: isZero(variables.screening.debit_score, variables.screening.credit_score) ? undefined : variables.screening,
      graph: isZero(variables.graph.debit_mule_score, variables.graph.credit_mule_score) ? undefined : variables.graph,
    });
  },
};

/** Text as clients send it: quotes, backslashes, control characters, lone surrogates and all. */
const text = fc.oneof(fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constantFrom('', 'a"b', 'c\\d', '\u0000\n\t', '\ud800', 'é€𝄞'));
const optionalText = fc.option(text, { nil: undefined });
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1.5e-7));

/** Events whose fields come in any order, optional ones absent or present as undefined. */
const events: fc.Arbitrary<RiskEvent> = fc
  .record({
    id: text, atMs: fc.integer({ min: 0, max: 4_102_444_800_000 }), amountMinor: fc.oneof({ arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), weight: 9 }, { arbitrary: fc.integer() as unknown as fc.Arbitrary<bigint>, weight: 1 }), currency: text,
    debitAccountId: text, creditAccountId: text, payment: fc.option(fc.boolean(), { nil: undefined }), debitPartyId: optionalText, creditPartyId: optionalText,
    deviceId: optionalText, ip: optionalText, debitCountry: optionalText, creditCountry: optionalText, channel: optionalText,
    code: fc.option(fc.integer({ min: 0, max: 2 ** 31 }), { nil: undefined }), debitName: optionalText, creditName: optionalText,
  }, { requiredKeys: ['id', 'atMs', 'amountMinor', 'currency', 'debitAccountId', 'creditAccountId'] })
  .chain((event) => fc.shuffledSubarray(Object.keys(event), { minLength: Object.keys(event).length }).map((order) => {
    const shuffled: Record<string, unknown> = {};
    for (const key of order) shuffled[key] = (event as Record<string, unknown>)[key];
    return shuffled as unknown as RiskEvent;
  }));

const featureName = fc.stringMatching(/^[a-z][a-z0-9_]{0,10}$/);
const features: fc.Arbitrary<FeatureVector> = fc.dictionary(featureName, fc.oneof(number, fc.boolean()), { maxKeys: 8 });

const hit = fc.record({ entryId: text, list: fc.constantFrom('block', 'allow'), kind: fc.constantFrom('account', 'party', 'country', 'ip', 'device'), value: text, matched: text, reason: text });
const fired = fc.record({ ruleId: text, name: text, score: number, forces: fc.option(fc.constantFrom('approve', 'review', 'decline'), { nil: undefined }), reason: text });

const decisions = fc
  .record({
    event: events, features, otherSet: fc.option(features, { nil: undefined }), changedEvent: fc.boolean(), changedField: fc.integer({ min: 0, max: 12 }),
    blocked: fc.boolean(), allowed: fc.boolean(), hits: fc.array(text, { maxLength: 3 }), scores: fc.array(fc.oneof(fc.constant(0), number), { minLength: 4, maxLength: 4 }),
    reasons: fc.array(text, { maxLength: 3 }), fired: fc.array(fired, { maxLength: 3 }), ruleErrors: fc.array(fc.record({ ruleId: text, message: text }), { maxLength: 2 }),
    listHits: fc.array(hit, { maxLength: 2 }), shadow: fc.array(fc.record({ rulesetId: text, version: fc.nat(), outcome: fc.constantFrom('approve', 'review', 'decline'), score: number, fired: fc.array(fired, { maxLength: 2 }) }), { maxLength: 2 }),
  })
  .map((drawn) => {
    const eventVariables: Record<string, unknown> = { ...eventVariablesOf(drawn.event) };
    if (drawn.changedEvent) {
      // What rules saw differs from what the event says in one field: it is then stored with the vector.
      const field = Object.keys(eventVariables)[drawn.changedField] as string;
      const was = eventVariables[field];
      eventVariables[field] = typeof was === 'bigint' ? was + 1n : typeof was === 'number' ? BigInt(was) + 1n : `${String(was)}x`;
    }
    const [debitScore, creditScore, debitMule, creditMule] = drawn.scores as [number, number, number, number];
    const variables = {
      event: eventVariables as DecisionVariables['event'], features: drawn.features, lists: { blocked: drawn.blocked, allowed: drawn.allowed, hits: drawn.hits },
      screening: { debit_score: debitScore, credit_score: creditScore }, graph: { debit_mule_score: debitMule, credit_mule_score: creditMule },
    } satisfies DecisionVariables;
    const decision = {
      id: 'd', eventId: drawn.event.id, source: 'transfer', atMs: drawn.event.atMs, outcome: 'approve', score: 0, reasons: drawn.reasons, fired: drawn.fired,
      ruleset: null, shadow: drawn.shadow, ruleErrors: drawn.ruleErrors, listHits: drawn.listHits, elapsedMs: 0, failMode: null, event: drawn.event, variables,
    } as unknown as Decision;
    // A vector stored against a set of other names (or the same names in another order) takes the slow path.
    const set = featureSetOf(drawn.otherSet ?? drawn.features, new Map());
    return { decision, variables, set };
  });

describe('decision log encoding', () => {
  it('writes every decision as the same text as the object-by-object encoding, so it reads back alike', () => {
    fc.assert(fc.property(decisions, ({ decision, variables, set }) => {
      const body = decisionBodyJson(decision);
      expect(body).toBe(reference.body(decision));
      const stored = variablesToJson(variables, set, decision.event);
      expect(stored).toBe(reference.variables(variables, set, decision.event));
      // Read back, through the readers of the log, both give the same event and the same variables.
      expect(eventFromJson(JSON.parse(body).event)).toEqual(eventFromJson(JSON.parse(reference.body(decision)).event));
      expect(variablesFromJson(stored, set.names, decision.event)).toEqual(variablesFromJson(reference.variables(variables, set, decision.event), set.names, decision.event));
    }), { numRuns: 2000 });
  });

  it('tells the variables an event gives from changed ones', () => {
    fc.assert(fc.property(events, (event) => {
      expect(isEventVariablesOf(eventVariablesOf(event), event)).toBe(true);
      expect(isEventVariablesOf({ ...eventVariablesOf(event), hour: 24n }, event)).toBe(false);
      // Field by field, whatever eventVariablesOf gives: a field it gains that isEventVariablesOf does
      // not compare would let a changed event go unstored.
      const variables = eventVariablesOf(event) as Record<string, unknown>;
      for (const [field, value] of Object.entries(variables)) {
        const changed = { ...variables, [field]: typeof value === 'bigint' ? value + 1n : `${String(value)}~` };
        expect(isEventVariablesOf(changed as ReturnType<typeof eventVariablesOf>, event), field).toBe(false);
      }
    }), { numRuns: 2000 });
  });
});
