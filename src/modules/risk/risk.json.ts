import { createHash } from 'node:crypto';
import type { FeatureVector, RiskEvent } from '../features/index.ts';
import type { DecisionVariables } from '../rules/index.ts';
import { eventVariablesOf, isEventVariablesOf } from './risk.ts';

type Stored<T> = { [K in keyof T]: T[K] extends bigint ? string : T[K] };

/**
 * Stored JSON of decisions. Amounts and CEL integers are bigints, which JSON cannot carry: they are
 * written as decimal strings and read back as bigints at the places the types say they are.
 */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => (typeof item === 'bigint' ? item.toString() : item));
}

/**
 * The event written with every decision: its bigint sits at a known place, so it is converted
 * there and JSON.stringify runs without a replacer (called for every key, a replacer cost more
 * than the rest of the log's work per decision).
 */
export function eventJson(event: RiskEvent): Stored<RiskEvent> {
  return { ...event, amountMinor: String(event.amountMinor) };
}

/**
 * A JSON value as JSON.stringify writes it, without its generic walk for the kinds a decision's
 * records are made of: strings, finite numbers, booleans. Anything else is left to JSON.stringify
 * (undefined when JSON leaves it out).
 */
function scalarJson(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      return JSON.stringify(value) as string | undefined;
  }
}

export function eventFromJson(stored: Stored<RiskEvent>): RiskEvent {
  return { ...stored, amountMinor: BigInt(stored.amountMinor) };
}

/**
 * Feature vectors are stored as their values only, in the order of a set of names stored once
 * (risk_feature_sets): the names are most of a vector's bytes and change only when the feature
 * catalogue does. A set's id is a digest of its names, so every process names a set alike.
 */
export interface FeatureSetRef {
  readonly id: string;
  readonly names: readonly string[];
}

/** The set met last: vectors from the features module come with the same names, in the same order. */
let lastSet: FeatureSetRef | null = null;

function isSetOf(set: FeatureSetRef, features: FeatureVector): boolean {
  let index = 0;
  for (const name in features) {
    if (set.names[index] !== name) return false;
    index += 1;
  }
  return index === set.names.length;
}

export function featureSetOf(features: FeatureVector, known: Map<string, FeatureSetRef>): FeatureSetRef {
  // Compared name by name, which costs less than joining them into a key. A set's id follows from
  // its names alone, so the set met last is right for any map of known sets.
  if (lastSet && isSetOf(lastSet, features)) return lastSet;
  const names = Object.keys(features);
  const key = names.join(',');
  let set = known.get(key);
  if (!set) {
    set = { id: createHash('sha256').update(key).digest('hex').slice(0, 32), names };
    known.set(key, set);
  }
  lastSet = set;
  return set;
}

interface StoredVariables {
  /** Left out when it is what eventVariablesOf gives for the decision's event, stored beside it. */
  readonly event?: Stored<DecisionVariables['event']>;
  readonly features: { readonly set: string; readonly values: readonly (number | boolean | null)[] };
  /** Each left out when it is nothing: no list hit, scores of zero. */
  readonly lists?: DecisionVariables['lists'];
  readonly screening?: DecisionVariables['screening'];
  readonly graph?: DecisionVariables['graph'];
}

const isNoListHit = (lists: DecisionVariables['lists']) => lists.blocked === false && lists.allowed === false && lists.hits.length === 0;
const isZero = (first: number, second: number) => first === 0 && second === 0;

/**
 * The vector's values in the order of the set's names, null for a name it lacks, as the text of a
 * JSON array. A vector from the features module has the set's names in the set's order, and is read
 * in one pass over its own keys rather than by looking each name up.
 */
function valuesJsonInSetOrder(features: FeatureVector, names: readonly string[]): string {
  let text = '[';
  let count = 0;
  for (const name in features) {
    if (count === names.length || names[count] !== name) break;
    text += `${count === 0 ? '' : ','}${scalarJson(features[name] ?? null) ?? 'null'}`;
    count += 1;
  }
  if (count === names.length) return `${text}]`;
  text = '[';
  for (let index = 0; index < names.length; index++) text += `${index === 0 ? '' : ','}${scalarJson(features[names[index] as string] ?? null) ?? 'null'}`;
  return `${text}]`;
}

/**
 * A decision's variables as stored. What rules saw of the event is left out when it follows from
 * the event logged with the decision (always, unless the event was changed after it was decided):
 * it repeated a third of a decision's bytes.
 *
 * The text is what JSON.stringify gave for the object below (keys in this order, those left out
 * absent), written piece by piece: the stored form is unchanged, and the groups that are nothing in
 * most decisions cost no object and no walk.
 */
export function variablesToJson(variables: DecisionVariables, set: FeatureSetRef, decided: RiskEvent): string {
  const { event, features } = variables;
  let text = '{';
  if (!isEventVariablesOf(event, decided)) {
    const stored: Stored<DecisionVariables['event']> = { ...event, amount: String(event.amount), code: String(event.code), hour: String(event.hour) };
    text += `"event":${JSON.stringify(stored)},`;
  }
  text += `"features":{"set":${JSON.stringify(set.id)},"values":${valuesJsonInSetOrder(features, set.names)}}`;
  if (!isNoListHit(variables.lists)) text += `,"lists":${JSON.stringify(variables.lists)}`;
  if (!isZero(variables.screening.debit_score, variables.screening.credit_score)) text += `,"screening":${JSON.stringify(variables.screening)}`;
  if (!isZero(variables.graph.debit_mule_score, variables.graph.credit_mule_score)) text += `,"graph":${JSON.stringify(variables.graph)}`;
  return `${text}}`;
}

/**
 * The feature set a stored vector refers to, so that its names can be loaded before decoding; null
 * for a vector stored whole, with its names (as the first decisions were).
 */
export function featureSetIdOf(text: string): string | null {
  const set = (JSON.parse(text) as StoredVariables).features.set;
  return typeof set === 'string' ? set : null;
}

export function variablesFromJson(text: string, names: readonly string[] | undefined, decided: RiskEvent): DecisionVariables {
  const stored = JSON.parse(text) as StoredVariables;
  let features: Record<string, number | boolean> = {};
  if (!Array.isArray(stored.features.values)) features = stored.features as unknown as Record<string, number | boolean>;
  else {
    stored.features.values.forEach((value, index) => {
      const name = names?.[index];
      if (name !== undefined && value !== null) features[name] = value;
    });
  }
  return {
    event: stored.event
      ? { ...stored.event, amount: BigInt(stored.event.amount), code: BigInt(stored.event.code), hour: BigInt(stored.event.hour) }
      : eventVariablesOf(decided),
    features,
    lists: stored.lists ?? { blocked: false, allowed: false, hits: [] },
    screening: stored.screening ?? { debit_score: 0, credit_score: 0 },
    graph: stored.graph ?? { debit_mule_score: 0, credit_mule_score: 0 },
  };
}
