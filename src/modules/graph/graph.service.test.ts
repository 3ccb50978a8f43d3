import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { describeEachDialect } from '../../../test/support/databases.ts';
import { createManualClock, type ManualClock } from '../../kernel/index.ts';
import { createPlatform, type Platform } from '../../platform.ts';
import type { RiskEvent } from '../features/index.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';
import { insertEventEdges } from './graph.repository.ts';
import { GRAPH_SCORING } from './graph.scoring.ts';
import { createGraphService, type ScanSummary } from './graph.service.ts';
import { DAY_MS, HOUR_MS, plantedWorld, T0 } from './graph.test-support.ts';
import type { GraphEdge } from './graph.ts';

const RING = ['r1', 'r2', 'r3', 'r4'];
const WINDOW = { sinceMs: T0 - DAY_MS, untilMs: T0 + 31 * DAY_MS };

const toEvent = (edge: GraphEdge, index: number): RiskEvent => ({
  id: `event-${index}`, atMs: edge.atMs, amountMinor: edge.amountMinor, currency: 'CNY', debitAccountId: edge.source, creditAccountId: edge.target,
  ...(RING.includes(edge.source) ? { debitPartyId: `party-${edge.source}` } : {}),
  ...(RING.includes(edge.target) ? { creditPartyId: `party-${edge.target}` } : {}),
  ...(edge.source.startsWith('victim') ? { deviceId: 'device-shared' } : {}),
});

