import { useEffect, useRef } from 'react';
import type cytoscape from 'cytoscape';
import { loadVendor } from '../lib/vendor.ts';
import type { GraphVendor } from '../vendor/graph.ts';
import type { CaseGraph } from '../api/risk.ts';
import { shortId } from '../lib/format.ts';

/**
 * The accounts of a case and the money between them, drawn with Cytoscape. Nodes are coloured by
 * their mule score (red is worse); edges are thicker the more was sent. Choosing a node opens its
 * account. The same data is listed in a table beside the graph for keyboard and screen-reader use.
 * Cytoscape is a script of its own (lib/vendor.ts), loaded the first time a graph is drawn.
 */
export function AccountGraph({ graph, label, onOpen }: { readonly graph: CaseGraph; readonly label: string; readonly onOpen?: (accountId: string) => void }) {
  const element = useRef<HTMLDivElement>(null);
  const open = useRef(onOpen);
  open.current = onOpen;

  useEffect(() => {
    const container = element.current;
    if (!container) return;
    let instance: cytoscape.Core | null = null;
    let unmounted = false;
    loadVendor('graph').then(
      ({ cytoscape }) => {
        if (unmounted) return;
        instance = draw(cytoscape, container, graph);
        instance.on('tap', 'node', (event) => open.current?.(String(event.target.id())));
      },
      // The table beside the graph still lists every account; the failure is reported where errors are seen.
      (error: unknown) => console.error(error),
    );
    return () => {
      unmounted = true;
      instance?.destroy();
    };
  }, [graph]);

  return <div ref={element} className="graph-box" role="img" aria-label={label} data-testid="case-graph" />;
}

function draw(cytoscape: GraphVendor['cytoscape'], container: HTMLElement, graph: CaseGraph): cytoscape.Core {
  const ids = new Set(graph.nodes.map((node) => node.id));
  const maxWeight = Math.max(1, ...graph.edges.map((edge) => weightOf(edge)));
  return cytoscape({
    container,
    elements: [
      ...graph.nodes.map((node) => ({
        data: { id: node.id, label: node.label ?? shortId(node.id), score: node.score ?? 0, flagged: node.flagged || node.in_case ? 1 : 0 },
      })),
      ...graph.edges
        .filter((edge) => ids.has(edge.source) && ids.has(edge.target))
        .map((edge, index) => ({ data: { id: edge.id ?? `edge-${index}`, source: edge.source, target: edge.target, width: 1 + (5 * weightOf(edge)) / maxWeight } })),
    ],
    style: [
      {
        selector: 'node',
        style: {
          label: 'data(label)',
          'font-size': 9,
          color: '#595959',
          'text-valign': 'bottom',
          'text-margin-y': 4,
          width: 'mapData(score, 0, 1, 14, 30)',
          height: 'mapData(score, 0, 1, 14, 30)',
          'background-color': 'mapData(score, 0, 1, #91caff, #ff4d4f)',
          'border-width': 'mapData(flagged, 0, 1, 0, 3)',
          'border-color': '#a8071a',
        },
      },
      { selector: 'edge', style: { width: 'data(width)', 'line-color': '#8c8c8c', 'target-arrow-color': '#8c8c8c', 'target-arrow-shape': 'triangle', 'curve-style': 'bezier', opacity: 0.8 } },
    ],
    layout: layoutFor(graph.nodes.length),
  });
}

/**
 * A ring of a few dozen accounts reads best on a circle, where its cycle is visible at a glance;
 * a larger neighbourhood needs a force layout to pull its clusters apart, and beyond that
 * concentric rings by degree stay legible where forces would tangle.
 */
function layoutFor(nodes: number): cytoscape.LayoutOptions {
  if (nodes <= 30) return { name: 'circle', animate: false, padding: 24 } as cytoscape.LayoutOptions;
  if (nodes <= 120) return { name: 'cose', animate: false, padding: 24, nodeRepulsion: () => 8000, idealEdgeLength: () => 80 } as cytoscape.LayoutOptions;
  return { name: 'concentric', animate: false, padding: 24 } as cytoscape.LayoutOptions;
}

function weightOf(edge: CaseGraph['edges'][number]): number {
  if (edge.count !== undefined) return edge.count;
  try {
    return edge.amount ? Number(BigInt(edge.amount)) : 1;
  } catch {
    return 1;
  }
}

export default AccountGraph;
