import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { findCycles } from './graph.cycles.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';
import { buildGraph } from './graph.model.ts';
import { GRAPH_SCORING, isAlertable, scoreEdges } from './graph.scoring.ts';
import type { GraphEdge } from './graph.ts';
import { DAY_MS, edge, HOUR_MS, plantedWorld, T0 } from './graph.test-support.ts';

describe('mule-ring scoring', () => {
  it('finds a planted ring (cycle and pass-through) and groups it into one alerted ring', () => {
    const result = scoreEdges(plantedWorld());
    const score = (id: string) => result.scores.find((entry) => entry.accountId === id);
    for (const member of ['r1', 'r2', 'r3', 'r4']) {
      expect(score(member)?.score, member).toBeGreaterThanOrEqual(GRAPH_SCORING.alertThreshold);
      const signals = score(member)?.signals.map((reading) => reading.signal);
      expect(signals).toEqual(expect.arrayContaining(['cycles', 'pass_through']));
    }
    const alerted = result.rings.filter((ring) => isAlertable(ring));
    const ringsWithMembers = alerted.filter((ring) => ring.accountIds.some((id) => id.startsWith('r')));
    expect(ringsWithMembers).toHaveLength(1);
    expect(ringsWithMembers[0]?.accountIds).toEqual(expect.arrayContaining(['r1', 'r2', 'r3', 'r4']));
    // The explanation adds up: contributions sum to the score.
    const r2 = score('r2');
    expect(r2?.signals.reduce((sum, reading) => sum + reading.contribution, 0)).toBeCloseTo(r2?.score ?? -1, 3);
    expect(r2?.signals.find((reading) => reading.signal === 'cycles')?.values).toMatchObject({ shortest: 4 });
  });

  it('scores a merchant with many payers (fan-in, no pass-through) below every ring member', () => {
    const result = scoreEdges(plantedWorld());
    const score = (id: string) => result.scores.find((entry) => entry.accountId === id)?.score ?? 0;
    const merchant = result.scores.find((entry) => entry.accountId === 'merchant');
    expect(merchant?.signals.map((reading) => reading.signal)).toContain('fan_in');
    expect(merchant?.signals.map((reading) => reading.signal)).not.toContain('pass_through');
    expect(score('merchant')).toBeLessThan(GRAPH_SCORING.alertThreshold);
    expect(score('merchant')).toBeLessThan(Math.min(...['r1', 'r2', 'r3', 'r4'].map(score)));
  });

  it('sees split payments between one pair within a day', () => {
    const edges = [0, 1, 2, 3, 4].map((i) => edge('smurf', 'collector', 9_900n, T0 + i * HOUR_MS));
    edges.push(edge('a', 'b', 5_000n, T0), edge('a', 'b', 5_000n, T0 + 3 * DAY_MS));
    const result = scoreEdges(edges);
    const split = (id: string) => result.scores.find((entry) => entry.accountId === id)?.signals.find((reading) => reading.signal === 'split_transfers');
    expect(split('collector')?.values).toEqual({ most_in_window: 5 });
    expect(split('a')).toBeUndefined();
  });
});

describe('cycle search', () => {
  it('counts each short cycle once and ignores cycles longer than the bound', () => {
    const ring = (names: string[]) => names.map((name, i) => edge(name, names[(i + 1) % names.length] as string, 100n, T0 + i));
    const edges = [...ring(['a', 'b']), ...ring(['c', 'd', 'e']), ...ring(['f', 'g', 'h', 'i', 'j', 'k']), ...ring(['l', 'm', 'n', 'o', 'p', 'q', 'r'])];
    // A repeated transfer adds no cycle: cycles are over distinct payer → payee pairs.
    edges.push(edge('a', 'b', 100n, T0 + 100));
    const found = findCycles(buildGraph(edges), { lengthMax: 6, stepsPerStartMax: 1_000, stepsTotalMax: 100_000, rememberMax: 100 });
    expect(found.cycles).toBe(3);
    expect(found.remembered.map((cycle) => cycle.length).sort()).toEqual([2, 3, 6]);
    expect(found.truncated).toBe(false);
  });

  it('stops at its step budgets on a dense graph and says the counts are partial', () => {
    const names = Array.from({ length: 14 }, (_, i) => `n${i}`);
    const edges = names.flatMap((from, i) => names.filter((to) => to !== from).map((to, j) => edge(from, to, 100n, T0 + i * 100 + j)));
    const options = { lengthMax: GRAPH_LIMITS.cycleLengthMax, stepsPerStartMax: 500, stepsTotalMax: 3_000, rememberMax: 10 };
    const found = findCycles(buildGraph(edges), options);
    expect(found.truncated).toBe(true);
    // The total budget may be overrun by at most one start's budget: the start under way finishes its own.
    expect(found.steps).toBeLessThanOrEqual(options.stepsTotalMax + options.stepsPerStartMax);
    expect(found.remembered.length).toBeLessThanOrEqual(options.rememberMax);
    expect(found.cycles).toBeGreaterThan(0);
  });

  it('matches a brute-force count of cycles on small random graphs', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })), { maxLength: 25 }), (pairs) => {
        const edges = pairs.map(([from, to], i) => edge(`v${from}`, `v${to}`, 1n, T0 + i));
        const graph = buildGraph(edges);
        const found = findCycles(graph, { lengthMax: 4, stepsPerStartMax: 1_000_000, stepsTotalMax: 10_000_000, rememberMax: 0 });
        expect(found.cycles).toBe(bruteForceCycles(edges, 4));
      }),
      { numRuns: 200 },
    );
  });
});

/** Every simple directed cycle of at most `lengthMax` accounts, each counted once (by its sorted members and order). */
function bruteForceCycles(edges: readonly GraphEdge[], lengthMax: number): number {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (e.source !== e.target) next.set(e.source, (next.get(e.source) ?? new Set()).add(e.target));
  const seen = new Set<string>();
  const walk = (path: string[]) => {
    const last = path[path.length - 1] as string;
    for (const w of next.get(last) ?? []) {
      if (w === path[0] && path.length >= 2) {
        // Rotate so the smallest account leads: one key per cycle, whatever its starting point.
        const at = path.indexOf([...path].sort()[0] as string);
        seen.add([...path.slice(at), ...path.slice(0, at)].join('>'));
      } else if (!path.includes(w) && path.length < lengthMax) walk([...path, w]);
    }
  };
  for (const start of next.keys()) walk([start]);
  return seen.size;
}
