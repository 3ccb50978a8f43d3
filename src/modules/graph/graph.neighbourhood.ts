import type { Queryable } from '../../db/index.ts';
import { GRAPH_LIMITS } from './graph.limits.ts';
import { edgesAround, type StoredEdge } from './graph.repository.ts';

/**
 * The accounts around some seed accounts, hop by hop, and the money between them: what the case view
 * draws. Edges between the same two accounts in the same currency are drawn as one, with a count and
 * a total. Everything is bounded: hops, nodes, and edge rows read per hop.
 */
export interface NeighbourNode {
  readonly id: string;
  /** Hops from the nearest seed; 0 for the seeds themselves. */
  readonly depth: number;
  readonly score: number;
  readonly seed: boolean;
}

export interface NeighbourEdge {
  readonly source: string;
  readonly target: string;
  readonly currency: string;
  readonly count: number;
  readonly amountMinor: bigint;
  readonly firstAtMs: number;
  readonly lastAtMs: number;
}

export interface Neighbourhood {
  readonly nodes: readonly NeighbourNode[];
  readonly edges: readonly NeighbourEdge[];
  /** True when a bound cut the drawing short: more accounts or money lie beyond. */
  readonly truncated: boolean;
}

/** Edge rows read for one hop: many transfers between the same accounts fold into one drawn edge. */
const EDGE_ROWS_PER_HOP_MAX = 20_000;

export async function neighbourhood(q: Queryable, seeds: readonly string[], depth: number, nodeLimit: number, scoreOf: (id: string) => number): Promise<Neighbourhood> {
  const maxDepth = Math.min(Math.max(0, depth), GRAPH_LIMITS.neighbourhoodDepthMax);
  const limit = Math.min(Math.max(1, nodeLimit), GRAPH_LIMITS.neighbourhoodNodesMax);
  const depthOf = new Map<string, number>();
  let truncated = seeds.length > GRAPH_LIMITS.neighbourhoodSeedsMax;
  for (const seed of seeds.slice(0, Math.min(limit, GRAPH_LIMITS.neighbourhoodSeedsMax))) depthOf.set(seed, 0);
  const drawn = new Map<string, { source: string; target: string; currency: string; count: number; amountMinor: bigint; firstAtMs: number; lastAtMs: number }>();
  const seenEdges = new Set<string>();
  let frontier = [...depthOf.keys()];
  for (let hop = 0; hop <= maxDepth && frontier.length > 0; hop++) {
    const rows = await edgesAround(q, frontier, EDGE_ROWS_PER_HOP_MAX + 1);
    if (rows.length > EDGE_ROWS_PER_HOP_MAX) truncated = true;
    const next: string[] = [];
    for (const row of rows.slice(0, EDGE_ROWS_PER_HOP_MAX)) {
      if (seenEdges.has(row.id)) continue;
      for (const end of [row.source, row.target]) {
        if (depthOf.has(end) || hop === maxDepth) continue;
        if (depthOf.size >= limit) {
          truncated = true;
          continue;
        }
        depthOf.set(end, hop + 1);
        next.push(end);
      }
      if (!depthOf.has(row.source) || !depthOf.has(row.target)) continue;
      seenEdges.add(row.id);
      fold(drawn, row);
    }
    frontier = next;
  }
  const edges = [...drawn.values()].sort((x, y) => (x.amountMinor > y.amountMinor ? -1 : x.amountMinor < y.amountMinor ? 1 : 0));
  if (edges.length > GRAPH_LIMITS.neighbourhoodEdgesMax) truncated = true;
  const nodes = [...depthOf.entries()].map(([id, d]) => ({ id, depth: d, score: scoreOf(id), seed: d === 0 }));
  return { nodes, edges: edges.slice(0, GRAPH_LIMITS.neighbourhoodEdgesMax), truncated };
}

function fold(drawn: Map<string, NeighbourEdge & { count: number }>, row: StoredEdge): void {
  const key = `${row.source}\n${row.target}\n${row.currency}`;
  const known = drawn.get(key);
  if (!known) {
    drawn.set(key, { source: row.source, target: row.target, currency: row.currency, count: 1, amountMinor: row.amountMinor, firstAtMs: row.atMs, lastAtMs: row.atMs });
    return;
  }
  drawn.set(key, {
    ...known, count: known.count + 1, amountMinor: known.amountMinor + row.amountMinor,
    firstAtMs: Math.min(known.firstAtMs, row.atMs), lastAtMs: Math.max(known.lastAtMs, row.atMs),
  });
}
