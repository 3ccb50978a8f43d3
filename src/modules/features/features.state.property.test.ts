import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BUILT_IN_NAMES } from './features.catalog.ts';
import type { FeatureVector, RiskEvent } from './features.event.ts';
import {
  DISTINCT_WINDOW_MS, FEATURE_WINDOWS, FEATURES_LIMITS, HISTORY_MIN_COUNT, LONGEST_WINDOW_MS, MINUTE_MS, NEW_BENEFICIARY_LARGE_FACTOR,
  NO_PREVIOUS_OUT_SECONDS, PASS_THROUGH_WINDOW_MS, WINDOW_1H_MS, WINDOW_24H_MS, WINDOW_30D_MS, WINDOW_7D_MS, ZSCORE_MIN_DEVIATION_MINOR,
} from './features.limits.ts';
import { createFeatureStore } from './features.state.ts';

/**
 * Every built-in feature of the store, against a reference that keeps nothing but the list of events
 * applied and computes each feature from it on the spot: no windows, no running totals, no maps kept
 * in order. The stream interleaves records and decisions as the decision path does, out of order now
 * and then, with repeats, on whole minutes so that events often sit exactly on a window's edge, and
 * decisions a millisecond either side of one.
 */
const T0 = Date.UTC(2026, 0, 1);
const ACCOUNTS = ['a', 'b', 'c', 'd', 'e'];
const PARTIES = ['p', 'q'];
const DEVICES = ['phone', 'laptop'];
const CURRENCIES = ['CNY', 'USD'];

const inWindow = (event: RiskEvent, now: number, windowMs: number) => event.atMs > now - windowMs;
const amountOf = (event: RiskEvent) => Number(event.amountMinor);
const sum = (events: readonly RiskEvent[]) => events.reduce((total, event) => total + amountOf(event), 0);
const within = (events: readonly RiskEvent[], now: number, windowMs: number) => events.filter((event) => inWindow(event, now, windowMs));

/** The features of `probe` over `events` (those applied before it, each once), straight from the list. */
function reference(events: readonly RiskEvent[], probe: RiskEvent): { vector: Record<string, number | boolean>; variance: number } {
  const now = probe.atMs;
  const amount = amountOf(probe);
  const vector: Record<string, number | boolean> = {};
  const out = events.filter((event) => event.debitAccountId === probe.debitAccountId);
  const incoming = events.filter((event) => event.creditAccountId === probe.debitAccountId);
  for (const window of FEATURE_WINDOWS) {
    vector[`account_out_count_${window.suffix}`] = within(out, now, window.ms).length;
    vector[`account_out_sum_${window.suffix}`] = sum(within(out, now, window.ms));
    vector[`account_in_count_${window.suffix}`] = within(incoming, now, window.ms).length;
    vector[`account_in_sum_${window.suffix}`] = sum(within(incoming, now, window.ms));
  }
  vector.account_distinct_payees_24h = new Set(within(out, now, DISTINCT_WINDOW_MS).map((event) => event.creditAccountId)).size;
  const amounts = within(out, now, WINDOW_30D_MS).map(amountOf);
  const mean = amounts.length === 0 ? 0 : amounts.reduce((a, b) => a + b, 0) / amounts.length;
  const variance = amounts.length > 1 ? amounts.reduce((a, b) => a + (b - mean) ** 2, 0) / (amounts.length - 1) : 0;
  vector.account_out_mean_30d = mean;
  const lastOut = Math.max(-Infinity, ...out.map((event) => event.atMs));
  vector.seconds_since_last_out = lastOut > now - LONGEST_WINDOW_MS ? Math.max(0, (now - lastOut) / 1000) : NO_PREVIOUS_OUT_SECONDS;
  const passIn = sum(within(incoming, now, PASS_THROUGH_WINDOW_MS));
  vector.pass_through_ratio_24h = passIn > 0 ? (sum(within(out, now, PASS_THROUGH_WINDOW_MS)) + amount) / passIn : 0;
  vector.account_history_truncated = false;
  const hasHistory = amounts.length >= HISTORY_MIN_COUNT;
  vector.amount_zscore = hasHistory ? (amount - mean) / Math.max(Math.sqrt(variance), ZSCORE_MIN_DEVIATION_MINOR) : 0;
  const paidBefore = out.some((event) => event.creditAccountId === probe.creditAccountId && event.atMs > now - FEATURES_LIMITS.pairMemoryMs);
  vector.pair_first_seen = !paidBefore;
  vector.new_beneficiary_large = !paidBefore && hasHistory && amount >= NEW_BENEFICIARY_LARGE_FACTOR * mean;
  const party = events.filter((event) => probe.debitPartyId !== undefined && event.debitPartyId === probe.debitPartyId && event.currency === probe.currency);
  const payee = events.filter((event) => event.creditAccountId === probe.creditAccountId);
  for (const [suffix, ms] of [['1h', WINDOW_1H_MS], ['24h', WINDOW_24H_MS], ['7d', WINDOW_7D_MS]] as const) {
    vector[`party_out_count_${suffix}`] = within(party, now, ms).length;
    vector[`party_out_sum_${suffix}`] = sum(within(party, now, ms));
    vector[`counterparty_in_count_${suffix}`] = within(payee, now, ms).length;
    vector[`counterparty_in_sum_${suffix}`] = sum(within(payee, now, ms));
  }
  vector.counterparty_distinct_payers_24h = new Set(within(payee, now, DISTINCT_WINDOW_MS).map((event) => event.debitAccountId)).size;
  const device = events.filter((event) => probe.deviceId !== undefined && event.deviceId === probe.deviceId);
  vector.device_out_count_1h = within(device, now, WINDOW_1H_MS).length;
  vector.device_out_count_24h = within(device, now, WINDOW_24H_MS).length;
  vector.device_distinct_accounts_24h = new Set(within(device, now, DISTINCT_WINDOW_MS).map((event) => event.debitAccountId)).size;
  return { vector, variance };
}

