import { createHash } from 'node:crypto';
import { cyclesBeyondChance, findCycles, type CycleResult } from './graph.cycles.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';
import { buildGraph, type TransactionGraph } from './graph.model.ts';
import { measure, type Measurements, type SignalSettings } from './graph.signals.ts';
import type { AccountScore, GraphEdge, Ring, ScoringResult, SignalName, SignalReading } from './graph.ts';

const DAY_MS = 24 * 3600 * 1000;

/**
 * How measurements become a score. Each signal gets a strength in 0..1 and a weight; the score is
 * 1 − Π(1 − weight × strength) (a noisy OR): any one strong signal raises it, several together raise
 * it further, and it never exceeds 1. Fan-in and fan-out weigh least, because a busy merchant or a
 * payroll account has them too; what marks a mule is money that comes back (cycles), leaves as soon as
 * it arrives (pass-through), arrives or leaves in split pieces, or touches other flagged accounts.
 */
export const GRAPH_SCORING = Object.freeze({
  signals: {
    splitWindowMs: DAY_MS,
    passThroughWindowMs: 2 * DAY_MS,
    passThroughToleranceBp: 2_000,
    passThroughQueueMax: 1_000,
    splitMinTransfers: 3,
    splitAmountToleranceBp: 5_000,
    splitCompareMax: 64,
    passThroughShareMin: 0.5,
    passThroughLinkToleranceBp: 500,
  } satisfies SignalSettings,
  weights: {
    fan_in: 0.3,
    fan_out: 0.3,
    split_transfers: 0.8,
    cycles: 0.6,
    pass_through: 0.6,
    shared_devices: 0.5,
    flagged_counterparties: 0.5,
  } satisfies Record<SignalName, number>,
  /** Counterparties (weighted transfers) at which fan-in or fan-out reaches 63 % of full strength. */
  fanReference: 25,
  /** Split payments count from signals.splitMinTransfers transfers between one pair in one window, and are at full strength this many above it. */
  splitFullAbove: 3,
  /** Cycles beyond chance, weighted (a 2-cycle is 1, a 3-cycle 1/4, a 4-cycle 1/16, …), at which the cycle signal is at 63 %. */
  cycleReference: 1,
  /** Other payers on one device at which the device signal is full. */
  deviceSharersFull: 3,
  /** An account scoring at least this before neighbours are counted is a flagged counterparty. */
  flagThreshold: 0.55,
  /** Flagged counterparties at which that signal is full. */
  flaggedCounterpartiesFull: 3,
  /** Accounts scoring at least this are alerted, grouped into rings. */
  alertThreshold: 0.6,
  /**
   * An alerted account joined to no other stays unalerted below this score. On the AMLSim samples
   * most lone accounts above the ring threshold were busy honest accounts next to flagged ones
   * (see docs/risk-graph.md); a ring of two or more was mostly real.
   */
  loneAccountAlertThreshold: 0.8,
});

export type ScoringSettings = typeof GRAPH_SCORING;

const saturate = (value: number, reference: number) => 1 - Math.exp(-value / reference);
const clamp01 = (value: number) => Math.min(1, Math.max(0, value));

/** Strengths of the signals that need no neighbour scores, per account. */
function firstPass(graph: TransactionGraph, m: Measurements, cycles: CycleResult, settings: ScoringSettings) {
  const strengths = new Map<SignalName, Float64Array>();
  const of = (name: SignalName) => {
    let array = strengths.get(name);
    if (!array) strengths.set(name, (array = new Float64Array(graph.accountCount)));
    return array;
  };
  for (let a = 0; a < graph.accountCount; a++) {
    // Repeat transfers to one counterparty count half: fan-in is about many payers, not one payer many times.
    of('fan_in')[a] = saturate((m.inDistinct[a] as number) + ((m.inCount[a] as number) - (m.inDistinct[a] as number)) / 2, settings.fanReference);
    of('fan_out')[a] = saturate((m.outDistinct[a] as number) + ((m.outCount[a] as number) - (m.outDistinct[a] as number)) / 2, settings.fanReference);
    const split = (m.splitMax[a] as number) - settings.signals.splitMinTransfers + 1;
    of('split_transfers')[a] = split > 0 ? clamp01(split / (settings.splitFullAbove + 1)) : 0;
    of('cycles')[a] = saturate(cyclesBeyondChance(cycles, a, m.inDistinct[a] as number, m.outDistinct[a] as number, graph.accountCount, graph.succ.length).excess, settings.cycleReference);
    const share = m.forwardedShare[a] as number;
    // Forwarding similar amounts is the mark of a mule; forwarding other amounts counts half.
    of('pass_through')[a] = share >= settings.signals.passThroughShareMin ? share * ((m.similarForwards[a] as number) > 0 ? 1 : 0.5) : 0;
    of('shared_devices')[a] = clamp01((m.deviceSharers[a] as number) / settings.deviceSharersFull);
  }
  return strengths;
}

