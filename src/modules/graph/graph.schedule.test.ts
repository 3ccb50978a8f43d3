import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { migrate, type Database } from '../../db/index.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { createPlatform } from '../../platform.ts';
import { graphMigrations } from './graph.migrations.ts';
import { loadScanLease } from './graph.schedule.ts';
import { createGraphService, type GraphService } from './graph.service.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';
import { DAY_MS, plantedWorld, T0 } from './graph.test-support.ts';

const INTERVAL_MS = 10 * 60 * 1000;

describeEachDialect('scheduled mule-ring scans', ({ open }) => {
  let db: Database;
  let clock: ManualClock;
  const services: GraphService[] = [];
  const service = (holder: string, scanIntervalMs = INTERVAL_MS) => {
    const made = createGraphService({ db, clock, scanIntervalMs, scanHolder: holder });
    services.push(made);
    return made;
  };
  const scansRecorded = async () => Number((await db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM graph_scans'))?.n ?? 0);

  beforeAll(async () => {
    db = await open();
    await migrate(db, graphMigrations);
    clock = createManualClock(T0 + 31 * DAY_MS);
    const writer = createGraphService({ db, clock });
    await Promise.all(plantedWorld().map((edge, index) => writer.observe({
      id: `event-${index}`, atMs: edge.atMs, amountMinor: edge.amountMinor, currency: 'CNY', debitAccountId: edge.source, creditAccountId: edge.target,
    })));
    await writer.stop();
  });
  afterEach(async () => {
    await Promise.all(services.splice(0).map((made) => made.stop()));
    // Every test starts from a lease that is due now.
    await db.run('UPDATE graph_scan_lease SET holder = NULL, taken_at_ms = NULL, expires_at_ms = 0');
  });
  afterAll(async () => db?.close());

  it('scans when the scan is due, then not again until the interval has passed', async () => {
    const graph = service('a');
    expect(await graph.scheduledScan()).toBe('scanned');
    expect(graph.scoreOf('r2')).toBeGreaterThan(0);
    expect(await loadScanLease(db)).toMatchObject({ holder: 'a', takenAtMs: clock.nowMs(), expiresAtMs: clock.nowMs() + INTERVAL_MS, scannedAtMs: clock.nowMs() });
    expect(await graph.scheduledScan()).toBe('not_due');
    clock.advance(INTERVAL_MS - 1);
    expect(await graph.scheduledScan()).toBe('not_due');
    clock.advance(1);
    expect(await graph.scheduledScan()).toBe('scanned');
    expect(graph.stats()).toMatchObject({ scheduledScans: 2, scheduledScanFailures: 0 });
  });

  it('skips a tick while a scan of its own runs, scheduled or asked for', async () => {
    const graph = service('a');
    const first = graph.scheduledScan();
    expect(await graph.scheduledScan()).toBe('busy');
    expect(await first).toBe('scanned');
    clock.advance(INTERVAL_MS);
    const asked = graph.scan({ sinceMs: T0 - DAY_MS });
    expect(await graph.scheduledScan()).toBe('busy');
    expect((await asked).ok).toBe(true);
    expect(graph.stats().scheduledScans).toBe(1);
  });

  it('puts the next scheduled scan an interval after a scan asked for', async () => {
    const graph = service('a');
    const scanned = await graph.scan({ sinceMs: T0 - DAY_MS });
    expect(scanned.ok).toBe(true);
    expect(await graph.scheduledScan()).toBe('not_due');
    clock.advance(INTERVAL_MS);
    expect(await graph.scheduledScan()).toBe('scanned');
  });

  it('lets a scan asked for wait for a scheduled scan in flight instead of refusing it', async () => {
    const graph = service('a');
    const scheduled = graph.scheduledScan();
    const asked = await graph.scan({ sinceMs: T0 - DAY_MS });
    expect(await scheduled).toBe('scanned');
    expect(asked.ok).toBe(true);
  });

  it('has two services on one database scan once per interval between them', async () => {
    const a = service('a');
    const b = service('b');
    const before = await scansRecorded();
    for (let interval = 0; interval < 3; interval++) {
      // Both look at the same moment, and again a little later within the interval.
      const outcomes = await Promise.all([a.scheduledScan(), b.scheduledScan()]);
      expect(outcomes.filter((outcome) => outcome === 'scanned')).toHaveLength(1);
      expect(outcomes.filter((outcome) => outcome === 'not_due')).toHaveLength(1);
      clock.advance(INTERVAL_MS / 2);
      expect(await Promise.all([b.scheduledScan(), a.scheduledScan()])).toEqual(['not_due', 'not_due']);
      clock.advance(INTERVAL_MS / 2);
    }
    expect((await scansRecorded()) - before).toBe(3);
    expect(a.stats().scheduledScans + b.stats().scheduledScans).toBe(3);
  });

  it('gives the lease back when a scan fails, so the next look tries again', async () => {
    const errors: unknown[] = [];
    const failing = createGraphService({
      db: { ...db, transaction: () => Promise.reject(new Error('disk gone')) }, clock, scanIntervalMs: INTERVAL_MS, scanHolder: 'failing', onScanError: (error) => errors.push(error),
    });
    services.push(failing);
    expect(await failing.scheduledScan()).toBe('failed');
    expect(errors).toHaveLength(1);
    expect(failing.stats().scheduledScanFailures).toBe(1);
    expect(await service('b').scheduledScan()).toBe('scanned');
  });

  it('is off at 0, and stops with stop(), waiting for a scan in flight', async () => {
    const off = service('off', 0);
    expect(await off.scheduledScan()).toBe('off');
    expect(await loadScanLease(db)).toMatchObject({ holder: null, expiresAtMs: 0 });
    const graph = service('a');
    const inFlight = graph.scheduledScan();
    let settled = false;
    void inFlight.then(() => (settled = true));
    await graph.stop();
    expect(settled).toBe(true);
    expect(await inFlight).toBe('scanned');
    clock.advance(INTERVAL_MS);
    expect(await graph.scheduledScan()).toBe('off');
  });

  it('looks at the schedule on a timer once started, and no more once stopped', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const graph = service('timed');
      await graph.start();
      vi.advanceTimersByTime(Math.min(INTERVAL_MS, GRAPH_LIMITS.scanCheckMaxMs));
      await vi.waitFor(() => expect(graph.stats().scheduledScans).toBe(1));
      await graph.stop();
      clock.advance(INTERVAL_MS);
      vi.advanceTimersByTime(INTERVAL_MS);
      expect(await loadScanLease(db)).toMatchObject({ holder: 'timed', takenAtMs: clock.nowMs() - INTERVAL_MS });
      expect(graph.stats().scheduledScans).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('is wired by the platform option, off when background work is off, and stopped when the platform closes', async () => {
    const quiet = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
    expect(await quiet.graph.scheduledScan()).toBe('off');
    await quiet.close();
    const scheduled = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0, graphScanIntervalMs: INTERVAL_MS });
    expect(await scheduled.graph.scheduledScan()).toBe('scanned');
    expect(await scheduled.graph.scheduledScan()).toBe('not_due');
    await scheduled.close();
    expect(await scheduled.graph.scheduledScan()).toBe('off');
  });
});