/**
 * Counts, sums and flags exactly. The statistics are summed in another order: the store takes amounts
 * that left the 30 days back out of running figures, which leaves rounding behind of the order of
 * 2^-52 times the largest amount the payer ever sent (in the mean) and its square (in the sum of
 * squares), so they agree within that and a part in 10^9.
 */
function expectAgreement(actual: FeatureVector, expected: Record<string, number | boolean>, probe: RiskEvent, largestOut: number, variance: number): void {
  const wrong: string[] = [];
  const rounding = 1e-12 * largestOut;
  const deviation = Math.max(Math.sqrt(variance), 1);
  for (const [name, value] of Object.entries(expected)) {
    const got = actual[name];
    let agrees = got === value;
    const off = Math.abs((got as number) - (value as number));
    if (name === 'account_out_mean_30d') agrees = off <= 1e-9 * Math.max(1, Math.abs(value as number)) + rounding;
    if (name === 'pass_through_ratio_24h') agrees = off <= 1e-9 * Math.max(1, Math.abs(value as number));
    if (name === 'amount_zscore') agrees = off <= 1e-9 * Math.max(1, Math.abs(value as number)) + rounding / deviation + (Math.abs(value as number) * 1e-12 * largestOut ** 2) / deviation ** 2;
    if (name === 'new_beneficiary_large') {
      // A tie between the amount and three means is decided by the rounding of the mean: not judged.
      const mean = expected.account_out_mean_30d as number;
      agrees ||= Math.abs(amountOf(probe) - NEW_BENEFICIARY_LARGE_FACTOR * mean) <= NEW_BENEFICIARY_LARGE_FACTOR * (1e-9 * Math.max(1, mean) + rounding);
    }
    if (!agrees) wrong.push(`${name}: ${String(got)}, expected ${String(value)}`);
  }
  if (Object.keys(actual).length !== BUILT_IN_NAMES.size) wrong.push(`${Object.keys(actual).length} features, expected ${BUILT_IN_NAMES.size}`);
  expect(wrong, `at ${probe.atMs - T0} ms, payer ${probe.debitAccountId}, payee ${probe.creditAccountId}`).toEqual([]);
}

/** Compares the store's features for `probe` with the reference's. */
function check(store: ReturnType<typeof createFeatureStore>, applied: readonly RiskEvent[], probe: RiskEvent): void {
  const largestOut = Math.max(0, ...applied.filter((event) => event.debitAccountId === probe.debitAccountId).map(amountOf));
  const expected = reference(applied, probe);
  expectAgreement(store.compute(probe), expected.vector, probe, largestOut, expected.variance);
}

