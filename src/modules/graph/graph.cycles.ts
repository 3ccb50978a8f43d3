import type { TransactionGraph } from './graph.model.ts';

/**
 * Short directed cycles: money that comes back to where it started. Strongly connected components
 * come first (Tarjan, iterative): an account outside every non-trivial component lies on no cycle and
 * is skipped. Within a component, a depth-first search from each account s visits only accounts
 * numbered above s, so each cycle is found once, from its lowest account, and stops at `lengthMax`.
 * Steps are budgeted per start and in total, so a dense graph costs a bounded amount of work; when a
 * budget runs out the counts are lower bounds and the result says so.
 */
export interface CycleOptions {
  readonly lengthMax: number;
  readonly stepsPerStartMax: number;
  readonly stepsTotalMax: number;
  /** Cycles whose members are kept (for grouping rings); counting continues past it. */
  readonly rememberMax: number;
}

export interface CycleResult {
  /** byLength[k][a]: cycles of k accounts through account a, for k = 2 … lengthMax (entries 0 and 1 are empty). */
  readonly byLength: readonly Int32Array[];
  /** Per account: plain number of cycles through it. */
  readonly count: Int32Array;
  /** Per account: the shortest cycle through it, 0 when none was found. */
  readonly shortest: Int32Array;
  readonly cycles: number;
  readonly remembered: readonly (readonly number[])[];
  readonly steps: number;
  readonly truncated: boolean;
  /** Starts whose own budget ran out. */
  readonly startsCut: number;
}

/** Component number of every account; accounts in no cycle-bearing component get -1. */
export function stronglyConnected(graph: TransactionGraph): Int32Array {
  const n = graph.accountCount;
  const { succStart, succ } = graph;
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const component = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const callStack: number[] = [];
  const nextChild = new Int32Array(n);
  let counter = 0;
  let components = 0;
  for (let root = 0; root < n; root++) {
    if (index[root] !== -1) continue;
    callStack.push(root);
    while (callStack.length > 0) {
      const v = callStack[callStack.length - 1] as number;
      if (index[v] === -1) {
        index[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = 1;
        nextChild[v] = succStart[v] as number;
      }
      if ((nextChild[v] as number) < (succStart[v + 1] as number)) {
        const w = succ[nextChild[v] as number] as number;
        nextChild[v] = (nextChild[v] as number) + 1;
        if (index[w] === -1) callStack.push(w);
        else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      callStack.pop();
      const parent = callStack[callStack.length - 1];
      if (parent !== undefined) low[parent] = Math.min(low[parent] as number, low[v] as number);
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = 0;
          members.push(w);
        } while (w !== v);
        // A single account is a component of its own but carries no cycle (self-loops are left out).
        if (members.length > 1) {
          for (const member of members) component[member] = components;
          components += 1;
        }
      }
    }
  }
  return component;
}

