import { createHash } from 'node:crypto';
import type { FeatureVector, RiskEvent } from '../features/index.ts';
import type { DecisionVariables } from '../rules/index.ts';

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

export function featureSetOf(features: FeatureVector, known: Map<string, FeatureSetRef>): FeatureSetRef {
  const names = Object.keys(features);
  const key = names.join(',');
  let set = known.get(key);
  if (!set) {
    set = { id: createHash('sha256').update(key).digest('hex').slice(0, 32), names };
    known.set(key, set);
  }
  return set;
}

interface StoredVariables {
  readonly event: Stored<DecisionVariables['event']>;
  readonly features: { readonly set: string; readonly values: readonly (number | boolean | null)[] };
  readonly lists: DecisionVariables['lists'];
  readonly screening: DecisionVariables['screening'];
  readonly graph: DecisionVariables['graph'];
}

export function variablesToJson(variables: DecisionVariables, set: FeatureSetRef): string {
  const { event, features } = variables;
  const stored: StoredVariables = {
    event: { ...event, amount: String(event.amount), code: String(event.code), hour: String(event.hour) },
    features: { set: set.id, values: set.names.map((name) => features[name] ?? null) },
    lists: variables.lists,
    screening: variables.screening,
    graph: variables.graph,
  };
  return JSON.stringify(stored);
}

/**
 * The feature set a stored vector refers to, so that its names can be loaded before decoding; null
 * for a vector stored whole, with its names (as the first decisions were).
 */
export function featureSetIdOf(text: string): string | null {
  const set = (JSON.parse(text) as StoredVariables).features.set;
  return typeof set === 'string' ? set : null;
}

export function variablesFromJson(text: string, names: readonly string[] | undefined): DecisionVariables {
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
    event: { ...stored.event, amount: BigInt(stored.event.amount), code: BigInt(stored.event.code), hour: BigInt(stored.event.hour) },
    features,
    lists: stored.lists,
    screening: stored.screening,
    graph: stored.graph,
  };
}
