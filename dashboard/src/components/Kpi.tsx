import { Show } from "solid-js";
import { formatCount, percentChange } from "~/lib/format";
import { TimeChart } from "./Chart";

/** One KPI: the value, its change against the previous period, and a sparkline. */
export function Kpi(props: {
  label: string;
  value: number;
  previous: number;
  times: number[];
  values: number[];
  color: string;
  /** For errors: up is bad. */
  upIsBad?: boolean;
}) {
  const change = () => percentChange(props.value, props.previous);
  return (
    <section class="card kpi" aria-label={props.label}>
      <div class="muted small">{props.label}</div>
      <div class="value">{formatCount(props.value)}</div>
      <div class="small">
        <Show when={change() !== null} fallback={<span class="muted">new this period</span>}>
          <span
            class={`delta ${(change() ?? 0) > 0 ? "up" : (change() ?? 0) < 0 ? "down" : ""} ${props.upIsBad ? "bad" : ""}`}
          >
            {(change() ?? 0) > 0 ? "▲" : (change() ?? 0) < 0 ? "▼" : "•"} {Math.abs(change() ?? 0).toFixed(0)}%
          </span>{" "}
          <span class="muted">vs previous period ({formatCount(props.previous)})</span>
        </Show>
      </div>
      <TimeChart
        spark
        times={props.times}
        series={[{ label: props.label, values: props.values, color: props.color }]}
        label={`${props.label} trend`}
      />
    </section>
  );
}