export function findCycles(graph: TransactionGraph, options: CycleOptions): CycleResult {
  const n = graph.accountCount;
  const { succStart, succ, predStart, pred } = graph;
  const component = stronglyConnected(graph);
  const byLength = Array.from({ length: options.lengthMax + 1 }, (_, k) => new Int32Array(k < 2 ? 0 : n));
  const count = new Int32Array(n);
  const shortest = new Int32Array(n);
  const remembered: number[][] = [];
  const lengthMax = options.lengthMax;
  const path = new Int32Array(lengthMax);
  const cursor = new Int32Array(lengthMax);
  const onPath = new Uint8Array(n);
  // Hops from an account back to the current start, learnt by a backward search of half the length.
  const back = Math.floor(lengthMax / 2);
  const backDistance = new Int32Array(n);
  const backStamp = new Int32Array(n).fill(-1);
  const distanceHome = (v: number, start: number) => (backStamp[v] === start ? (backDistance[v] as number) : back + 1);
  let frontier: number[] = [];
  let cycles = 0;
  let steps = 0;
  let startsCut = 0;
  let totalCut = false;

  const record = (length: number) => {
    cycles += 1;
    const ofLength = byLength[length] as Int32Array;
    for (let i = 0; i < length; i++) {
      const member = path[i] as number;
      ofLength[member] = (ofLength[member] as number) + 1;
      count[member] = (count[member] as number) + 1;
      if (shortest[member] === 0 || (shortest[member] as number) > length) shortest[member] = length;
    }
    if (remembered.length < options.rememberMax) remembered.push(Array.from(path.subarray(0, length)));
  };

  for (let start = 0; start < n; start++) {
    const home = component[start] as number;
    if (home === -1) continue;
    let budget = options.stepsPerStartMax;
    // Backward breadth-first search: which accounts above start reach it within `back` hops.
    backStamp[start] = start;
    backDistance[start] = 0;
    frontier = [start];
    for (let hop = 1; hop <= back && frontier.length > 0 && budget > 0; hop++) {
      const next: number[] = [];
      for (const v of frontier) {
        for (let i = predStart[v] as number; i < (predStart[v + 1] as number) && budget > 0; i++) {
          const u = pred[i] as number;
          budget -= 1;
          if (u <= start || component[u] !== home || backStamp[u] === start) continue;
          backStamp[u] = start;
          backDistance[u] = hop;
          next.push(u);
        }
      }
      frontier = next;
    }
    // Depth-first search forward, never onto an account that cannot get home within the length left.
    path[0] = start;
    onPath[start] = 1;
    cursor[0] = succStart[start] as number;
    let depth = 0;
    while (depth >= 0) {
      const v = path[depth] as number;
      if ((cursor[depth] as number) >= (succStart[v + 1] as number) || budget <= 0) {
        onPath[v] = 0;
        depth -= 1;
        continue;
      }
      const w = succ[cursor[depth] as number] as number;
      cursor[depth] = (cursor[depth] as number) + 1;
      budget -= 1;
      if (w === start) {
        record(depth + 1);
        continue;
      }
      if (w < start || onPath[w] || component[w] !== home || depth + 1 + distanceHome(w, start) > lengthMax) continue;
      depth += 1;
      path[depth] = w;
      onPath[w] = 1;
      cursor[depth] = succStart[w] as number;
    }
    steps += options.stepsPerStartMax - budget;
    // A start whose budget ran out leaves its counts partial; the search goes on from the next start.
    if (budget <= 0) startsCut += 1;
    if (steps >= options.stepsTotalMax) {
      totalCut = true;
      break;
    }
  }
  return { byLength, count, shortest, cycles, remembered, steps, truncated: totalCut || startsCut > 0, startsCut };
}

/**
 * Cycles an account would lie on by chance in a random graph with the same number of accounts and
 * payer → payee pairs: about in · out · d^(k−2) / n of length k, for in and out its distinct payers and
 * payees and d the mean number of payees per account. A busy account in a dense graph lies on many
 * cycles by chance alone; what marks a ring is more cycles than that.
 */
export function expectedCycles(inDistinct: number, outDistinct: number, length: number, accounts: number, pairs: number): number {
  if (accounts === 0) return 0;
  const meanDegree = pairs / accounts;
  return (inDistinct * outDistinct * meanDegree ** (length - 2)) / accounts;
}

/**
 * Cycles beyond chance, weighted by length (1 for two accounts, 1/4 for three, 1/16 for four …): for each
 * length, what exceeds the expected count by more than two standard deviations of a Poisson count.
 */
export function cyclesBeyondChance(cycles: CycleResult, account: number, inDistinct: number, outDistinct: number, accounts: number, pairs: number) {
  let excess = 0;
  let expected = 0;
  for (let length = 2; length < cycles.byLength.length; length++) {
    const observed = (cycles.byLength[length] as Int32Array)[account] as number;
    const chance = expectedCycles(inDistinct, outDistinct, length, accounts, pairs);
    expected += chance;
    excess += Math.max(0, observed - chance - 2 * Math.sqrt(chance)) * 4 ** -(length - 2);
  }
  return { excess, expected };
}
