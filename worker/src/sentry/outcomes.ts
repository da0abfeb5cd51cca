import type { IntakeOutcome } from "../meter/flush.ts";
import { isRecord } from "./bounds.ts";

/**
 * What an envelope held that we do not store, counted per project and month by the meter:
 * `client` outcomes are what the SDK says it dropped (its `client_report` items), `ignored` ones
 * are items we accepted and discarded (attachments, replays, child spans, …).
 */
export type Outcome = IntakeOutcome;

// Closed lists, so a client cannot grow the counters' cardinality: anything else is `other`.
// Data categories and discard reasons as the SDKs define them (core `envelope.js`, `clientreport.js`).
const CATEGORIES = new Set([
  "default",
  "error",
  "transaction",
  "span",
  "session",
  "attachment",
  "replay",
  "profile",
  "profile_chunk",
  "monitor",
  "feedback",
  "log_item",
  "log_byte",
  "metric_bucket",
  "trace_metric",
  "security",
  "user_report",
  "internal",
]);

const CLIENT_REASONS = new Set([
  "queue_overflow",
  "cache_overflow",
  "buffer_overflow",
  "ratelimit_backoff",
  "network_error",
  "sample_rate",
  "before_send",
  "event_processor",
  "send_error",
  "internal_sdk_error",
  "insufficient_data",
  "backpressure",
  "ignored",
  "no_parent_span",
]);

/** Item types we accept and discard, with the data category each is counted under. */
const IGNORED_ITEM_CATEGORIES: Record<string, string> = {
  attachment: "attachment",
  replay_event: "replay",
  replay_recording: "replay",
  replay_video: "replay",
  profile: "profile",
  profile_chunk: "profile_chunk",
  check_in: "monitor",
  log: "log_item",
  otel_log: "log_item",
  feedback: "feedback",
  user_report: "user_report",
  statsd: "metric_bucket",
  metric_buckets: "metric_bucket",
  trace_metric: "trace_metric",
  raw_security: "security",
  security: "security",
};

/** Why we discarded what we accepted. */
export type IgnoredReason = "unsupported_item" | "child_span" | "over_limit" | "invalid_item";

const MAX_QUANTITY = 1_000_000;

export function ignoredItem(itemType: string, reason: IgnoredReason = "unsupported_item", quantity = 1): Outcome {
  const category = IGNORED_ITEM_CATEGORIES[itemType] ?? (CATEGORIES.has(itemType) ? itemType : "other");
  return { source: "ignored", category, reason, quantity };
}

function clientOutcome(entry: Record<string, unknown>, fallbackReason?: string): Outcome | null {
  const quantity = entry.quantity;
  if (typeof quantity !== "number" || !Number.isSafeInteger(quantity) || quantity <= 0) return null;
  const category = typeof entry.category === "string" && CATEGORIES.has(entry.category) ? entry.category : "other";
  const reason = String(entry.reason ?? fallbackReason ?? "");
  return {
    source: "client",
    category,
    reason: CLIENT_REASONS.has(reason) ? reason : "other",
    quantity: Math.min(quantity, MAX_QUANTITY),
  };
}

/**
 * A `client_report` item → client outcomes. `discarded_events` is today's field; older SDKs also
 * sent `rate_limited_events` and `filtered_events` without a reason.
 */
export function mapClientReport(payload: Record<string, unknown>): Outcome[] {
  const outcomes: Outcome[] = [];
  for (const [field, reason] of [
    ["discarded_events", undefined],
    ["rate_limited_events", "ratelimit_backoff"],
    ["filtered_events", "event_processor"],
    ["filtered_sampling_events", "sample_rate"],
  ] as const) {
    const entries = payload[field];
    if (!Array.isArray(entries)) continue;
    for (const entry of entries.slice(0, 100)) {
      const outcome = isRecord(entry) ? clientOutcome(entry, reason) : null;
      if (outcome) outcomes.push(outcome);
    }
  }
  return mergeOutcomes(outcomes);
}

/** One outcome per source, category and reason. */
export function mergeOutcomes(outcomes: Outcome[]): Outcome[] {
  const merged = new Map<string, Outcome>();
  for (const outcome of outcomes) {
    const key = `${outcome.source}:${outcome.category}:${outcome.reason}`;
    const known = merged.get(key);
    if (known) known.quantity = Math.min(MAX_QUANTITY, known.quantity + outcome.quantity);
    else merged.set(key, { ...outcome });
  }
  return [...merged.values()];
}
