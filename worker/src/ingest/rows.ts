import type { KeyRecord } from "../auth/key-record.ts";
import { ApiError } from "../errors.ts";
import type { BufferedRow, ClientColumns, ErrorRow, EventRow, SessionRow } from "../meter/buffered-row.ts";
import { computeFingerprint, culpritOf, type Frame, isInApp, parseStack } from "./fingerprint.ts";
import { INGEST_LIMITS } from "./limits.ts";
import { normalizePerformance } from "./performance.ts";
import type { BatchItem, ErrorInput, EventInput, SessionInput } from "./schemas.ts";
import { createScrubber } from "./scrub.ts";

/** A client timestamp, replaced by the server's clock (and flagged) when implausibly far off. */
export function clampTimestamp(
  value: string | number | undefined | null,
  now: number,
): { iso: string; clamped: boolean } {
  if (value === undefined || value === null) return { iso: new Date(now).toISOString(), clamped: false };
  const ms = typeof value === "number" ? value : Date.parse(value);
  if (!Number.isFinite(ms) || ms > now + INGEST_LIMITS.maxFutureSkewMs || ms < now - INGEST_LIMITS.maxPastAgeMs) {
    return { iso: new Date(now).toISOString(), clamped: true };
  }
  return { iso: new Date(ms).toISOString(), clamped: false };
}

type Scrubber = ReturnType<typeof createScrubber>;

function clientColumns(item: EventInput | ErrorInput, now: number, scrubber: Scrubber): ClientColumns {
  const { iso, clamped } = clampTimestamp(item.timestamp, now);
  return {
    event_id: item.event_id ?? crypto.randomUUID(),
    app: item.app,
    timestamp: iso,
    timestamp_clamped: clamped,
    platform: item.platform ?? null,
    environment: item.environment ?? null,
    release: item.release ?? null,
    user_id: item.user_id ?? null,
    anonymous_id: item.anonymous_id ?? null,
    session_id: item.session_id ?? null,
    url: item.url ? scrubber.scrubString(item.url) : null,
    sdk_name: item.sdk?.name ?? item.sdk_name ?? null,
    sdk_version: item.sdk?.version ?? item.sdk_version ?? null,
  };
}

function eventRow(item: EventInput, now: number, scrubber: Scrubber): EventRow {
  return {
    kind: "event",
    ...clientColumns(item, now, scrubber),
    name: item.name,
    properties: scrubber.scrub(normalizePerformance(item.name, item.properties ?? {}, item.url ?? undefined)) as Record<
      string,
      unknown
    >,
  };
}

async function errorRow(item: ErrorInput, now: number, scrubber: Scrubber): Promise<ErrorRow> {
  const frames: Frame[] = item.frames
    ? item.frames.map((frame) => ({
        file: frame.file ?? null,
        function: frame.function ?? null,
        line: frame.line ?? null,
        column: frame.column ?? null,
        in_app: frame.in_app ?? isInApp(frame.file ?? null),
      }))
    : item.stack
      ? parseStack(item.stack, INGEST_LIMITS.frames)
      : [];
  // `name` is what a JS Error calls its type (TypeError); the original SDKs sent it that way.
  const type = item.error_type?.trim() || item.name?.trim() || "Error";
  const message = scrubber.scrubString(item.message);
  return {
    kind: "error",
    ...clientColumns(item, now, scrubber),
    // Grouping sees the scrubbed message, so a leaked email never becomes part of a group key.
    fingerprint: await computeFingerprint({ type, message, frames, fingerprint: item.fingerprint }),
    type,
    message,
    culprit: culpritOf(frames),
    level: item.level ?? "error",
    handled: item.handled ?? null,
    stack: item.stack ? scrubber.scrubString(item.stack) : null,
    frames,
    breadcrumbs: (item.breadcrumbs ?? []).map((crumb) => ({
      ...(scrubber.scrub(crumb) as Record<string, unknown>),
      timestamp: clampTimestamp(crumb.timestamp, now).iso,
    })),
    tags: scrubber.scrub(item.tags ?? {}) as Record<string, string>,
    context: scrubber.scrub({ ...(item.properties ?? {}), ...(item.context ?? {}) }) as Record<string, unknown>,
  };
}

function sessionRow(item: SessionInput, now: number): SessionRow {
  const seen = clampTimestamp(item.timestamp ?? item.ended_at ?? item.started_at, now).iso;
  return {
    kind: "session",
    event_id: item.event_id ?? crypto.randomUUID(),
    session_id: item.session_id,
    app: item.app,
    action: item.action,
    started_at: clampTimestamp(item.started_at ?? item.timestamp, now).iso,
    ended_at: item.ended_at ? clampTimestamp(item.ended_at, now).iso : item.action === "end" ? seen : null,
    seen_at: seen,
    status: item.status ?? null,
    release: item.release ?? null,
    environment: item.environment ?? null,
    user_id: item.user_id ?? null,
    anonymous_id: item.anonymous_id ?? null,
    browser: item.browser ?? null,
    os: item.os ?? null,
    device: item.device ?? null,
    country: item.country ?? null,
  };
}

/**
 * Turns validated items into the rows the ProjectMeter buffers: ids assigned, timestamps clamped,
 * PII scrubbed, errors fingerprinted. Enforces the key's `allowed_app`.
 */
export async function toBufferedRows(items: BatchItem[], key: KeyRecord, now = Date.now()): Promise<BufferedRow[]> {
  if (key.allowedApp !== null) {
    const stranger = items.find((item) => item.app !== key.allowedApp);
    if (stranger) {
      throw new ApiError("app_not_allowed", `This key only accepts app "${key.allowedApp}", not "${stranger.app}"`);
    }
  }
  const scrubber = createScrubber({ denyKeys: key.piiDenyKeys });
  return Promise.all(
    items.map((item) => {
      if (item.type === "error") return errorRow(item, now, scrubber);
      if (item.type === "session") return sessionRow(item, now);
      return eventRow(item, now, scrubber);
    }),
  );
}
