import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RiskEvent } from './features.event.ts';
import { FEATURE_CATALOG } from './features.catalog.ts';
import { FEATURE_WINDOWS, FEATURES_LIMITS, HISTORY_MIN_COUNT, LONGEST_WINDOW_MS, NO_PREVIOUS_OUT_SECONDS, WINDOW_24H_MS, WINDOW_30D_MS } from './features.limits.ts';
import { createFeatureStore } from './features.state.ts';

const T0 = Date.UTC(2026, 0, 1);
let counter = 0;
const event = (over: Partial<RiskEvent> & { atMs: number }): RiskEvent => ({
  id: `e${(counter += 1)}`, amountMinor: 100n, currency: 'CNY', debitAccountId: 'payer', creditAccountId: 'payee', ...over,
});

/** The features of the model, computed directly from the list of events (no windows kept, no running totals). */
function direct(events: readonly RiskEvent[], probe: RiskEvent) {
  const now = probe.atMs;
  const inWindow = (e: RiskEvent, windowMs: number) => e.atMs > now - windowMs;
  const out = events.filter((e) => e.debitAccountId === probe.debitAccountId);
  const incoming = events.filter((e) => e.creditAccountId === probe.debitAccountId);
  const amounts = out.filter((e) => inWindow(e, WINDOW_30D_MS)).map((e) => Number(e.amountMinor));
  const mean = amounts.length === 0 ? 0 : amounts.reduce((a, b) => a + b, 0) / amounts.length;
  const variance = amounts.length > 1 ? amounts.reduce((a, b) => a + (b - mean) ** 2, 0) / (amounts.length - 1) : 0;
  const amount = Number(probe.amountMinor);
  const sum = (list: RiskEvent[], windowMs: number) => list.filter((e) => inWindow(e, windowMs)).reduce((a, e) => a + Number(e.amountMinor), 0);
  const inSum24h = sum(incoming, WINDOW_24H_MS);
  return {
    counts: Object.fromEntries(FEATURE_WINDOWS.map((w) => [w.suffix, out.filter((e) => inWindow(e, w.ms)).length])),
    sums: Object.fromEntries(FEATURE_WINDOWS.map((w) => [w.suffix, sum(out, w.ms)])),
    inCounts: Object.fromEntries(FEATURE_WINDOWS.map((w) => [w.suffix, incoming.filter((e) => inWindow(e, w.ms)).length])),
    distinctPayees: new Set(out.filter((e) => inWindow(e, WINDOW_24H_MS)).map((e) => e.creditAccountId)).size,
    zscore: amounts.length < HISTORY_MIN_COUNT ? 0 : (amount - mean) / Math.max(Math.sqrt(variance), 1),
    passThrough: inSum24h > 0 ? (sum(out, WINDOW_24H_MS) + amount) / inSum24h : 0,
  };
}

