import { ApiError } from "../../errors.ts";

export const RANGES = ["1h", "24h", "7d", "30d"] as const;
export type RangeName = (typeof RANGES)[number];

const HOUR = 3_600_000;
const RANGE_MS: Record<RangeName, number> = {
  "1h": HOUR,
  "24h": 24 * HOUR,
  "7d": 7 * 24 * HOUR,
  "30d": 30 * 24 * HOUR,
};
const MAX_SPAN_MS = 400 * 24 * HOUR;

export interface TimeWindow {
  from: Date;
  to: Date;
  /** Bucket width of time series over this window. */
  bucketMs: number;
  bucketLabel: "5m" | "1h" | "6h" | "1d";
}

/** The bucket a span is drawn with: ~12–170 points whatever the range. */
function bucketFor(spanMs: number): Pick<TimeWindow, "bucketMs" | "bucketLabel"> {
  if (spanMs <= 2 * HOUR) return { bucketMs: 5 * 60_000, bucketLabel: "5m" };
  if (spanMs <= 2 * 24 * HOUR) return { bucketMs: HOUR, bucketLabel: "1h" };
  if (spanMs <= 14 * 24 * HOUR) return { bucketMs: 6 * HOUR, bucketLabel: "6h" };
  return { bucketMs: 24 * HOUR, bucketLabel: "1d" };
}

/**
 * A named range ending now, or an explicit from/to. `from` is floored to the bucket so that every
 * bucket of the series is whole (and hour-aligned windows can be answered from hourly rollups).
 */
export function resolveWindow(
  input: { range?: RangeName; from?: string; to?: string },
  fallback: RangeName = "24h",
  now = Date.now(),
): TimeWindow {
  let fromMs: number;
  let toMs: number;
  if (input.from || input.to) {
    toMs = input.to ? Date.parse(input.to) : now;
    fromMs = input.from ? Date.parse(input.from) : toMs - RANGE_MS[fallback];
    if (!(fromMs < toMs)) throw new ApiError("validation_failed", "`from` must be before `to`");
    if (toMs - fromMs > MAX_SPAN_MS) throw new ApiError("validation_failed", "The range may span at most 400 days");
  } else {
    toMs = now;
    fromMs = now - RANGE_MS[input.range ?? fallback];
  }
  const bucket = bucketFor(toMs - fromMs);
  fromMs = Math.floor(fromMs / bucket.bucketMs) * bucket.bucketMs;
  return { from: new Date(fromMs), to: new Date(toMs), ...bucket };
}

export function previousWindow(window: TimeWindow): TimeWindow {
  const span = window.to.getTime() - window.from.getTime();
  return { ...window, from: new Date(window.from.getTime() - span), to: new Date(window.from) };
}

/** Bucket starts covering the window, for zero-filling series. */
export function bucketStarts(window: TimeWindow): number[] {
  const starts: number[] = [];
  for (let t = window.from.getTime(); t < window.to.getTime(); t += window.bucketMs) starts.push(t);
  return starts;
}

export const intervalText = (ms: number) => `${Math.round(ms / 1000)} seconds`;