const arbitraryStep = fc.record({
  // Mostly forward, in whole minutes up to two days; now and then back up to a day (another
  // process's event arriving late), or a long jump that lets windows and the 30-day horizon expire.
  moveMinutes: fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 2 * 24 * 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: -24 * 60, max: 0 }) },
    { weight: 1, arbitrary: fc.constantFrom(60, 24 * 60, 7 * 24 * 60, 30 * 24 * 60, 31 * 24 * 60) },
  ),
  amount: fc.integer({ min: 0, max: 5_000_000 }),
  // Payer a pays most, so that it builds a history whose oldest part leaves the 30 days between decisions.
  debit: fc.constantFrom('a', 'a', 'a', ...ACCOUNTS),
  credit: fc.constantFrom(...ACCOUNTS),
  debitParty: fc.option(fc.constantFrom(...PARTIES), { nil: undefined }),
  creditParty: fc.option(fc.constantFrom(...PARTIES), { nil: undefined }),
  device: fc.option(fc.constantFrom(...DEVICES), { nil: undefined }),
  currency: fc.constantFrom(...CURRENCIES),
  /** Whether to decide on this event before recording it, and how far from the newest event recorded. */
  decide: fc.boolean(),
  decideLaterMinutes: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 31 * 24 * 60 }), fc.constantFrom(1, 60, 24 * 60, 7 * 24 * 60, 30 * 24 * 60)),
  decideEdgeMs: fc.integer({ min: -1, max: 1 }),
  /** Records an event already recorded again: it must count once. */
  repeat: fc.boolean(),
});

type Step = typeof arbitraryStep extends fc.Arbitrary<infer T> ? T : never;

function run(steps: readonly Step[]): void {
  const store = createFeatureStore();
  const applied: RiskEvent[] = [];
  let clock = T0;
  let newest = -Infinity;
  steps.forEach((step, index) => {
    clock += step.moveMinutes * MINUTE_MS;
    const event: RiskEvent = {
      id: `e${index}`, atMs: clock, amountMinor: BigInt(step.amount), currency: step.currency, debitAccountId: step.debit, creditAccountId: step.credit,
      ...(step.debitParty ? { debitPartyId: step.debitParty } : {}),
      ...(step.creditParty ? { creditPartyId: step.creditParty } : {}),
      ...(step.device ? { deviceId: step.device } : {}),
    };
    if (step.decide && applied.length > 0) {
      // Decided at or after the newest event recorded, as the decision path does; a millisecond
      // either side of a whole number of minutes puts events exactly on, inside and outside edges.
      const later = newest + step.decideLaterMinutes * MINUTE_MS + step.decideEdgeMs;
      const probe = { ...event, atMs: Math.max(newest, later) };
      check(store, applied, probe);
    }
    expect(store.apply(event)).toBe(true);
    applied.push(event);
    newest = Math.max(newest, event.atMs);
    if (step.repeat) expect(store.apply(applied[index % applied.length] as RiskEvent)).toBe(false);
  });
  // And a last look from every account's side, at the newest instant and exactly one window later.
  for (const account of ACCOUNTS) {
    for (const laterMs of [0, ...FEATURE_WINDOWS.map((window) => window.ms)]) {
      const probe: RiskEvent = { id: 'probe', atMs: newest + laterMs, amountMinor: 1000n, currency: 'CNY', debitAccountId: account, creditAccountId: 'a', debitPartyId: 'p', deviceId: 'phone' };
      check(store, applied, probe);
    }
  }
}

describe('feature store against a reference computed from the raw events (property)', () => {
  it('agrees on every built-in feature, for any stream of records and decisions', () => {
    fc.assert(fc.property(fc.array(arbitraryStep, { maxLength: 60, size: 'max' }), run), { numRuns: 200 });
  });

  it('agrees on a stream that keeps one busy account past its ring compactions and the 30-day horizon', () => {
    const steps = Array.from({ length: 300 }, (_, i) => ({
      moveMinutes: (i * 7919) % 5 === 0 ? 12 * 60 : 47, amount: 1000 + ((i * 7919) % 5000), debit: 'a', credit: ACCOUNTS[1 + (i % 4)] as string,
      debitParty: i % 3 === 0 ? undefined : 'p', creditParty: 'q', device: i % 2 === 0 ? 'phone' : undefined, currency: 'CNY',
      decide: i % 5 === 0, decideLaterMinutes: [0, 60, 3 * 24 * 60, 29 * 24 * 60][i % 4] as number, decideEdgeMs: (i % 3) - 1, repeat: i % 11 === 0,
    }));
    run(steps);
  });
});
