import { sha256Hex } from "@telemetry-tracker/db";
import { isInApp } from "../ingest/fingerprint.ts";
import { INGEST_LIMITS as L } from "../ingest/limits.ts";
import type { ErrorInput, EventInput } from "../ingest/schemas.ts";
import { clip, clipNonBlank, fitJson, isRecord, sentrySeconds, sentryTime, wholeNumber } from "./bounds.ts";

/** What every item of one envelope shares once translated. */
export interface MapContext {
  /** Our `app` label for everything this key sends (see README, "Migrating from Sentry"). */
  app: string;
  /** The envelope header's SDK, used when an item names none. */
  sdk: { name?: string; version?: string } | null;
  /** The envelope header's dynamic sampling context (`trace`): release and environment of spans. */
  trace: Record<string, unknown>;
}

export type MappedError = ErrorInput & { type: "error" };
export type MappedEvent = EventInput & { type: "event" };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * Sentry event ids are 32 hex digits (a UUID without dashes). Ours must be a UUID: the same id
 * with dashes when that is one, else a UUID derived from it, so a resent event still deduplicates.
 */
export async function toEventId(raw: unknown): Promise<string | undefined> {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 64) return undefined;
  const hex = raw.replace(/-/g, "").toLowerCase();
  if (/^[0-9a-f]{32}$/.test(hex)) {
    const dashed = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    if (UUID.test(dashed)) return dashed;
  }
  return uuidFrom(`sentry-event:${raw}`);
}

/** A version-4-shaped UUID that is a hash of `seed`: the same seed, the same id. */
export async function uuidFrom(seed: string): Promise<string> {
  const hex = (await sha256Hex(seed)).slice(0, 32).split("");
  hex[12] = "4";
  hex[16] = "89ab"[Number.parseInt(hex[16], 16) % 4];
  const joined = hex.join("");
  return `${joined.slice(0, 8)}-${joined.slice(8, 12)}-${joined.slice(12, 16)}-${joined.slice(16, 20)}-${joined.slice(20)}`;
}

/** `message` is a string, or `{ formatted, message, params }`; `logentry` is the newer name. */
function messageText(event: Record<string, unknown>): string | null {
  for (const candidate of [event.logentry, event.message]) {
    if (typeof candidate === "string" && candidate.trim()) return candidate;
    if (isRecord(candidate)) {
      const text = candidate.formatted ?? candidate.message;
      if (typeof text === "string" && text.trim()) return text;
    }
  }
  return null;
}

function asArray(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (isRecord(value) && Array.isArray(value.values)) return value.values;
  return [];
}

function records(value: unknown): Record<string, unknown>[] {
  return asArray(value).filter(isRecord);
}

const LEVELS: Record<string, ErrorInput["level"]> = {
  fatal: "fatal",
  critical: "fatal",
  error: "error",
  warning: "warning",
  warn: "warning",
  info: "info",
  log: "info",
  debug: "debug",
};

interface Frame {
  file: string | null;
  function: string | null;
  line: number | null;
  column: number | null;
  in_app: boolean;
}

/** Sentry frames run oldest → newest (the throwing frame last); ours run newest first, like a stack. */
function framesOf(stacktrace: unknown): Frame[] {
  const frames = isRecord(stacktrace) ? records(stacktrace.frames) : [];
  return frames
    .slice(-L.frames)
    .reverse()
    .map((frame) => {
      const file = clip(frame.filename ?? frame.abs_path ?? frame.module, 1024);
      return {
        file,
        function: clip(frame.function, 512),
        line: wholeNumber(frame.lineno),
        column: wholeNumber(frame.colno),
        in_app: typeof frame.in_app === "boolean" ? frame.in_app : isInApp(file),
      };
    });
}

/** A V8-style stack text of the frames, so an issue reads the same whichever SDK sent it. */
function stackText(type: string, message: string, frames: Frame[]): string {
  const lines = frames.map((frame) => {
    const where = [frame.file ?? "<unknown>", frame.line, frame.column].filter((part) => part !== null).join(":");
    return frame.function ? `    at ${frame.function} (${where})` : `    at ${where}`;
  });
  return clip([`${type}: ${message.split("\n")[0]}`, ...lines].join("\n"), L.stackLength) ?? "";
}

/** Tags are an object or a list of `[key, value]` pairs; values become strings. */
function tagsOf(value: unknown): Record<string, string> {
  const pairs: Array<[unknown, unknown]> = Array.isArray(value)
    ? value.filter((pair): pair is [unknown, unknown] => Array.isArray(pair) && pair.length === 2)
    : isRecord(value)
      ? Object.entries(value)
      : [];
  const tags: Record<string, string> = {};
  for (const [key, tagValue] of pairs) {
    if (Object.keys(tags).length >= L.tags) break;
    const name = clipNonBlank(key);
    const text = clip(tagValue);
    if (name && text !== null) Object.defineProperty(tags, name, { value: text, enumerable: true, writable: true });
  }
  return tags;
}

