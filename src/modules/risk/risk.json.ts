import type { RiskEvent } from '../features/index.ts';
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
 * The same, for the two shapes written with every decision: their bigints sit at known places, so
 * they are converted there and JSON.stringify runs without a replacer (called for every key, the
 * replacer cost more than the rest of the log's work per decision).
 */
export function eventJson(event: RiskEvent): Stored<RiskEvent> {
  return { ...event, amountMinor: String(event.amountMinor) };
}

export function variablesToJson(variables: DecisionVariables): string {
  const { event } = variables;
  return JSON.stringify({ ...variables, event: { ...event, amount: String(event.amount), code: String(event.code), hour: String(event.hour) } });
}


export function eventFromJson(stored: Stored<RiskEvent>): RiskEvent {
  return { ...stored, amountMinor: BigInt(stored.amountMinor) };
}

export function variablesFromJson(text: string): DecisionVariables {
  const stored = JSON.parse(text) as Omit<DecisionVariables, 'event'> & { event: Stored<DecisionVariables['event']> };
  return {
    ...stored,
    event: { ...stored.event, amount: BigInt(stored.event.amount), code: BigInt(stored.event.code), hour: BigInt(stored.event.hour) },
  };
}
