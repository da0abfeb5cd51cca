import { Show } from "solid-js";

/**
 * How healthy a crash-free percentage is. The thresholds follow common practice for release
 * health: at least 99.5 % is good, at least 98 % needs a look, anything lower is poor.
 */
export const CRASH_FREE_GOOD = 99.5;
export const CRASH_FREE_WARNING = 98;

export type Health = "good" | "warning" | "poor";

export function crashFreeHealth(percent: number): Health {
  if (percent >= CRASH_FREE_GOOD) return "good";
  if (percent >= CRASH_FREE_WARNING) return "warning";
  return "poor";
}

/**
 * A crash-free percentage with two decimals, rounded down: 99.996 % still had a crash, so it must
 * not read as 100 %.
 */
export function formatCrashFree(percent: number): string {
  if (percent >= 100) return "100%";
  return `${(Math.floor(percent * 100) / 100).toFixed(2)}%`;
}

const MARK: Record<Health, string> = { good: "●", warning: "▲", poor: "✖" };

/**
 * A crash-free percentage coloured by its health, with a mark and the health's name as text, so the
 * state never depends on colour alone. "–" when there was nothing to count.
 */
export function CrashFree(props: { value: number | null | undefined; testId?: string }) {
  return (
    <Show when={props.value !== null && props.value !== undefined} fallback={<span class="muted">–</span>}>
      <span
        class={`health ${crashFreeHealth(props.value ?? 0)}`}
        data-testid={props.testId}
        data-health={crashFreeHealth(props.value ?? 0)}
      >
        <span aria-hidden="true">{MARK[crashFreeHealth(props.value ?? 0)]} </span>
        <span class="health-value">{formatCrashFree(props.value ?? 0)}</span>
        <span class="health-label"> {crashFreeHealth(props.value ?? 0)}</span>
      </span>
    </Show>
  );
}
