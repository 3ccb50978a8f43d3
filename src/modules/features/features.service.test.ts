import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate, type Database } from '../../db/index.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import type { FeatureVector, RiskEvent } from './features.event.ts';
import { WINDOW_1H_MS, WINDOW_30D_MS } from './features.limits.ts';
import { featuresMigrations } from './features.migrations.ts';
import { headSeq, insertEvents } from './features.repository.ts';
import { createFeaturesService, type FeaturesService } from './features.service.ts';

const T0 = Date.UTC(2026, 0, 1);
let counter = 0;
const event = (clock: ManualClock, over: Partial<RiskEvent> = {}): RiskEvent => ({
  id: `evt-${(counter += 1)}`, atMs: clock.nowMs(), amountMinor: 100n, currency: 'CNY', debitAccountId: 'payer', creditAccountId: 'payee', ...over,
});

/** Floats within a part in 10^9, everything else exactly: replaying may add the same numbers in another order. */
function expectSameFeatures(actual: FeatureVector, expected: FeatureVector): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  for (const [name, value] of Object.entries(expected)) {
    if (typeof value === 'number' && !Number.isInteger(value)) expect(actual[name] as number, name).toBeCloseTo(value, 9);
    else expect(actual[name], name).toBe(value);
  }
}

describeEachDialect('features service', ({ open }) => {
  let db: Database;
  let clock: ManualClock;
  const started: FeaturesService[] = [];
  const startService = async (): Promise<FeaturesService> => {
    const service = createFeaturesService({ db, clock, pollIntervalMs: 0 });
    await service.start();
    started.push(service);
    return service;
  };

  beforeAll(async () => {
    db = await open();
    await migrate(db, featuresMigrations);
    clock = createManualClock(T0);
  });
  afterAll(async () => {
    for (const service of started) await service.stop();
    await db.close();
  });

  it('counts an event exactly one window old as outside, one millisecond younger as inside (moving the clock)', async () => {
    const service = await startService();
    await service.record(event(clock, { debitAccountId: 'edge', amountMinor: 250n }));
    clock.advance(WINDOW_1H_MS - 1);
    expect(service.accountFeatures('edge')).toMatchObject({ account_out_count_1h: 1, account_out_sum_1h: 250, account_out_count_24h: 1 });
    clock.advance(1);
    expect(service.accountFeatures('edge')).toMatchObject({ account_out_count_1h: 0, account_out_sum_1h: 0, account_out_count_24h: 1 });
    clock.set(T0 + WINDOW_30D_MS - 1);
    expect(service.accountFeatures('edge').account_out_count_30d).toBe(1);
    clock.advance(1);
    expect(service.accountFeatures('edge').account_out_count_30d).toBe(0);
    clock.set(T0);
  });

  it('restores the same feature values after a restart, by replaying the table', async () => {
    const first = await startService();
    const pending: Promise<void>[] = [];
    for (let i = 0; i < 60; i += 1) {
      clock.advance(37_000);
      pending.push(first.record(event(clock, { debitAccountId: `r-${i % 4}`, creditAccountId: `r-${(i * 3 + 1) % 5}`, amountMinor: BigInt(100 + i * i), debitPartyId: 'party-r', deviceId: i % 2 ? 'device-r' : undefined })));
    }
    await Promise.all(pending);
    await first.stop();
    clock.advance(1000);
    const second = await startService();
    const probes = [0, 1, 2, 3].map((i) => event(clock, { debitAccountId: `r-${i}`, creditAccountId: 'r-4', amountMinor: 5000n, debitPartyId: 'party-r', deviceId: 'device-r' }));
    for (const probe of probes) expectSameFeatures(second.compute(probe), first.compute(probe));
    expect(second.compute(probes[0] as RiskEvent).account_out_count_1h).toBeGreaterThan(0);
  });

  it('lets two processes on one database learn each other\'s events by polling', async () => {
    const left = await startService();
    const right = await startService();
    await left.record(event(clock, { debitAccountId: 'shared', creditAccountId: 'x', amountMinor: 1_000n }));
    const probe = event(clock, { debitAccountId: 'shared', creditAccountId: 'x', amountMinor: 1n });
    expect(right.compute(probe).account_out_count_1m).toBe(0);
    expect(await right.poll()).toBe(1);
    expect(right.compute(probe).account_out_count_1m).toBe(1);
    await right.record(event(clock, { debitAccountId: 'shared', creditAccountId: 'y', amountMinor: 2_000n }));
    expect(await left.poll()).toBe(1);
    // A process does not count its own events a second time when it reads them back.
    expect(await right.poll()).toBe(0);
    expectSameFeatures(left.compute(probe), right.compute(probe));
    expect(left.compute(probe)).toMatchObject({ account_out_count_1m: 2, account_out_sum_1m: 3000, account_distinct_payees_24h: 2, pair_first_seen: false });
  });

  it('prunes events older than 30 days but remembers who paid whom', async () => {
    const service = await startService();
    await service.record(event(clock, { debitAccountId: 'old-payer', creditAccountId: 'old-payee' }));
    clock.advance(WINDOW_30D_MS + 1);
    const pruned = await service.prune();
    expect(pruned.events).toBeGreaterThan(0);
    const rows = await db.all('SELECT id FROM risk_feature_events WHERE at_ms <= ?', [clock.nowMs() - WINDOW_30D_MS]);
    expect(rows).toEqual([]);
    const restarted = await startService();
    const probe = event(clock, { debitAccountId: 'old-payer', creditAccountId: 'old-payee' });
    expect(restarted.compute(probe)).toMatchObject({ account_out_count_30d: 0, pair_first_seen: false });
    expect(restarted.compute({ ...probe, creditAccountId: 'someone-else' }).pair_first_seen).toBe(true);
  });

  it('writes a steady stream in few transactions, and writes everything still waiting when stopped', async () => {
    const lingering = createFeaturesService({ db, clock, pollIntervalMs: 0, limits: { writeLingerMs: 60_000 } });
    await lingering.start();
    const count = async () => Number((await db.get<{ n: bigint }>("SELECT COUNT(*) AS n FROM risk_feature_events WHERE debit_account_id LIKE 'stream-%'"))?.n ?? 0);
    // A lone event is written at once; those that follow wait for the linger, or for stop().
    await lingering.record(event(clock, { debitAccountId: 'stream-0' }));
    const waiting = Array.from({ length: 40 }, (_, i) => lingering.record(event(clock, { debitAccountId: `stream-${i % 3}`, creditAccountId: `stream-payee-${i}` })));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await count()).toBe(1);
    expect(lingering.stats().queued).toBe(40);
    // They count in this process's windows meanwhile.
    expect(lingering.accountFeatures('stream-1').account_out_count_1m).toBe(13);
    await lingering.stop();
    await Promise.all(waiting);
    expect(await count()).toBe(41);
    const restarted = await startService();
    expect(restarted.accountFeatures('stream-1').account_out_count_1m).toBe(13);
  });

  it('writes no pair while its event is held, and moves the pairs of pruned events to the pair table', async () => {
    const service = await startService();
    const pairRows = () => db.all("SELECT first_at_ms, last_at_ms FROM risk_feature_pairs WHERE debit_account_id = 'pair-payer'");
    const first = clock.nowMs();
    await service.record(event(clock, { debitAccountId: 'pair-payer', creditAccountId: 'pair-payee' }));
    clock.advance(5);
    await service.record(event(clock, { debitAccountId: 'pair-payer', creditAccountId: 'pair-payee' }));
    expect(await pairRows()).toEqual([]);
    // While the events are held, a restart remembers the pair from them.
    clock.advance(WINDOW_30D_MS - 6);
    expect((await startService()).compute(event(clock, { debitAccountId: 'pair-payer', creditAccountId: 'pair-payee' })).pair_first_seen).toBe(false);
    clock.advance(6);
    expect((await service.prune()).events).toBeGreaterThanOrEqual(2);
    expect(await pairRows()).toHaveLength(1);
    const [row] = (await pairRows()) as { first_at_ms: bigint; last_at_ms: bigint }[];
    expect([Number(row?.first_at_ms), Number(row?.last_at_ms)]).toEqual([first, first + 5]);
    const restarted = await startService();
    expect(restarted.compute(event(clock, { debitAccountId: 'pair-payer', creditAccountId: 'pair-payee' }))).toMatchObject({ account_out_count_30d: 0, pair_first_seen: false });
  });

  it('writes a batch of any size in statements of a few fixed sizes, numbering its rows in order', async () => {
    const before = await headSeq(db);
    const events = Array.from({ length: 1_127 }, (_, i) => event(clock, { id: `chunked-${i}`, debitAccountId: `chunked-${i % 9}` }));
    await db.transaction((tx) => insertEvents(tx, 'test-origin', events));
    const rows = await db.all<{ seq: bigint; id: string }>("SELECT seq, id FROM risk_feature_events WHERE id LIKE 'chunked-%' ORDER BY seq");
    expect(rows.map((row) => row.id)).toEqual(events.map((each) => each.id));
    expect(rows.map((row) => BigInt(row.seq) - before)).toEqual(events.map((_, i) => BigInt(i + 1)));
    await db.run("DELETE FROM risk_feature_events WHERE id LIKE 'chunked-%'");
  });

  it('rejects record when its write fails, counts the failure, and keeps the event in memory', async () => {
    const failing: Database = { ...db, transaction: () => Promise.reject(new Error('disk gone')) };
    const service = createFeaturesService({ db: failing, clock, pollIntervalMs: 0 });
    await expect(service.record(event(clock, { debitAccountId: 'unwritten' }))).rejects.toThrow('disk gone');
    expect(service.stats()).toMatchObject({ failedEvents: 1, queued: 0 });
    expect(service.accountFeatures('unwritten').account_out_count_1m).toBe(1);
  });

  it('exposes external scores and refuses names that would shadow a feature', async () => {
    const service = await startService();
    expect(service.declareScore('mule_score', 'Mule-ring score from graph detection, 0..1').ok).toBe(true);
    expect(service.setAccountScore('mule_score', 'payer', 0.75).ok).toBe(true);
    expect(service.setAccountScore('account_out_count_1h', 'payer', 1)).toEqual({ ok: false, error: 'invalid_score_name' });
    expect(service.setAccountScore('Bad Name', 'payer', 1)).toEqual({ ok: false, error: 'invalid_score_name' });
    expect(service.setAccountScore('mule_score', 'payer', Number.NaN)).toEqual({ ok: false, error: 'invalid_score' });
    expect(service.compute(event(clock))).toMatchObject({ mule_score: 0.75, counterparty_mule_score: 0 });
    expect(service.accountFeatures('payer').mule_score).toBe(0.75);
    expect(service.describe().map((d) => d.name)).toEqual(expect.arrayContaining(['mule_score', 'counterparty_mule_score', 'pass_through_ratio_24h']));
  });
});
