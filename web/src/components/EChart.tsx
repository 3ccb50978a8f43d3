import { useEffect, useRef } from 'react';
import type { ECharts, EChartsCoreOption } from 'echarts/core';
import { loadVendor } from '../lib/vendor.ts';

export interface EChartProps {
  readonly option: EChartsCoreOption;
  readonly height?: number;
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  readonly label: string;
  readonly testId?: string;
}

/**
 * Charts are drawn one per frame, in the order they mounted: a page's first chart is painted as
 * soon as ECharts is there, instead of after every chart that mounted while its script was still
 * loading (on a first visit, the dashboard's four later charts did, and the first waited for them).
 */
let drawTurn: Promise<unknown> = Promise.resolve();

function afterNextPaint(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

/** Resolves with ECharts when it is this chart's turn to be drawn. */
function chartsForNextDraw() {
  const turn = drawTurn.then(() => loadVendor('charts'));
  drawTurn = turn.then(afterNextPaint, () => undefined);
  return turn;
}

/**
 * One ECharts instance per element, updated in place when the option changes and resized with its
 * box. ECharts is a script of its own (lib/vendor.ts), loaded the first time a chart is drawn.
 */
export function EChart({ option, height = 260, label, testId }: EChartProps) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<ECharts | null>(null);
  const latest = useRef(option);
  latest.current = option;

  useEffect(() => {
    const node = element.current;
    if (!node) return;
    let instance: ECharts | null = null;
    let observer: ResizeObserver | null = null;
    let unmounted = false;
    chartsForNextDraw().then(
      ({ init }) => {
        if (unmounted) return;
        const created = init(node, undefined, { renderer: 'canvas' });
        instance = created;
        chart.current = created;
        draw(created, latest.current);
        // A ResizeObserver reports the size it finds as soon as it starts observing; the chart was
        // just drawn at that size, and redrawing it would double the work of a page's first view.
        observer = new ResizeObserver(([entry]) => {
          const box = entry?.contentRect;
          if (box && Math.round(box.width) === created.getWidth() && Math.round(box.height) === created.getHeight()) return;
          created.resize();
        });
        observer.observe(node);
      },
      (error: unknown) => {
        // The page stays usable without its chart; the failure is reported where errors are seen.
        console.error(error);
      },
    );
    return () => {
      unmounted = true;
      observer?.disconnect();
      instance?.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    if (chart.current) draw(chart.current, option);
  }, [option]);

  return <div ref={element} role="img" aria-label={label} data-testid={testId} style={{ width: '100%', height }} />;
}

/** Animation on every refresh would make a dashboard that polls look restless. */
function draw(instance: ECharts, option: EChartsCoreOption): void {
  instance.setOption({ animation: false, ...option }, { notMerge: true });
}

export default EChart;