describeEachDialect('mule-ring detection service', ({ open, dialect }) => {
  let platform: Platform;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = createManualClock(T0 + 31 * DAY_MS);
    platform = await createPlatform({ db: await open(), clock, expiryIntervalMs: 0 });
    const events = plantedWorld().map(toEvent);
    await Promise.all(events.map((event) => platform.graph.observe(event)));
    // A retry of an event already seen is kept once.
    await platform.graph.observe(events[0] as RiskEvent);
  });
  afterAll(async () => platform?.close());

  it('scans a window, scores its accounts and opens one case for the ring, linking its members, parties and the transfers among them', async () => {
    const scanned = await platform.graph.scan(WINDOW);
    if (!scanned.ok) throw new Error(scanned.error);
    expect(scanned.value.scan.edges).toBe(plantedWorld().length);
    const ringAlerts = scanned.value.alerted.filter((item) => item.ring.accountIds.some((id) => RING.includes(id)));
    expect(ringAlerts).toHaveLength(1);
    const caseId = ringAlerts[0]?.caseId as string;
    const view = await platform.cases.get(caseId);
    expect(view?.case).toMatchObject({ source: 'graph', status: 'open', alertCount: 1 });
    expect(view?.alerts[0]).toMatchObject({ kind: 'graph:mule_ring', source: 'graph' });
    const linked = (kind: string) => view?.links.filter((link) => link.kind === kind).map((link) => link.refId) ?? [];
    expect(linked('account')).toEqual(expect.arrayContaining(RING));
    expect(linked('party')).toEqual(expect.arrayContaining(RING.map((id) => `party-${id}`)));

    // The transfers among the ring's members are linked too: the events whose payer and payee are both in the ring.
    const members = new Set(ringAlerts[0]?.ring.accountIds);
    const ringTransfers = plantedWorld().map(toEvent).filter((event) => members.has(event.debitAccountId) && members.has(event.creditAccountId)).map((event) => event.id);
    expect(ringTransfers.length).toBeGreaterThanOrEqual(20);
    expect(linked('transfer').sort()).toEqual([...ringTransfers].sort());
    expect(view?.alerts[0]?.transferIds.slice().sort()).toEqual([...ringTransfers].sort());
    expect(view?.alerts[0]?.details).toMatchObject({ members: members.size, edge_count: ringTransfers.length, threshold: GRAPH_SCORING.alertThreshold, transfers_linked: ringTransfers.length });
    expect(view?.case).toMatchObject({ kind: 'graph:mule_ring', titleValues: { members: members.size } });
  });

  it('adds nothing to the case when a rescan finds the ring unchanged, and adds an alert once it gains transfers, linking payments as payments', async () => {
    const first = (await platform.graph.scan(WINDOW)) as { ok: true; value: ScanSummary };
    const ringCase = first.value.alerted.find((item) => item.ring.accountIds.includes('r1'));
    const caseId = ringCase?.caseId as string;
    const before = await platform.cases.get(caseId);
    for (let scan = 0; scan < 2; scan++) {
      clock.advance(10 * 60 * 1000);
      const again = await platform.graph.scan(WINDOW);
      if (!again.ok) throw new Error(again.error);
      expect(again.value.alerted.find((item) => item.ring.accountIds.includes('r1'))).toMatchObject({ caseId, alertId: ringCase?.alertId });
    }
    const unchanged = await platform.cases.get(caseId);
    expect(unchanged?.case.alertCount).toBe(before?.case.alertCount);
    expect(unchanged?.alerts.map((alert) => alert.id)).toEqual(before?.alerts.map((alert) => alert.id));
    expect(unchanged?.audit).toEqual(before?.audit);

    // One more round of money through the ring: something new, so the case gets an alert naming it.
    // Two hops are payments, whose ids are UETRs: they are linked as payments, not as transfers.
    const round = [['victim9', 'r1'], ['r1', 'r2'], ['r2', 'r3'], ['r3', 'r4'], ['r4', 'r1']] as const;
    await Promise.all(round.map(([from, to], hop) => platform.graph.observe({
      id: hop === 2 ? 'ring-more' : `ring-more-${hop}`, atMs: T0 + 28 * DAY_MS + hop * HOUR_MS, amountMinor: 100_000n - BigInt(hop) * 2_000n, currency: 'CNY', debitAccountId: from, creditAccountId: to,
      ...(hop >= 3 ? { payment: true } : {}),
    })));
    const grown = await platform.graph.scan(WINDOW);
    if (!grown.ok) throw new Error(grown.error);
    const added = await platform.cases.get(caseId);
    expect(added?.case.alertCount).toBe((before?.case.alertCount ?? 0) + 1);
    expect(added?.audit.map((entry) => entry.action)).toEqual([...(before?.audit ?? []).map((entry) => entry.action), 'alert_added']);
    expect(added?.alerts.at(-1)?.transferIds).toContain('ring-more');
    expect(added?.links.filter((link) => link.kind === 'transfer').map((link) => link.refId)).toContain('ring-more');
    expect(added?.alerts.at(-1)?.paymentIds.slice().sort()).toEqual(['ring-more-3', 'ring-more-4']);
    expect(added?.links.filter((link) => link.kind === 'payment').map((link) => link.refId).sort()).toEqual(['ring-more-3', 'ring-more-4']);
    expect(added?.links.map((link) => link.refId).filter((id) => id.startsWith('ring-more-')).length).toBe(3);
    await platform.db.run("DELETE FROM graph_edges WHERE id LIKE 'ring-more%'");
    await platform.graph.scan(WINDOW);
  });

  it('answers scores from memory, explains them, and hands them to the features', async () => {
    const ringScore = platform.graph.scoreOf('r2');
    expect(ringScore).toBeGreaterThanOrEqual(GRAPH_SCORING.alertThreshold);
    expect(platform.graph.scoreOf('merchant')).toBeLessThan(ringScore);
    expect(platform.graph.scoreOf('never-seen')).toBe(0);
    const stored = await platform.graph.account('r2');
    expect(stored?.scoreBp).toBe(Math.round(ringScore * 10_000));
    expect(stored?.signals.map((reading) => reading.signal)).toContain('pass_through');
    expect(stored?.ringKey).toMatch(/^[0-9a-f]{32}$/);
    expect(platform.features.accountFeatures('r2').mule_score).toBe(ringScore);
  });

  it('keeps the scores of the latest scan across a restart', async () => {
    const restarted = createGraphService({ db: platform.db, clock });
    await restarted.start();
    expect(restarted.scoreOf('r2')).toBe(platform.graph.scoreOf('r2'));
    expect(restarted.stats().scoredAccounts).toBe(platform.graph.stats().scoredAccounts);
  });

  it('refuses an empty window and one longer than the limit', async () => {
    expect(await platform.graph.scan({ sinceMs: WINDOW.untilMs, untilMs: WINDOW.untilMs })).toEqual({ ok: false, error: 'window_empty' });
    expect(await platform.graph.scan({ sinceMs: WINDOW.untilMs - GRAPH_LIMITS.scanWindowMaxMs - 1, untilMs: WINDOW.untilMs })).toEqual({ ok: false, error: 'window_too_long' });
  });

  it('draws the accounts and money around an account, within its bounds', async () => {
    const drawn = await platform.graph.neighbourhood(['r1'], 1, 100);
    expect(drawn.nodes.find((node) => node.id === 'r1')).toMatchObject({ seed: true, depth: 0 });
    expect(drawn.nodes.map((node) => node.id)).toEqual(expect.arrayContaining(['r2', 'r4', 'victim0']));
    const r1ToR2 = drawn.edges.find((edge) => edge.source === 'r1' && edge.target === 'r2');
    const planted = plantedWorld().filter((edge) => edge.source === 'r1' && edge.target === 'r2');
    expect(r1ToR2).toMatchObject({ count: planted.length, amountMinor: planted.reduce((sum, edge) => sum + edge.amountMinor, 0n) });
    expect(drawn.truncated).toBe(false);
    const small = await platform.graph.neighbourhood(['r1'], 2, 3);
    expect(small.nodes.length).toBeLessThanOrEqual(3);
    expect(small.truncated).toBe(true);
    const seedsOnly = await platform.graph.neighbourhood(['r1', 'r2'], 0, 100);
    expect(seedsOnly.nodes.map((node) => node.id).sort()).toEqual(['r1', 'r2']);
    expect(seedsOnly.edges.map((edge) => `${edge.source}>${edge.target}`)).toEqual(['r1>r2']);
  });

  it('gathers observed events into batched writes: a scan and a stop write whatever is waiting', async () => {
    const graph = createGraphService({ db: platform.db, clock });
    const base = clock.nowMs() - DAY_MS;
    const stored = async () => Number((await platform.db.get<{ n: bigint }>("SELECT COUNT(*) AS n FROM graph_edges WHERE id LIKE 'batched-%'"))?.n ?? 0);
    const observed = (from: number, count: number) => Array.from({ length: count }, (_, i) => graph.observe({
      id: `batched-${from + i}`, atMs: base + from + i, amountMinor: 10n, currency: 'CNY', debitAccountId: `b-${(from + i) % 7}`, creditAccountId: `b-${(from + i + 1) % 7}`,
      deviceId: 'd'.repeat(GRAPH_LIMITS.idMaxLength + 5),
    }));
    const first = observed(0, 30);
    const scanned = await graph.scan({ sinceMs: base, untilMs: base + 1_000 });
    if (!scanned.ok) throw new Error(scanned.error);
    expect(scanned.value.scan.edges).toBe(30);
    await Promise.all(first);
    const second = observed(30, 30);
    await graph.stop();
    await Promise.all(second);
    expect(await stored()).toBe(60);
    expect(graph.stats()).toMatchObject({ queuedEvents: 0, failedEvents: 0 });
    // Ids are cut to their bound.
    const device = await platform.db.get<{ device_id: string }>("SELECT device_id FROM graph_edges WHERE id = 'batched-0'");
    expect(device?.device_id).toHaveLength(GRAPH_LIMITS.idMaxLength);
    await platform.db.run("DELETE FROM graph_edges WHERE id LIKE 'batched-%'");
  });

  /** Limits under which a handful of edges make runs and merges. */
  const tinyRuns = { tailMaxEdges: 4, mergeFanIn: 2, levelBaseEntries: 2, mergeWorkPerEntry: 1, mergeStepMinEntries: 1 };
  /** Edges with these ids in the SQLite index's tail (0 on PostgreSQL, which has none). */
  const inTail = async (like: string) => dialect === 'sqlite'
    ? Number((await platform.db.get<{ n: bigint }>('SELECT COUNT(*) AS n FROM graph_edges WHERE id LIKE ? AND rowid > (SELECT indexed_through FROM graph_edge_index_state)', [like]))?.n)
    : 0;

  it('indexes written edges by account as sorted runs on SQLite, writes them indexed on PostgreSQL; the neighbourhood sees every edge', async () => {
    const graph = createGraphService({ db: platform.db, clock, edgeIndexStepEntries: 64, edgeRunLimits: tinyRuns });
    // Its start indexes what is in the tail already (the planted world's edges), as after an import.
    await graph.start();
    await vi.waitFor(async () => expect(await inTail('%')).toBeLessThan(tinyRuns.tailMaxEdges));
    const base = clock.nowMs() - DAY_MS;
    const observe = (from: number, count: number) => Promise.all(Array.from({ length: count }, (_, i) => graph.observe({
      id: `deferred-${from + i}`, atMs: base + from + i, amountMinor: BigInt(from + i + 1), currency: 'CNY', debitAccountId: `d-${(from + i) % 3}`, creditAccountId: `d-${(from + i + 1) % 3}`,
    })));
    const drawn = async () => {
      const seen = await graph.neighbourhood(['d-0', 'd-1'], 1, 10);
      return seen.edges.map((edge) => `${edge.source}>${edge.target} ${edge.count} ${edge.amountMinor}`).sort();
    };
    // What 21 edges among d-0, d-1 and d-2 (i → i+1, modulo 3) must draw: every edge touches d-0 or d-1.
    const expected = (count: number) => {
      const folded = new Map<string, { count: number; sum: bigint }>();
      for (let i = 0; i < count; i++) {
        const key = `d-${i % 3}>d-${(i + 1) % 3}`;
        const known = folded.get(key) ?? { count: 0, sum: 0n };
        folded.set(key, { count: known.count + 1, sum: known.sum + BigInt(i + 1) });
      }
      return [...folded].map(([key, { count: n, sum }]) => `${key} ${n} ${sum}`).sort();
    };
    await observe(0, 3);
    expect(await inTail('%')).toBeLessThan(tinyRuns.tailMaxEdges);
    expect(await drawn()).toEqual(expected(3));
    await observe(3, 18);
    // Runs were written and merged; the tail is short.
    expect(await inTail('%')).toBeLessThan(tinyRuns.tailMaxEdges);
    expect(await drawn()).toEqual(expected(21));
    if (dialect === 'sqlite') {
      const runs = await platform.db.get<{ n: bigint; entries: bigint }>('SELECT COUNT(*) AS n, SUM(entries) AS entries FROM graph_edge_runs');
      expect(Number(runs?.entries)).toBeGreaterThanOrEqual(2 * (21 - tinyRuns.tailMaxEdges));
    }
    await graph.stop();
    expect(await drawn()).toEqual(expected(21));
    await platform.db.run("DELETE FROM graph_edges WHERE id LIKE 'deferred-%'");
  });

  it('takes smaller index steps while a step takes longer than its target, and still indexes every edge', async () => {
    if (dialect !== 'sqlite') return;
    const db = platform.db;
    // Every step takes 50 ms by this timer: six times the target. No merges, so runs keep the size they were written at.
    let now = 0;
    const limits = { tailMaxEdges: 64, mergeFanIn: 1000, levelBaseEntries: 1_000_000, mergeWorkPerEntry: 4, mergeStepMinEntries: 1 };
    const graph = createGraphService({ db, clock, edgeIndexStepEntries: 4096, edgeRunLimits: limits, stepTimer: () => (now += 25) });
    const before = Number((await db.get<{ run: bigint }>('SELECT COALESCE(MAX(run), 0) AS run FROM graph_edge_runs'))?.run);
    const base = clock.nowMs() - DAY_MS;
    // Written as an import writes them, all in the tail; the start indexes them.
    await db.transaction((tx) => insertEventEdges(tx, Array.from({ length: 2 * 4096 }, (_, i) => ({
      id: `paced-${i}`, atMs: base + i, amountMinor: 1n, currency: 'CNY', debitAccountId: `p-${i % 50}`, creditAccountId: `p-${(i + 7) % 50}`,
    })), GRAPH_LIMITS.idMaxLength));
    await graph.start();
    await vi.waitFor(async () => expect(await inTail('paced-%')).toBeLessThan(limits.tailMaxEdges), { timeout: 10_000 });
    await graph.stop();
    const written = (await db.all<{ entries: bigint }>('SELECT entries FROM graph_edge_runs WHERE run > ? ORDER BY run', [before])).map((row) => Number(row.entries));
    // Halved after each full step, down to the least (two entries an edge).
    expect(written.slice(0, 4)).toEqual([4096, 2048, 1024, GRAPH_LIMITS.edgeIndexStepEntriesMin]);
    expect(Math.max(...written.slice(3))).toBe(GRAPH_LIMITS.edgeIndexStepEntriesMin);
    // As many as it takes: every edge but a short tail is in a run.
    expect(await inTail('paced-%')).toBeLessThan(limits.tailMaxEdges);
    expect(written.reduce((sum, entries) => sum + entries, 0)).toBeGreaterThanOrEqual(2 * (2 * 4096 - limits.tailMaxEdges));
    await db.run("DELETE FROM graph_edges WHERE id LIKE 'paced-%'");
  });

  it('indexes what an import left in the tail from its start, in the background; a stop ends that and the next start goes on', async () => {
    if (dialect !== 'sqlite') return;
    const db = platform.db;
    const base = clock.nowMs() - DAY_MS;
    await db.transaction((tx) => insertEventEdges(tx, Array.from({ length: 3000 }, (_, i) => ({
      id: `imported-${i}`, atMs: base + i, amountMinor: 1n, currency: 'CNY', debitAccountId: `i-${i % 40}`, creditAccountId: `i-${(i + 3) % 40}`,
    })), GRAPH_LIMITS.idMaxLength));
    const limits = { ...tinyRuns, tailMaxEdges: 64 };
    const first = createGraphService({ db, clock, edgeIndexStepEntries: 16, edgeRunLimits: limits });
    await first.start();
    await first.stop();
    // Steps of 8 edges: a stop at once leaves most of them waiting, and they are still drawn.
    expect(await inTail('imported-%')).toBeGreaterThan(1000);
    expect((await first.neighbourhood(['i-0'], 1, 10)).edges.reduce((sum, edge) => sum + edge.count, 0)).toBe(150);
    const second = createGraphService({ db, clock, edgeIndexStepEntries: 4096, edgeRunLimits: limits });
    await second.start();
    await vi.waitFor(async () => expect(await inTail('%')).toBeLessThan(limits.tailMaxEdges), { timeout: 10_000 });
    await second.stop();
    expect((await second.neighbourhood(['i-0'], 1, 10)).edges.reduce((sum, edge) => sum + edge.count, 0)).toBe(150);
    await db.run("DELETE FROM graph_edges WHERE id LIKE 'imported-%'");
  });

  it('writes the edges even when indexing them fails, and still draws them', async () => {
    const graph = createGraphService({ db: platform.db, clock, edgeRunLimits: { ...tinyRuns, tailMaxEdges: 2 }, stepTimer: () => {
      throw new Error('index full');
    } });
    const atMs = clock.nowMs() - DAY_MS;
    await Promise.all([0, 1, 2].map((i) => graph.observe({ id: `unmoved-${i}`, atMs: atMs + i, amountMinor: 5n, currency: 'CNY', debitAccountId: 'u-a', creditAccountId: 'u-b' })));
    await graph.stop();
    expect(graph.stats()).toMatchObject({ queuedEvents: 0, failedEvents: 0 });
    expect(await inTail('unmoved-%')).toBe(dialect === 'sqlite' ? 3 : 0);
    const drawn = await graph.neighbourhood(['u-a'], 1, 10);
    expect(drawn.edges).toEqual([expect.objectContaining({ source: 'u-a', target: 'u-b', count: 3, amountMinor: 15n })]);
    await platform.db.run("DELETE FROM graph_edges WHERE id LIKE 'unmoved-%'");
  });

  it('counts the events whose write failed, and rejects their observers', async () => {
    const failing = { ...platform.db, transaction: () => Promise.reject(new Error('disk gone')) };
    const graph = createGraphService({ db: failing, clock });
    const event: RiskEvent = { id: 'never-written', atMs: clock.nowMs(), amountMinor: 1n, currency: 'CNY', debitAccountId: 'a', creditAccountId: 'b' };
    await expect(graph.observe(event)).rejects.toThrow('disk gone');
    expect(graph.stats()).toMatchObject({ queuedEvents: 0, failedEvents: 1 });
  });

  it('forgets edges older than the retention at the next scan', async () => {
    clock.advance(GRAPH_LIMITS.edgeRetentionMs);
    const later = await platform.graph.scan({ sinceMs: clock.nowMs() - GRAPH_LIMITS.scanWindowMaxMs, untilMs: clock.nowMs() });
    if (!later.ok) throw new Error(later.error);
    expect(later.value.scan.edges).toBe(0);
    expect((await platform.graph.neighbourhood(['r1'], 1, 100)).edges).toEqual([]);
    // Accounts that fell out of the window are handed on with a score of 0.
    expect(platform.features.accountFeatures('r2').mule_score).toBe(0);
  });
});
