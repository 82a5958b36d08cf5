/**
 * Charts: uPlot line charts with a registry of what each one draws, so tests can read a chart's
 * data (window.__xmargin.charts) besides its pixels.
 */
import uPlot from "uplot";

export interface SeriesSpec {
  label: string;
  color: string;
  /** y scale key (default "y") */
  scale?: string;
}

export interface ChartSpec {
  title: string;
  /** "time" for unix-seconds x axes; otherwise the x axis label */
  x: "time" | string;
  series: SeriesSpec[];
  height?: number;
}

export interface ChartHandle {
  set(x: number[], ys: (number | null)[][]): void;
  readonly plot: uPlot;
}

export const chartData: Record<string, { points: number; series: string[]; nonNull: number; x: number[]; ys: (number | null)[][] }> = {};

export function lineChart(container: HTMLElement, id: string, spec: ChartSpec): ChartHandle {
  const scales = new Set(spec.series.map((s) => s.scale ?? "y"));
  const axes: uPlot.Axis[] = [
    spec.x === "time" ? {} : { label: spec.x, values: (_u, splits) => splits.map((v) => `${(v * 100).toFixed(0)}%`) },
  ];
  let side = 3;
  for (const scale of scales) {
    axes.push({ scale, side, size: 70, values: (_u, splits) => splits.map(compact) });
    side = 1;
  }
  const width = Math.max(320, container.clientWidth || 560);
  const opts: uPlot.Options = {
    title: spec.title,
    width,
    height: spec.height ?? 220,
    scales: { x: { time: spec.x === "time" } },
    series: [{}, ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 2, scale: s.scale ?? "y", spanGaps: true }))],
    axes,
  };
  const empty: uPlot.AlignedData = [[], ...spec.series.map(() => [])];
  const plot = new uPlot(opts, empty, container);
  container.dataset.chart = id;
  chartData[id] = { points: 0, series: spec.series.map((s) => s.label), nonNull: 0, x: [], ys: [] };
  new ResizeObserver(() => {
    const w = container.clientWidth;
    if (w > 0 && Math.abs(w - plot.width) > 4) plot.setSize({ width: w, height: plot.height });
  }).observe(container);
  return {
    plot,
    set(x, ys) {
      plot.setData([x, ...ys] as uPlot.AlignedData);
      let nonNull = 0;
      for (const y of ys) for (const v of y) if (v !== null && Number.isFinite(v)) nonNull++;
      chartData[id] = { points: x.length, series: spec.series.map((s) => s.label), nonNull, x: x.slice(), ys: ys.map((y) => y.slice()) };
    },
  };
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}B`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return a >= 10 || a === 0 ? v.toFixed(0) : v.toFixed(2);
}
