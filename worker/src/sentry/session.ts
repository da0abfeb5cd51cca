import type { SessionInput } from "../ingest/schemas.ts";
import { clip, clipNonBlank, isRecord, sentrySeconds, sentryTime } from "./bounds.ts";
import type { MapContext } from "./event.ts";

export type MappedSession = SessionInput & { type: "session" };

type Status = NonNullable<SessionInput["status"]>;

/**
 * Sentry session statuses → ours, and whether the update ends the session. `unhandled` (v11
 * browser: an unhandled error that did not end the page) is an errored session still running;
 * `exited` is a clean end. An `ok`/`exited` session that reports errors is `errored`.
 */
const STATUS: Record<string, { status: Status; ends: boolean }> = {
  ok: { status: "ok", ends: false },
  exited: { status: "ok", ends: true },
  errored: { status: "errored", ends: false },
  unhandled: { status: "errored", ends: false },
  abnormal: { status: "abnormal", ends: true },
  crashed: { status: "crashed", ends: true },
};

function attrsOf(payload: Record<string, unknown>) {
  const attrs = isRecord(payload.attrs) ? payload.attrs : {};
  return { release: clip(attrs.release), environment: clip(attrs.environment) };
}

/** One `session` update → one of our session updates (`init: true` starts it). Null without a `sid`. */
export function mapSession(payload: Record<string, unknown>, context: MapContext): MappedSession | null {
  const sessionId = clipNonBlank(payload.sid);
  if (!sessionId) return null;
  const mapped = STATUS[String(payload.status ?? "ok")] ?? STATUS.ok;
  const errors = typeof payload.errors === "number" && payload.errors > 0;
  const status: Status = mapped.status === "ok" && errors ? "errored" : mapped.status;
  const started = sentryTime(payload.started);
  const seen = sentryTime(payload.timestamp) ?? started;
  let endedAt: number | string | undefined;
  if (mapped.ends) {
    const start = sentrySeconds(payload.started);
    const duration =
      typeof payload.duration === "number" && Number.isFinite(payload.duration) ? payload.duration : null;
    endedAt = start !== null && duration !== null && duration >= 0 ? Math.round((start + duration) * 1000) : seen;
  }
  return {
    type: "session",
    session_id: sessionId,
    app: context.app,
    action: mapped.ends ? "end" : payload.init === true ? "start" : "update",
    started_at: started,
    ended_at: endedAt ?? null,
    timestamp: seen,
    status,
    ...attrsOf(payload),
    // `did` is the SDK's user (or device) id.
    user_id: clipNonBlank(payload.did),
    sdk: { name: clip(context.sdk?.name) ?? undefined, version: clip(context.sdk?.version) ?? undefined },
  };
}

/** How many sessions one `sessions` item may expand to; the rest are counted, not stored. */
export const MAX_AGGREGATED_SESSIONS = 1_000;

const AGGREGATE_STATUSES: Array<[string, Status]> = [
  ["exited", "ok"],
  ["errored", "errored"],
  ["unhandled", "errored"],
  ["abnormal", "abnormal"],
  ["crashed", "crashed"],
];

/**
 * A `sessions` item (server-side request mode: per-minute buckets of counts by status) → that many
 * ended sessions of ours, each lasting no time at the bucket's start, so release health counts them
 * like any other. Returns the sessions and how many were over the cap.
 */
export function mapSessionAggregates(
  payload: Record<string, unknown>,
  context: MapContext,
): { sessions: MappedSession[]; overCap: number } {
  const attrs = attrsOf(payload);
  const sessions: MappedSession[] = [];
  let overCap = 0;
  const buckets = Array.isArray(payload.aggregates) ? payload.aggregates.filter(isRecord) : [];
  for (const bucket of buckets) {
    const started = sentryTime(bucket.started);
    if (started === undefined) continue;
    for (const [field, status] of AGGREGATE_STATUSES) {
      const count = bucket[field];
      if (typeof count !== "number" || !Number.isSafeInteger(count) || count <= 0) continue;
      const room = Math.max(0, MAX_AGGREGATED_SESSIONS - sessions.length);
      overCap += Math.max(0, count - room);
      for (let i = 0; i < Math.min(count, room); i++) {
        sessions.push({
          type: "session",
          // Aggregates carry no session ids; each counted session gets its own.
          session_id: `sentry-aggregate-${crypto.randomUUID()}`,
          app: context.app,
          action: "end",
          started_at: started,
          ended_at: started,
          timestamp: started,
          status,
          ...attrs,
          user_id: clipNonBlank(bucket.did),
          sdk: { name: clip(context.sdk?.name) ?? undefined, version: clip(context.sdk?.version) ?? undefined },
        });
      }
    }
  }
  return { sessions, overCap };
}