/** Distinct flagged accounts among each account's counterparties (either direction). */
function flaggedCounterparties(graph: TransactionGraph, flagged: Uint8Array): Int32Array {
  const result = new Int32Array(graph.accountCount);
  const seen = new Int32Array(graph.accountCount).fill(-1);
  for (let a = 0; a < graph.accountCount; a++) {
    let count = 0;
    for (let side = 0; side < 2; side++) {
      const start = side === 0 ? graph.outStart : graph.inStart;
      const edges = side === 0 ? graph.outEdges : graph.inEdges;
      const otherEnd = side === 0 ? graph.target : graph.source;
      for (let i = start[a] as number; i < (start[a + 1] as number); i++) {
        const b = otherEnd[edges[i] as number] as number;
        if (b !== a && flagged[b] && seen[b] !== a) {
          seen[b] = a;
          count += 1;
        }
      }
    }
    result[a] = count;
  }
  return result;
}

function valuesOf(graph: TransactionGraph, signal: SignalName, a: number, m: Measurements, cycles: CycleResult, flaggedNeighbours: Int32Array): Record<string, number> {
  const round3 = (value: number) => Math.round(value * 1000) / 1000;
  switch (signal) {
    case 'fan_in': return { distinct: m.inDistinct[a] as number, count: m.inCount[a] as number };
    case 'fan_out': return { distinct: m.outDistinct[a] as number, count: m.outCount[a] as number };
    case 'split_transfers': return { most_in_window: m.splitMax[a] as number };
    case 'cycles': {
      const chance = cyclesBeyondChance(cycles, a, m.inDistinct[a] as number, m.outDistinct[a] as number, graph.accountCount, graph.succ.length);
      return { cycles: cycles.count[a] as number, shortest: cycles.shortest[a] as number, expected_by_chance: round3(chance.expected), beyond_chance: round3(chance.excess) };
    }
    case 'pass_through': return { forwarded_share: m.forwardedShare[a] as number, similar_forwards: m.similarForwards[a] as number };
    case 'shared_devices': return { other_payers_on_device: m.deviceSharers[a] as number };
    case 'flagged_counterparties': return { flagged: flaggedNeighbours[a] as number };
  }
}

/** Scores every account of the edges, explains each score, and groups alerted accounts into rings. */
export function scoreEdges(edges: readonly GraphEdge[], settings: ScoringSettings = GRAPH_SCORING): ScoringResult {
  const graph = buildGraph(edges);
  const m = measure(graph, settings.signals);
  const cycles = findCycles(graph, {
    lengthMax: GRAPH_LIMITS.cycleLengthMax, stepsPerStartMax: GRAPH_LIMITS.cycleStepsPerStartMax, stepsTotalMax: GRAPH_LIMITS.cycleStepsTotalMax, rememberMax: GRAPH_LIMITS.cyclesRememberedMax,
  });
  const strengths = firstPass(graph, m, cycles, settings);
  const names = [...strengths.keys()];
  const columns = names.map((signal) => ({ signal, weight: settings.weights[signal], strength: strengths.get(signal) as Float64Array }));
  const flagged = new Uint8Array(graph.accountCount);
  for (let a = 0; a < graph.accountCount; a++) {
    let keep = 1;
    for (const column of columns) keep *= 1 - column.weight * (column.strength[a] as number);
    if (1 - keep >= settings.flagThreshold) flagged[a] = 1;
  }
  const flaggedNeighbours = flaggedCounterparties(graph, flagged);

  const scores: AccountScore[] = [];
  const flaggedColumn = { signal: 'flagged_counterparties' as const, weight: settings.weights.flagged_counterparties, strength: new Float64Array(graph.accountCount) };
  for (let a = 0; a < graph.accountCount; a++) flaggedColumn.strength[a] = clamp01((flaggedNeighbours[a] as number) / settings.flaggedCounterpartiesFull);
  const all = [...columns, flaggedColumn];
  const logs = new Float64Array(all.length);
  for (let a = 0; a < graph.accountCount; a++) {
    // Each signal's share of the score is its share of −Σ ln(1 − w·s), so the shares add up to the score.
    let total = 0;
    all.forEach((column, i) => {
      logs[i] = -Math.log(Math.max(1e-12, 1 - column.weight * (column.strength[a] as number)));
      total += logs[i] as number;
    });
    const score = 1 - Math.exp(-total);
    const signals: SignalReading[] = [];
    all.forEach((column, i) => {
      const strength = column.strength[a] as number;
      if (strength <= 0) return;
      signals.push({ signal: column.signal, values: valuesOf(graph, column.signal, a, m, cycles, flaggedNeighbours), strength: round(strength), contribution: round((score * (logs[i] as number)) / total) });
    });
    signals.sort((x, y) => y.contribution - x.contribution);
    scores.push({ accountId: graph.accountIds[a] as string, score: round(score), signals });
  }
  return {
    scores,
    rings: ringsOf(graph, scores, settings.alertThreshold, ringLinks(m, cycles)),
    stats: { accounts: graph.accountCount, edges: graph.edgeCount, cycles: cycles.cycles, cycleSearchTruncated: cycles.truncated, cycleSearchSteps: cycles.steps },
  };
}

