import { createEffect, onCleanup, onMount } from "solid-js";
import "uplot/dist/uPlot.min.css";

export interface ChartSeries {
  label: string;
  /** One value per time; null leaves a gap (a bucket without samples). */
  values: Array<number | null>;
  /** A CSS variable name such as `--series-1`. */
  color: string;
  /** Mark every value with a dot: a series with gaps can have points no line reaches. */
  points?: boolean;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

/**
 * A time-series chart drawn by uPlot. uPlot is loaded on first use, so pages without a chart never
 * download it and the first page stays small.
 */
export function TimeChart(props: {
  times: number[];
  series: ChartSeries[];
  height?: number;
  spark?: boolean;
  /** A fixed width in pixels (a sparkline in a table cell); otherwise the chart fills its box. */
  width?: number;
  /** A fixed y range (a percentage chart: 0–100); otherwise uPlot fits the data. */
  yRange?: [number, number];
  label: string;
}) {
  let host!: HTMLDivElement;
  let plot: { destroy: () => void; setSize: (size: { width: number; height: number }) => void } | undefined;
  let observer: ResizeObserver | undefined;

  const draw = async () => {
    const { default: uPlot } = await import("uplot");
    plot?.destroy();
    const height = props.height ?? (props.spark ? 36 : 240);
    const width = props.width ?? (host.clientWidth || 300);
    const text = cssVar("--muted");
    const grid = cssVar("--border");
    plot = new uPlot(
      {
        width,
        height,
        legend: { show: !props.spark },
        cursor: props.spark ? { show: false } : { drag: { x: false, y: false } },
        select: { show: false, left: 0, top: 0, width: 0, height: 0 },
        axes: props.spark
          ? [{ show: false }, { show: false }]
          : [
              { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
              { stroke: text, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 50 },
            ],
        // A sparkline keeps its zero line in view (a new name is mostly zeros with one step up).
        scales: props.spark
          ? {
              x: { time: true },
              y: {
                range: (_u: unknown, _min: number, max: number) => [-Math.max(1, max) * 0.08, Math.max(1, max) * 1.1],
              },
            }
          : props.yRange
            ? { x: { time: true }, y: { range: props.yRange } }
            : { x: { time: true } },
        series: [
          {},
          ...props.series.map((series) => ({
            label: series.label,
            stroke: cssVar(series.color),
            width: props.spark ? 1.5 : 2,
            fill: props.spark ? `${cssVar(series.color)}22` : undefined,
            points: { show: series.points === true },
          })),
        ],
      },
      [props.times, ...props.series.map((series) => series.values)],
      host,
    );
  };

  onMount(() => {
    observer = new ResizeObserver(() =>
      plot?.setSize({ width: props.width ?? host.clientWidth, height: props.height ?? (props.spark ? 36 : 240) }),
    );
    observer.observe(host);
    // Theme switches change the CSS variables the chart was drawn with.
    const themeObserver = new MutationObserver(() => void draw());
    themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ["data-theme"] });
    onCleanup(() => themeObserver.disconnect());
  });
  createEffect(() => {
    // Track the data so a new range redraws.
    void props.times.length;
    void props.series.map((series) => series.values.length);
    void draw();
  });
  onCleanup(() => {
    observer?.disconnect();
    plot?.destroy();
  });
  return (
    <div
      ref={host}
      class={props.spark ? "spark" : "chart"}
      style={props.width ? { width: `${props.width}px`, height: `${props.height ?? 36}px` } : undefined}
      role="img"
      aria-label={props.label}
    />
  );
}
