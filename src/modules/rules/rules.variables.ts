import type { DecisionVariables } from './rules.ts';
import { RULES_LIMITS } from './rules.limits.ts';

/**
 * The variables a rule sees, as CEL values. Each group is an instance of a class declared to CEL
 * with its fields and their types, so that the checker refuses `event.nope` when the rule is
 * validated and the evaluator reads fields without converting anything per rule. One context is
 * built per decision and shared by every rule of every ruleset evaluated for it.
 *
 * Strings are cut to `variableStringMaxLength` and lists to `variableListMaxItems`: this bounds what
 * any rule can build from its inputs, whatever a client sent.
 */
export class EventValue {
  constructor(
    readonly amount: bigint,
    readonly currency: string,
    readonly code: bigint,
    readonly channel: string,
    readonly debit_account: string,
    readonly credit_account: string,
    readonly debit_party: string,
    readonly credit_party: string,
    readonly debit_country: string,
    readonly credit_country: string,
    readonly device: string,
    readonly ip: string,
    readonly hour: bigint,
  ) {}
}

export class ListsValue {
  constructor(
    readonly blocked: boolean,
    readonly allowed: boolean,
    readonly hits: readonly string[],
  ) {}
}

export class ScreeningValue {
  constructor(
    readonly debit_score: number,
    readonly credit_score: number,
  ) {}
}

export class GraphValue {
  constructor(
    readonly debit_mule_score: number,
    readonly credit_mule_score: number,
  ) {}
}

export interface CelContext {
  readonly event: EventValue;
  readonly features: Readonly<Record<string, number | boolean>>;
  readonly lists: ListsValue;
  readonly screening: ScreeningValue;
  readonly graph: GraphValue;
}

/** The CEL declaration of each variable: its type and, for groups, their fields. */
export const VARIABLE_TYPES = Object.freeze({
  event: {
    type: 'RiskEvent',
    ctor: EventValue,
    fields: {
      amount: 'int', currency: 'string', code: 'int', channel: 'string', debit_account: 'string', credit_account: 'string',
      debit_party: 'string', credit_party: 'string', debit_country: 'string', credit_country: 'string', device: 'string', ip: 'string', hour: 'int',
    },
  },
  lists: { type: 'ListResult', ctor: ListsValue, fields: { blocked: 'bool', allowed: 'bool', hits: 'list<string>' } },
  screening: { type: 'ScreeningScores', ctor: ScreeningValue, fields: { debit_score: 'double', credit_score: 'double' } },
  graph: { type: 'GraphScores', ctor: GraphValue, fields: { debit_mule_score: 'double', credit_mule_score: 'double' } },
});

export const VARIABLE_DESCRIPTIONS = Object.freeze({
  event: 'The money movement: amount (int, minor units), currency, code (int), channel, debit_/credit_ account, party and country, device, ip, hour (int, 0..23 UTC).',
  features: 'Feature values by name (map<string, dyn>): numbers are doubles (compare with 5 or 5.0, add 1.0), flags are bools.',
  lists: 'Block and allow list results: blocked, allowed (bool) and hits (list<string>).',
  screening: 'Watch-list screening scores 0..1 (double): debit_score, credit_score.',
  graph: 'Mule-ring scores 0..1 (double): debit_mule_score, credit_mule_score.',
});

export const VARIABLE_NAMES = Object.freeze(['event', 'features', 'lists', 'screening', 'graph'] as const);

/** Feature names as the features module writes them; anything else is not passed to rules. */
const FEATURE_NAME = /^[a-z][a-z0-9_]{0,63}$/;
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

function text(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value.length > RULES_LIMITS.variableStringMaxLength ? value.slice(0, RULES_LIMITS.variableStringMaxLength) : value;
}

function integer(value: unknown): bigint {
  if (typeof value === 'bigint') return value > INT64_MAX ? INT64_MAX : value < INT64_MIN ? INT64_MIN : value;
  if (typeof value === 'number' && Number.isFinite(value)) return integer(BigInt(Math.trunc(value)));
  return 0n;
}

const double = (value: unknown): number => (typeof value === 'number' ? value : typeof value === 'bigint' ? Number(value) : 0);

/**
 * Feature names already found well formed. The catalogue is a few dozen fixed names, so a decision
 * tests a set membership per name instead of a regular expression; the set is bounded, and emptied
 * should something feed it many names.
 */
const acceptedNames = new Set<string>();

function acceptedName(name: string): boolean {
  if (acceptedNames.has(name)) return true;
  if (!FEATURE_NAME.test(name)) return false;
  if (acceptedNames.size >= RULES_LIMITS.featuresMax) acceptedNames.clear();
  acceptedNames.add(name);
  return true;
}

const isFeatureValue = (value: unknown): value is number | boolean => typeof value === 'number' || typeof value === 'boolean';

function features(source: DecisionVariables['features'] | undefined): Readonly<Record<string, number | boolean>> {
  if (!source) return {};
  // A vector already in shape (the features module's always is) is passed as it is: copying it
  // cost more than evaluating a small ruleset. Rules only read it. The check is one pass over the
  // keys, with no array of them made; an inherited key found by the pass only sends the vector to the
  // copy below, which reads own keys, so rules see the same either way.
  let inShape = true;
  let seen = 0;
  for (const name in source) {
    if (++seen > RULES_LIMITS.featuresMax || !acceptedName(name) || !isFeatureValue(source[name])) {
      inShape = false;
      break;
    }
  }
  if (inShape) return source;
  const names = Object.keys(source);
  const result: Record<string, number | boolean> = {};
  let count = 0;
  for (const name of names) {
    const value = source[name];
    if (!acceptedName(name) || !isFeatureValue(value)) continue;
    result[name] = value;
    if (++count >= RULES_LIMITS.featuresMax) break;
  }
  return result;
}

/** The hits of a context without any (most), shared: rules only read them. */
const NO_HITS: readonly string[] = Object.freeze([]);

/** Builds the CEL context of one decision: every field present, typed and bounded. */
export function toCelContext(variables: DecisionVariables): CelContext {
  const event = variables.event;
  const hits = variables.lists?.hits ?? [];
  return {
    event: new EventValue(
      integer(event?.amount), text(event?.currency), integer(event?.code), text(event?.channel), text(event?.debit_account), text(event?.credit_account),
      text(event?.debit_party), text(event?.credit_party), text(event?.debit_country), text(event?.credit_country), text(event?.device), text(event?.ip),
      integer(event?.hour),
    ),
    features: features(variables.features),
    lists: new ListsValue(variables.lists?.blocked === true, variables.lists?.allowed === true, hits.length === 0 ? NO_HITS : hits.slice(0, RULES_LIMITS.variableListMaxItems).map(text)),
    screening: new ScreeningValue(double(variables.screening?.debit_score), double(variables.screening?.credit_score)),
    graph: new GraphValue(double(variables.graph?.debit_mule_score), double(variables.graph?.credit_mule_score)),
  };
}
