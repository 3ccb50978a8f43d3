import type { GraphEdge } from './graph.ts';

/**
 * The transaction graph of a window in compact form: accounts numbered 0..n-1, edges in typed arrays,
 * and for each account its outgoing and incoming edges in time order (compressed sparse rows), plus
 * its distinct successors without self-loops for the cycle search. Building it is O(E log E).
 */
export interface TransactionGraph {
  readonly accountIds: readonly string[];
  readonly accountCount: number;
  readonly edgeCount: number;
  readonly source: Int32Array;
  readonly target: Int32Array;
  readonly atMs: Float64Array;
  readonly amountMinor: BigInt64Array;
  /** Currency of each edge as a small number; edges of different currencies are never compared. */
  readonly currency: Int32Array;
  /** Device of each edge as a small number, -1 when unknown. */
  readonly device: Int32Array;
  readonly deviceCount: number;
  /** Edges leaving account a: outEdges[outStart[a] .. outStart[a+1]), earliest first. */
  readonly outStart: Int32Array;
  readonly outEdges: Int32Array;
  readonly inStart: Int32Array;
  readonly inEdges: Int32Array;
  /** Distinct accounts a pays, self excluded: succ[succStart[a] .. succStart[a+1]). */
  readonly succStart: Int32Array;
  readonly succ: Int32Array;
  /** Distinct accounts that pay a, the same way. */
  readonly predStart: Int32Array;
  readonly pred: Int32Array;
}

function intern(table: Map<string, number>, list: string[] | undefined, key: string): number {
  let index = table.get(key);
  if (index === undefined) {
    index = table.size;
    table.set(key, index);
    list?.push(key);
  }
  return index;
}

/**
 * Groups edge indices by an account field. Edges are visited in time order, so each group comes out
 * sorted by time (then by edge index) without sorting every group on its own.
 */
function compressedRows(accountCount: number, owner: Int32Array, timeOrder: Int32Array): { start: Int32Array; edges: Int32Array } {
  const start = new Int32Array(accountCount + 1);
  for (const account of owner) start[account + 1] = (start[account + 1] as number) + 1;
  for (let a = 0; a < accountCount; a++) start[a + 1] = (start[a + 1] as number) + (start[a] as number);
  const fill = start.slice(0, accountCount);
  const edges = new Int32Array(owner.length);
  for (const e of timeOrder) {
    const a = owner[e] as number;
    edges[fill[a] as number] = e;
    fill[a] = (fill[a] as number) + 1;
  }
  return { start, edges };
}

/** Edge indices by time; edges read from the store already come in time order and cost one pass. */
function byTime(atMs: Float64Array): Int32Array {
  const order = new Int32Array(atMs.length);
  let sorted = true;
  for (let e = 0; e < atMs.length; e++) {
    order[e] = e;
    if (e > 0 && (atMs[e] as number) < (atMs[e - 1] as number)) sorted = false;
  }
  return sorted ? order : order.sort((x, y) => (atMs[x] as number) - (atMs[y] as number) || x - y);
}

export function buildGraph(edges: readonly GraphEdge[]): TransactionGraph {
  const accounts = new Map<string, number>();
  const accountIds: string[] = [];
  const currencies = new Map<string, number>();
  const devices = new Map<string, number>();
  const count = edges.length;
  const source = new Int32Array(count);
  const target = new Int32Array(count);
  const atMs = new Float64Array(count);
  const amountMinor = new BigInt64Array(count);
  const currency = new Int32Array(count);
  const device = new Int32Array(count);
  edges.forEach((edge, e) => {
    source[e] = intern(accounts, accountIds, edge.source);
    target[e] = intern(accounts, accountIds, edge.target);
    atMs[e] = edge.atMs;
    amountMinor[e] = edge.amountMinor;
    currency[e] = intern(currencies, undefined, edge.currency ?? '');
    device[e] = edge.deviceId === undefined ? -1 : intern(devices, undefined, edge.deviceId);
  });
  const accountCount = accountIds.length;
  const timeOrder = byTime(atMs);
  const out = compressedRows(accountCount, source, timeOrder);
  const incoming = compressedRows(accountCount, target, timeOrder);
  const successors = distinctNeighbours(accountCount, out.start, out.edges, target);
  const predecessors = distinctNeighbours(accountCount, incoming.start, incoming.edges, source);
  return {
    accountIds, accountCount, edgeCount: count, source, target, atMs, amountMinor, currency, device, deviceCount: devices.size,
    outStart: out.start, outEdges: out.edges, inStart: incoming.start, inEdges: incoming.edges,
    succStart: successors.start, succ: successors.list, predStart: predecessors.start, pred: predecessors.list,
  };
}

/** The distinct other ends of each account's edges on one side, self excluded, in first-seen order. */
function distinctNeighbours(accountCount: number, rowStart: Int32Array, rowEdges: Int32Array, otherEnd: Int32Array) {
  const start = new Int32Array(accountCount + 1);
  const seen = new Int32Array(accountCount).fill(-1);
  const list = new Int32Array(rowEdges.length);
  let size = 0;
  for (let a = 0; a < accountCount; a++) {
    for (let i = rowStart[a] as number; i < (rowStart[a + 1] as number); i++) {
      const b = otherEnd[rowEdges[i] as number] as number;
      if (b !== a && seen[b] !== a) {
        seen[b] = a;
        list[size++] = b;
      }
    }
    start[a + 1] = size;
  }
  return { start, list: list.slice(0, size) };
}

/** Distinct counterparties of an account on one side: the payers of its incoming edges, or the payees of its outgoing ones. */
export function distinctCounterparties(graph: TransactionGraph, account: number, side: 'in' | 'out', scratch: Int32Array, stamp: number): number {
  const start = side === 'in' ? graph.inStart : graph.outStart;
  const edges = side === 'in' ? graph.inEdges : graph.outEdges;
  const other = side === 'in' ? graph.source : graph.target;
  let distinct = 0;
  for (let i = start[account] as number; i < (start[account + 1] as number); i++) {
    const b = other[edges[i] as number] as number;
    if (b !== account && scratch[b] !== stamp) {
      scratch[b] = stamp;
      distinct += 1;
    }
  }
  return distinct;
}