describe('feature store', () => {
  it('describes every feature it computes, and computes every feature it describes', () => {
    const store = createFeatureStore();
    const vector = store.compute(event({ atMs: T0 }));
    expect(Object.keys(vector).sort()).toEqual(FEATURE_CATALOG.map((entry) => entry.name).sort());
    for (const entry of FEATURE_CATALOG) expect(typeof vector[entry.name]).toBe(entry.type);
    expect(FEATURE_CATALOG.every((entry) => /^[a-z][a-z0-9_]*$/.test(entry.name) && entry.description.length > 10)).toBe(true);
  });

  it('counts an event exactly one window old as outside the window, and one millisecond younger as inside', () => {
    const store = createFeatureStore();
    store.apply(event({ atMs: T0, amountMinor: 700n }));
    for (const window of FEATURE_WINDOWS) {
      const inside = store.compute(event({ atMs: T0 + window.ms - 1 }));
      const outside = store.compute(event({ atMs: T0 + window.ms }));
      expect([inside[`account_out_count_${window.suffix}`], inside[`account_out_sum_${window.suffix}`]]).toEqual([1, 700]);
      expect([outside[`account_out_count_${window.suffix}`], outside[`account_out_sum_${window.suffix}`]]).toEqual([0, 0]);
      // The payee sees the same edge from the other side.
      const asPayee = store.compute(event({ atMs: T0 + window.ms - 1, debitAccountId: 'payee', creditAccountId: 'someone' }));
      expect(asPayee[`account_in_count_${window.suffix}`]).toBe(1);
      expect(store.compute(event({ atMs: T0 + window.ms, debitAccountId: 'payee', creditAccountId: 'someone' }))[`account_in_count_${window.suffix}`]).toBe(0);
    }
  });

  it('tells a first payment to a payee from a repeat one, and flags a large amount to a new payee', () => {
    const store = createFeatureStore();
    for (let i = 0; i < HISTORY_MIN_COUNT; i += 1) store.apply(event({ atMs: T0 + i, amountMinor: 1000n, creditAccountId: 'landlord' }));
    const repeat = store.compute(event({ atMs: T0 + 10, amountMinor: 5000n, creditAccountId: 'landlord' }));
    expect([repeat.pair_first_seen, repeat.new_beneficiary_large]).toEqual([false, false]);
    const smallNew = store.compute(event({ atMs: T0 + 10, amountMinor: 2999n, creditAccountId: 'stranger' }));
    expect([smallNew.pair_first_seen, smallNew.new_beneficiary_large]).toEqual([true, false]);
    const largeNew = store.compute(event({ atMs: T0 + 10, amountMinor: 3000n, creditAccountId: 'stranger' }));
    expect([largeNew.pair_first_seen, largeNew.new_beneficiary_large]).toEqual([true, true]);
    // A payer without history has no mean to be large against.
    expect(store.compute(event({ atMs: T0, debitAccountId: 'newcomer', amountMinor: 10n ** 12n })).new_beneficiary_large).toBe(false);
  });

  it('measures rapid in-and-out: money out in 24 hours plus this amount, over money in during them', () => {
    const store = createFeatureStore();
    expect(store.compute(event({ atMs: T0, debitAccountId: 'mule' })).pass_through_ratio_24h).toBe(0);
    store.apply(event({ atMs: T0, debitAccountId: 'victim', creditAccountId: 'mule', amountMinor: 10_000n }));
    store.apply(event({ atMs: T0 + 1000, debitAccountId: 'mule', creditAccountId: 'cash-out-1', amountMinor: 4_500n }));
    const probe = store.compute(event({ atMs: T0 + 2000, debitAccountId: 'mule', creditAccountId: 'cash-out-2', amountMinor: 5_000n }));
    expect(probe.pass_through_ratio_24h).toBeCloseTo(0.95, 12);
    expect(probe.account_distinct_payees_24h).toBe(1);
    // A day after the money came in, it no longer counts as in.
    expect(store.compute(event({ atMs: T0 + WINDOW_24H_MS, debitAccountId: 'mule', amountMinor: 1n })).pass_through_ratio_24h).toBe(0);
  });

  it('counts seconds since the last outgoing transfer, up to 30 days', () => {
    const store = createFeatureStore();
    expect(store.compute(event({ atMs: T0 })).seconds_since_last_out).toBe(NO_PREVIOUS_OUT_SECONDS);
    store.apply(event({ atMs: T0 }));
    expect(store.compute(event({ atMs: T0 + 1500 })).seconds_since_last_out).toBe(1.5);
    expect(store.compute(event({ atMs: T0 + LONGEST_WINDOW_MS - 1 })).seconds_since_last_out).toBeCloseTo(LONGEST_WINDOW_MS / 1000, 2);
    expect(store.compute(event({ atMs: T0 + LONGEST_WINDOW_MS })).seconds_since_last_out).toBe(NO_PREVIOUS_OUT_SECONDS);
  });

  it('counts party, counterparty and device windows, and distinct accounts per device', () => {
    const store = createFeatureStore();
    store.apply(event({ atMs: T0, debitAccountId: 'a1', creditAccountId: 'shop', debitPartyId: 'p', deviceId: 'phone', amountMinor: 10n }));
    store.apply(event({ atMs: T0 + 1, debitAccountId: 'a2', creditAccountId: 'shop', debitPartyId: 'p', deviceId: 'phone', amountMinor: 20n }));
    store.apply(event({ atMs: T0 + 2, debitAccountId: 'a2', creditAccountId: 'shop', debitPartyId: 'p', amountMinor: 5n, currency: 'USD' }));
    const vector = store.compute(event({ atMs: T0 + 3, debitAccountId: 'a3', creditAccountId: 'shop', debitPartyId: 'p', deviceId: 'phone' }));
    expect([vector.party_out_count_1h, vector.party_out_sum_1h]).toEqual([2, 30]);
    expect([vector.counterparty_in_count_24h, vector.counterparty_in_sum_24h, vector.counterparty_distinct_payers_24h]).toEqual([3, 35, 2]);
    expect([vector.device_out_count_1h, vector.device_distinct_accounts_24h]).toEqual([2, 2]);
    expect(store.compute(event({ atMs: T0 + 3, debitAccountId: 'a3' })).device_out_count_1h).toBe(0);
  });

  it('agrees with a direct computation over the same events, in any order (property)', () => {
    const accounts = ['a', 'b', 'c', 'd'];
    const arbitraryEvent = fc.record({
      // Whole minutes, so that events often sit exactly on a window's edge.
      offsetMs: fc.integer({ min: 0, max: 45 * 24 * 60 }).map((minutes) => minutes * 60_000),
      amount: fc.integer({ min: 0, max: 5_000_000 }),
      debit: fc.constantFrom(...accounts),
      credit: fc.constantFrom(...accounts),
    });
    fc.assert(
      fc.property(fc.array(arbitraryEvent, { maxLength: 80 }), fc.integer({ min: 0, max: 40 * 24 * 60 }), fc.integer({ min: 0, max: 9_000_000 }), (drawn, laterMinutes, amount) => {
        const store = createFeatureStore();
        const events = drawn.filter((d) => d.debit !== d.credit).map((d) => event({ atMs: T0 + d.offsetMs, amountMinor: BigInt(d.amount), debitAccountId: d.debit, creditAccountId: d.credit }));
        for (const e of events) store.apply(e);
        const newest = Math.max(T0, ...events.map((e) => e.atMs));
        const probe = event({ atMs: newest + laterMinutes * 60_000, debitAccountId: 'a', creditAccountId: 'b', amountMinor: BigInt(amount) });
        const vector = store.compute(probe);
        const expected = direct(events, probe);
        for (const window of FEATURE_WINDOWS) {
          expect(vector[`account_out_count_${window.suffix}`]).toBe(expected.counts[window.suffix]);
          expect(vector[`account_out_sum_${window.suffix}`]).toBe(expected.sums[window.suffix]);
          expect(vector[`account_in_count_${window.suffix}`]).toBe(expected.inCounts[window.suffix]);
        }
        expect(vector.account_distinct_payees_24h).toBe(expected.distinctPayees);
        expect(vector.amount_zscore as number).toBeCloseTo(expected.zscore, 6);
        expect(vector.pass_through_ratio_24h as number).toBeCloseTo(expected.passThrough, 9);
      }),
      { numRuns: 300 },
    );
  });

  it('stays exact through many rounds of expiry and compaction of a small ring', () => {
    const store = createFeatureStore({ ...FEATURES_LIMITS, eventsPerKeyMax: 16 });
    const events: RiskEvent[] = [];
    // One event every three days: at most ten inside 30 days, so the ring never has to drop a young one.
    for (let i = 0; i < 400; i += 1) {
      const e = event({ atMs: T0 + i * 3 * 24 * 3600_000 + (i % 7), amountMinor: BigInt(1000 + ((i * 7919) % 5000)), creditAccountId: `payee-${i % 5}` });
      events.push(e);
      store.apply(e);
      if (i % 37 === 0) {
        const probe = event({ atMs: e.atMs + 1, amountMinor: 4242n });
        const vector = store.compute(probe);
        const expected = direct(events, probe);
        expect([vector.account_out_count_30d, vector.account_out_sum_30d, vector.account_history_truncated]).toEqual([expected.counts['30d'], expected.sums['30d'], false]);
        expect(vector.amount_zscore as number).toBeCloseTo(expected.zscore, 9);
      }
    }
  });

  it('keeps its bounds: events per key, keys and events held, evicting the least recently recorded key', () => {
    const limits = { ...FEATURES_LIMITS, eventsPerKeyMax: 8, trackedKeysMax: 10, heldEventsMax: 40 };
    const store = createFeatureStore(limits);
    for (let i = 0; i < 20; i += 1) store.apply(event({ atMs: T0 + i, debitAccountId: 'hot', creditAccountId: 'sink', amountMinor: 1n }));
    const hot = store.compute(event({ atMs: T0 + 20, debitAccountId: 'hot' }));
    // Only the newest eight are held, and the account says its long windows undercount.
    expect([hot.account_out_count_30d, hot.account_history_truncated]).toEqual([8, true]);
    for (let i = 0; i < 30; i += 1) store.apply(event({ atMs: T0 + 100 + i, debitAccountId: `cold-${i}`, creditAccountId: `sink-${i}` }));
    const stats = store.stats();
    expect(stats.keys).toBeLessThanOrEqual(10);
    expect(stats.heldEvents).toBeLessThanOrEqual(40);
    // 'hot' was recorded least recently, so it went first and reads as an account without history.
    expect(store.compute(event({ atMs: T0 + 200, debitAccountId: 'hot' })).account_out_count_30d).toBe(0);
    expect(store.compute(event({ atMs: T0 + 200, debitAccountId: 'cold-29', creditAccountId: 'x' })).account_out_count_30d).toBe(1);
  });

  it('forgets the oldest ids beyond its bound, and sweeps keys with nothing left in the longest window', () => {
    const store = createFeatureStore({ ...FEATURES_LIMITS, recentIdsMax: 3 });
    const events = [0, 1, 2, 3].map((i) => event({ id: `id-${i}`, atMs: T0 + i, debitAccountId: `sweep-${i}`, creditAccountId: 'sweep-sink' }));
    for (const each of events) expect(store.apply(each)).toBe(true);
    // id-0 is forgotten (the bound is three), so it counts again; id-3 is remembered.
    expect(store.apply(events[0] as RiskEvent)).toBe(true);
    expect(store.apply(events[3] as RiskEvent)).toBe(false);
    expect(store.compute(event({ atMs: T0 + 10, debitAccountId: 'sweep-0' })).account_out_count_30d).toBe(2);
    const keys = store.stats().keys;
    store.apply(event({ id: 'late', atMs: T0 + WINDOW_30D_MS + 2, debitAccountId: 'sweep-1', creditAccountId: 'sweep-late' }));
    // sweep-0, sweep-2, sweep-3 and the sink hold nothing younger than 30 days; sweep-1 and sweep-late do.
    expect(store.sweep(T0 + WINDOW_30D_MS + 3)).toBe(4);
    expect(store.stats().keys).toBe(keys + 1 - 4);
    expect(store.compute(event({ atMs: T0 + WINDOW_30D_MS + 3, debitAccountId: 'sweep-1' })).account_out_count_30d).toBe(1);
  });

  it('counts an event recorded twice once', () => {
    const store = createFeatureStore();
    const once = event({ atMs: T0 });
    expect(store.apply(once)).toBe(true);
    expect(store.apply(once)).toBe(false);
    expect(store.compute(event({ atMs: T0 + 1 })).account_out_count_1m).toBe(1);
  });

  it('exposes external scores for both sides, 0 for accounts never scored', () => {
    const store = createFeatureStore();
    store.setScore('mule_score', 'payee', 0.9);
    const vector = store.compute(event({ atMs: T0 }));
    expect([vector.mule_score, vector.counterparty_mule_score]).toEqual([0, 0.9]);
  });
});
