import { hash } from 'node:crypto';
import { rate, type Rate } from '../fx/index.ts';
import type { FxTerms, Leg, MessageRef, Party, PaymentEvent, PaymentOrder, Plan, ReturnInfo } from './payments.ts';

/**
 * How a payment's structured parts are stored: canonical JSON (sorted keys, bigints as decimal
 * strings), so that the stored text of a value is one string whoever writes it, and reads back exactly.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      if (item !== undefined) sorted[key] = sortKeys(item);
    }
    return sorted;
  }
  return value;
}

/**
 * Storage form of the structured parts: plain JSON with bigints as decimal strings. Key order is
 * whatever the code that built the value chose, which is the same every time, so there is no need
 * to pay for sorting on the hot path; fingerprints, which must not depend on code order, are canonical.
 *
 * The bigints are turned into strings by a copy first rather than by a replacer: a replacer makes
 * JSON.stringify call back into JavaScript for every key and leave its fast path, which cost two to
 * three times as much on a payment's plan. The text is the same either way.
 */
export function storedJson(value: unknown): string {
  return JSON.stringify(withoutBigints(value));
}

function withoutBigints(value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withoutBigints);
  // Anything that says how it serialises (a Date) is left to say it, as the replacer did.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    copy[key] = typeof item === 'bigint' ? item.toString() : item !== null && typeof item === 'object' ? withoutBigints(item) : item;
  }
  return copy;
}

/** What "the same request" means for idempotency: the SHA-256 of the order's canonical form. */
export function fingerprintOf(order: PaymentOrder): string {
  // Which file carried an order is transport, not content: the same order resent in another file is the same request.
  const { sourceMessage: _transport, ...content } = order;
  return hash('sha256', canonicalJson(content), 'hex');
}

type Json = Record<string, any>;
const big = (value: unknown): bigint => BigInt(value as string);
const rateOf = (value: Json | null | undefined): Rate | null => (value ? rate(big(value.numerator), big(value.denominator)) : null);

export const parseOrder = (text: string): PaymentOrder => {
  const json = JSON.parse(text) as Json;
  return { ...json, amount: big(json.amount) } as PaymentOrder;
};

const parseLeg = (json: Json): Leg => ({ ...(json as Leg), amount: big(json.amount) });

function parseFx(json: Json | null | undefined): FxTerms | null {
  if (!json) return null;
  return {
    quoteId: json.quoteId ?? null, rate: rateOf(json.rate) as Rate, mid: json.mid, spreadBps: json.spreadBps, sold: big(json.sold),
    converted: big(json.converted), residual: big(json.residual), bought: big(json.bought), remainder: rateOf(json.remainder),
  };
}

export function parsePlan(text: string | null): Plan | null {
  if (!text) return null;
  const json = JSON.parse(text) as Json;
  return {
    debitCurrency: json.debitCurrency, creditCurrency: json.creditCurrency, debited: big(json.debited), credited: big(json.credited),
    principal: big(json.principal), debtorAgentFee: big(json.debtorAgentFee), creditorAgentFee: big(json.creditorAgentFee),
    fx: parseFx(json.fx), legs: (json.legs as Json[]).map(parseLeg),
  };
}

export const parseParty = (text: string | null): Party | null => (text ? (JSON.parse(text) as Party) : null);

export function parseMessages(text: string | null): MessageRef[] {
  if (!text) return [];
  return (JSON.parse(text) as Json[]).map((json) => ({ ...(json as MessageRef), createdAt: big(json.createdAt) }));
}

export function parseEvents(text: string, paymentId: string, uetr: string): PaymentEvent[] {
  return (JSON.parse(text) as Json[]).map((json) => ({
    seq: big(json.seq), paymentId, uetr, status: json.status, reasonCode: json.reasonCode ?? null, at: big(json.at), keyId: json.keyId ?? null,
  }));
}

export function parseReturn(text: string | null): ReturnInfo | null {
  if (!text) return null;
  const json = JSON.parse(text) as Json;
  return {
    id: json.id, reasonCode: json.reasonCode, returnedAt: big(json.returnedAt), legs: (json.legs as Json[]).map(parseLeg),
    debitedFromCreditor: big(json.debitedFromCreditor), creditedToDebtor: big(json.creditedToDebtor), fx: parseFx(json.fx), by: json.by ?? null,
  };
}