function breadcrumbsOf(value: unknown): NonNullable<ErrorInput["breadcrumbs"]> {
  return records(value)
    .slice(-L.breadcrumbs)
    .map((crumb) => {
      const data = isRecord(crumb.data) ? { ...crumb.data } : {};
      if (typeof crumb.type === "string" && crumb.type !== "default") data.type = crumb.type;
      return {
        timestamp: sentryTime(crumb.timestamp),
        category: clip(crumb.category),
        message: clip(crumb.message, 1024),
        level: clip(crumb.level),
        data: Object.keys(data).length > 0 ? fitJson(data) : null,
      };
    });
}

function userIdOf(user: unknown): string | null {
  // Never the email or IP address: ids are shown and grouped on, and those are personal data.
  return isRecord(user) ? clipNonBlank(user.id ?? user.username) : null;
}

function sdkOf(event: Record<string, unknown>, context: MapContext) {
  const sdk = isRecord(event.sdk) ? event.sdk : (context.sdk ?? {});
  return { name: clip(sdk.name) ?? undefined, version: clip(sdk.version) ?? undefined };
}

/** The columns every translated event shares. */
async function common(event: Record<string, unknown>, context: MapContext) {
  const request = isRecord(event.request) ? event.request : {};
  return {
    app: context.app,
    event_id: await toEventId(event.event_id),
    timestamp: sentryTime(event.timestamp),
    platform: clip(event.platform),
    environment: clip(event.environment),
    release: clip(event.release),
    user_id: userIdOf(event.user),
    url: clip(request.url, L.urlLength),
    sdk: sdkOf(event, context),
  };
}

/** What an issue's detail shows besides the stack: Sentry's contexts, extra data, request, user. */
function contextOf(event: Record<string, unknown>, extra: Record<string, unknown>): Record<string, unknown> {
  const user = isRecord(event.user) ? { ...event.user } : undefined;
  if (user) delete user.ip_address;
  const request = isRecord(event.request) ? { ...event.request } : undefined;
  if (request) delete request.cookies;
  const context: Record<string, unknown> = {
    ...extra,
    contexts: event.contexts,
    extra: event.extra,
    request,
    user,
    transaction: event.transaction,
    server_name: event.server_name,
    logger: event.logger,
    dist: event.dist,
  };
  for (const key of Object.keys(context)) if (context[key] === undefined || context[key] === null) delete context[key];
  return fitJson(context);
}

/**
 * A Sentry `event` → one of our errors (it has an exception: grouped by our fingerprint, or by the
 * SDK's `fingerprint` with `{{ default }}` standing for ours) or, without an exception, one of our
 * events named `$message`.
 */
export async function mapSentryEvent(
  event: Record<string, unknown>,
  context: MapContext,
): Promise<MappedError | MappedEvent> {
  const exceptions = records(event.exception);
  const text = messageText(event);
  const level = LEVELS[String(event.level ?? "error").toLowerCase()] ?? "error";
  const base = await common(event, context);

  if (exceptions.length === 0) {
    // Some SDKs attach a stack to messages at the event level instead of a synthetic exception.
    const frames = framesOf(event.stacktrace ?? records(event.threads).find((t) => t.stacktrace)?.stacktrace);
    if (frames.length === 0) {
      return {
        type: "event",
        ...base,
        name: "$message",
        properties: fitJson({
          message: text,
          level,
          tags: event.tags,
          logger: event.logger,
          contexts: event.contexts,
          extra: event.extra,
        }),
      };
    }
    exceptions.push({ type: "Message", value: text, stacktrace: { frames: [] }, synthetic: true });
    return errorFrom(event, exceptions, frames, text, level, base);
  }
  const main = exceptions[exceptions.length - 1];
  return errorFrom(event, exceptions, framesOf(main.stacktrace), text, level, base);
}