const round = (value: number) => Math.round(value * 10_000) / 10_000;

/** Whether a ring is alerted: two or more accounts, or one account scoring above the lone-account mark. */
export function isAlertable(ring: Ring, settings: ScoringSettings = GRAPH_SCORING): boolean {
  return ring.accountIds.length > 1 || ring.score >= settings.loneAccountAlertThreshold;
}

/** Cycles longer than this do not join accounts into one ring: in a busy graph they are mostly chance. */
export const RING_CYCLE_LENGTH_MAX = 3;
/**
 * A ring grows along pass-through links only while it stays this small. Money passed on is common
 * enough in a busy graph to chain hundreds of accounts together, and a "ring" of hundreds is not
 * something an analyst can work; split payments and short cycles join rings without this cap.
 */
export const RING_PASS_THROUGH_ACCOUNTS_MAX = 50;

/** Pairs that join a ring: split payments and short cycles (strong), money passed on (weak). */
function ringLinks(m: Measurements, cycles: CycleResult): { strong: number[]; weak: readonly number[] } {
  const strong = [...m.splitLinks];
  for (const cycle of cycles.remembered) {
    if (cycle.length > RING_CYCLE_LENGTH_MAX) continue;
    for (let i = 0; i < cycle.length; i++) strong.push(cycle[i] as number, cycle[(i + 1) % cycle.length] as number);
  }
  return { strong, weak: m.passThroughLinks };
}

/**
 * Groups of alerted accounts joined by suspicious money between two of them (see ringLinks); an
 * alerted account linked to no other alerted account is a ring of one.
 */
export function ringsOf(graph: TransactionGraph, scores: readonly AccountScore[], threshold: number, links: { strong: readonly number[]; weak: readonly number[] }): Ring[] {
  const parent = Int32Array.from({ length: graph.accountCount }, (_, a) => a);
  const size = new Int32Array(graph.accountCount).fill(1);
  const find = (a: number): number => {
    while (parent[a] !== a) a = parent[a] = parent[parent[a] as number] as number;
    return a;
  };
  const alerted = (a: number) => (scores[a] as AccountScore).score >= threshold;
  const join = (list: readonly number[], sizeMax: number) => {
    for (let i = 0; i + 1 < list.length; i += 2) {
      const s = find(list[i] as number);
      const t = find(list[i + 1] as number);
      if (s === t || !alerted(list[i] as number) || !alerted(list[i + 1] as number) || (size[s] as number) + (size[t] as number) > sizeMax) continue;
      parent[s] = t;
      size[t] = (size[t] as number) + (size[s] as number);
    }
  };
  join(links.strong, Number.MAX_SAFE_INTEGER);
  join(links.weak, RING_PASS_THROUGH_ACCOUNTS_MAX);
  const members = new Map<number, number[]>();
  for (let a = 0; a < graph.accountCount; a++) {
    if (!alerted(a)) continue;
    const root = find(a);
    const list = members.get(root) ?? [];
    list.push(a);
    members.set(root, list);
  }
  const edgesWithin = new Map<number, number>();
  for (let e = 0; e < graph.edgeCount; e++) {
    const s = graph.source[e] as number;
    const t = graph.target[e] as number;
    if (alerted(s) && alerted(t) && find(s) === find(t)) edgesWithin.set(find(s), Math.min(GRAPH_LIMITS.ringEdgesMax, (edgesWithin.get(find(s)) ?? 0) + 1));
  }
  const rings: Ring[] = [...members.entries()].map(([root, list]) => {
    const accountIds = list.map((a) => graph.accountIds[a] as string).sort();
    return {
      key: createHash('sha256').update(accountIds.join('\n')).digest('hex').slice(0, 32),
      accountIds,
      score: list.reduce((max, a) => Math.max(max, (scores[a] as AccountScore).score), 0),
      edgeCount: edgesWithin.get(root) ?? 0,
    };
  });
  return rings.sort((x, y) => y.score - x.score || y.accountIds.length - x.accountIds.length || (x.key < y.key ? -1 : 1));
}
