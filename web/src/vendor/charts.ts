/**
 * ECharts with the chart types the console draws, as a script of its own (see lib/vendor.ts): most
 * pages draw no chart and should not have to read half a megabyte of code that does.
 */
import * as echarts from 'echarts/core';
import { BarChart, LineChart, PieChart } from 'echarts/charts';
import { GridComponent, LegendComponent, TooltipComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import { publishVendor } from '../lib/vendor-registry.ts';

echarts.use([BarChart, LineChart, PieChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);

export interface ChartsVendor {
  readonly init: typeof echarts.init;
}

publishVendor('charts', { init: echarts.init } satisfies ChartsVendor);