function errorFrom(
  event: Record<string, unknown>,
  exceptions: Record<string, unknown>[],
  frames: Frame[],
  text: string | null,
  level: ErrorInput["level"],
  base: Awaited<ReturnType<typeof common>>,
): MappedError {
  // The last exception is the one thrown; the ones before it are its causes.
  const main = exceptions[exceptions.length - 1];
  const mechanism = isRecord(main.mechanism) ? main.mechanism : {};
  // captureMessage sends a synthetic exception without a type.
  const type = clipNonBlank(main.type) ?? (mechanism.synthetic || main.synthetic ? "Message" : "Error");
  const message = clipNonBlank(main.value, L.messageLength) ?? clipNonBlank(text, L.messageLength) ?? type;
  const fingerprint = asArray(event.fingerprint)
    .slice(0, L.fingerprintParts)
    .map((part) => clip(part))
    .filter((part): part is string => part !== null && part !== "");
  const causes = exceptions.slice(0, -1).map((cause) => ({ type: cause.type, value: cause.value }));
  return {
    type: "error",
    ...base,
    error_type: type,
    message,
    frames,
    stack: stackText(type, message, frames),
    level,
    handled: typeof mechanism.handled === "boolean" ? mechanism.handled : null,
    fingerprint: fingerprint.length > 0 ? fingerprint : null,
    tags: tagsOf(event.tags),
    breadcrumbs: breadcrumbsOf(event.breadcrumbs),
    context: contextOf(event, {
      mechanism: Object.keys(mechanism).length > 0 ? mechanism : undefined,
      causes: causes.length > 0 ? causes : undefined,
    }),
  };
}

/** Milliseconds between two Sentry timestamps, or null. */
function durationMs(start: unknown, end: unknown): number | null {
  const from = sentrySeconds(start);
  const to = sentrySeconds(end);
  if (from === null || to === null || to < from) return null;
  return Math.round((to - from) * 1_000_000) / 1000;
}

/**
 * A Sentry `transaction` (static trace lifecycle) → one `$transaction` event with its duration;
 * its child spans are counted in it, not stored (the performance rollups will read these events).
 */
export async function mapTransaction(event: Record<string, unknown>, context: MapContext): Promise<MappedEvent> {
  const contexts = isRecord(event.contexts) ? event.contexts : {};
  const trace = isRecord(contexts.trace) ? contexts.trace : {};
  const response = isRecord(contexts.response) ? contexts.response : {};
  const request = isRecord(event.request) ? event.request : {};
  const info = isRecord(event.transaction_info) ? event.transaction_info : {};
  return {
    type: "event",
    ...(await common(event, context)),
    timestamp: sentryTime(event.start_timestamp) ?? sentryTime(event.timestamp),
    name: "$transaction",
    properties: fitJson({
      transaction: clip(event.transaction),
      op: clip(trace.op),
      status: clip(trace.status),
      duration_ms: durationMs(event.start_timestamp, event.timestamp),
      trace_id: clip(trace.trace_id),
      span_id: clip(trace.span_id),
      source: clip(info.source),
      method: clip(request.method),
      status_code: wholeNumber(response.status_code),
      spans: Array.isArray(event.spans) ? event.spans.length : 0,
      tags: event.tags,
    }),
  };
}

function attribute(attributes: Record<string, unknown>, name: string): unknown {
  const entry = attributes[name];
  return isRecord(entry) ? entry.value : entry;
}

/**
 * A v2 span (the default trace lifecycle of the v11 JS SDKs) → a `$transaction` event when it is a
 * segment (the root of its trace in this service), or null for a child span, which is counted only.
 */
export async function mapSpan(span: Record<string, unknown>, context: MapContext): Promise<MappedEvent | null> {
  if (span.is_segment !== true) return null;
  const attributes = isRecord(span.attributes) ? span.attributes : {};
  const traceId = clip(span.trace_id, 64);
  const spanId = clip(span.span_id, 64);
  const sdkName = attribute(attributes, "sentry.sdk.name");
  return {
    type: "event",
    app: context.app,
    // Spans carry no event id: one derived from trace and span ids keeps a resent span single.
    event_id: traceId && spanId ? await uuidFrom(`sentry-span:${traceId}:${spanId}`) : undefined,
    timestamp: sentryTime(span.start_timestamp),
    environment: clip(attribute(attributes, "sentry.environment") ?? context.trace.environment),
    release: clip(attribute(attributes, "sentry.release") ?? context.trace.release),
    user_id: clipNonBlank(attribute(attributes, "user.id")),
    url: clip(attribute(attributes, "url.full") ?? attribute(attributes, "http.url"), L.urlLength),
    sdk: sdkName
      ? { name: clip(sdkName) ?? undefined, version: clip(attribute(attributes, "sentry.sdk.version")) ?? undefined }
      : { name: clip(context.sdk?.name) ?? undefined, version: clip(context.sdk?.version) ?? undefined },
    name: "$transaction",
    properties: fitJson({
      transaction: clip(span.name),
      op: clip(attribute(attributes, "sentry.op")),
      status: clip(span.status),
      duration_ms: durationMs(span.start_timestamp, span.end_timestamp),
      trace_id: traceId,
      span_id: spanId,
      source: clip(attribute(attributes, "sentry.source")),
      method: clip(attribute(attributes, "http.request.method")),
      status_code: wholeNumber(attribute(attributes, "http.response.status_code")),
    }),
  };
}
