import { useEffect, useRef } from 'react';
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { EChartsCoreOption } from 'echarts/core';

// Only the chart types the console draws are bundled, which keeps the chart chunk small.
echarts.use([BarChart, LineChart, PieChart, DatasetComponent, GridComponent, LegendComponent, TitleComponent, TooltipComponent, CanvasRenderer]);

export interface EChartProps {
  readonly option: EChartsCoreOption;
  readonly height?: number;
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  readonly label: string;
  readonly testId?: string;
}

/** One ECharts instance per element, updated in place when the option changes and resized with its box. */
export function EChart({ option, height = 260, label, testId }: EChartProps) {
  const element = useRef<HTMLDivElement>(null);
  const chart = useRef<echarts.ECharts | null>(null);

  useEffect(() => {
    const node = element.current;
    if (!node) return;
    const instance = echarts.init(node, undefined, { renderer: 'canvas' });
    chart.current = instance;
    // A ResizeObserver reports the size it finds as soon as it starts observing; the chart was
    // just drawn at that size, and redrawing it would double the work of a page's first view.
    const observer = new ResizeObserver(([entry]) => {
      const box = entry?.contentRect;
      if (box && Math.round(box.width) === instance.getWidth() && Math.round(box.height) === instance.getHeight()) return;
      instance.resize();
    });
    observer.observe(node);
    return () => {
      observer.disconnect();
      instance.dispose();
      chart.current = null;
    };
  }, []);

  useEffect(() => {
    // Animation on every refresh would make a dashboard that polls look restless.
    chart.current?.setOption({ animation: false, ...option }, { notMerge: true });
  }, [option]);

  return <div ref={element} role="img" aria-label={label} data-testid={testId} style={{ width: '100%', height }} />;
}

export default EChart;
