import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { cors } from "hono/cors";
import { endTime, startTime } from "hono/timing";
import type { ZodType } from "zod";
import { authenticateApiKey } from "../auth/api-keys.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import type { App, AppEnv } from "../context.ts";
import { ApiError, issueDetails } from "../errors.ts";
import { readJsonBody } from "../ingest/body.ts";
import { normalizeJsonText } from "../ingest/normalize.ts";
import { toBufferedRows } from "../ingest/rows.ts";
import { type BatchItem, batchSchema, errorSchema, eventSchema, sessionSchema } from "../ingest/schemas.ts";
import { ErrorEnvelope } from "../lib/api.ts";
import { meterClient } from "../meter/client.ts";
import type { QuotaState } from "../meter/project-meter.ts";
import { checkIpLimit } from "../middleware/ip-rate-limit.ts";

type IngestKind = "event" | "error" | "session" | "batch";

const SCHEMAS: Record<IngestKind, ZodType> = {
  event: eventSchema,
  error: errorSchema,
  session: sessionSchema,
  batch: batchSchema,
};

export function parseItems(kind: IngestKind, body: unknown): BatchItem[] {
  const result = SCHEMAS[kind].safeParse(body);
  if (!result.success) {
    const details = issueDetails(result.error.issues);
    throw new ApiError("validation_failed", `Invalid body: ${details[0]?.path || "body"}: ${details[0]?.message}`, {
      details,
    });
  }
  if (kind === "batch") return (result.data as { events: BatchItem[] }).events;
  const item = result.data as Record<string, unknown>;
  // On /ingest/error, `type` is the exception's type; the item tag takes its place from here on.
  if (kind === "error") return [{ ...item, error_type: item.error_type ?? item.type, type: "error" } as BatchItem];
  return [{ ...item, type: kind } as BatchItem];
}

function quotaHeaders(quota: QuotaState): Record<string, string> {
  return {
    "X-Quota-Limit": String(quota.limit),
    "X-Quota-Remaining": String(quota.remaining),
    "X-Quota-Reset": String(Math.floor(Date.parse(quota.resetsAt) / 1000)),
  };
}

async function admit(c: Context<AppEnv>, key: KeyRecord, items: BatchItem[]) {
  // Text Postgres cannot store (NUL, lone surrogates) is replaced before anything is derived from it.
  const rows = await toBufferedRows(normalizeJsonText(items), key);
  const result = await meterClient(c.env, c.var.services.logger).admit(key, rows);
  if (!result.ok) {
    const headers: Record<string, string> = result.quota ? quotaHeaders(result.quota) : {};
    if (result.retryAfterSeconds !== undefined) headers["Retry-After"] = String(result.retryAfterSeconds);
    throw new ApiError(result.code, result.message, { headers });
  }
  return result;
}

const IngestAccepted = z
  .object({
    accepted: z.number().int(),
    quota: z.object({ used: z.number(), limit: z.number(), remaining: z.number(), resetsAt: z.string() }),
  })
  .openapi("IngestAccepted");

const error = (description: string) => ({ description, content: { "application/json": { schema: ErrorEnvelope } } });

function ingestRoute(kind: IngestKind) {
  return createRoute({
    method: "post",
    path: `/ingest/${kind}`,
    summary: `Ingest ${kind === "batch" ? "up to 100 events, errors and sessions" : `one ${kind}`}`,
    tags: ["ingest"],
    security: [{ apiKey: [] }],
    request: {
      body: {
        required: true,
        description:
          "JSON, optionally gzip (Content-Encoding); text/plain is read as JSON so sendBeacon needs no preflight",
        content: { "application/json": { schema: SCHEMAS[kind] }, "text/plain": { schema: SCHEMAS[kind] } },
      },
    },
    responses: {
      202: {
        description: "Accepted: durable, will be in Postgres after the next flush",
        content: { "application/json": { schema: IngestAccepted } },
      },
      400: error("validation_failed (with field paths in details) or invalid_json"),
      401: error("missing_api_key, invalid_api_key, revoked_api_key or expired_api_key"),
      403: error("app_not_allowed (key restricted to another app) or app_limit (plan's app labels)"),
      413: error("payload_too_large: over 200 KB on the wire or 1 MB decompressed"),
      415: error("unsupported_media_type"),
      429: error(
        "quota_exceeded or rate_limited (the project's plan), ip_rate_limited (this address), with Retry-After",
      ),
      503: error("buffer_full or backend_unavailable, with Retry-After"),
    },
  });
}

/**
 * `POST /ingest/{event,error,session,batch}`: key → body within limits → schema → rows (normalised,
 * scrubbed, fingerprinted) → the project's ProjectMeter, which answers only once the rows are durable.
 */
export function registerIngest(app: App): void {
  // CORS for every ingest answer, errors and 429s included: a browser SDK must be able to read
  // Retry-After and the quota headers, or it backs off blindly.
  app.use(
    "/ingest/*",
    cors({
      origin: "*",
      allowMethods: ["POST", "OPTIONS"],
      allowHeaders: ["Authorization", "Content-Type", "Content-Encoding", "X-API-Key"],
      exposeHeaders: ["Retry-After", "X-Quota-Limit", "X-Quota-Remaining", "X-Quota-Reset", "X-Request-Id"],
      maxAge: 86_400,
    }),
  );
  // After CORS (the 429 must be readable) and before the key lookup; timed like the handler's stages.
  app.use("/ingest/*", async (c, next) => {
    startTime(c, "iplimit");
    await checkIpLimit(c, "ingest");
    endTime(c, "iplimit");
    await next();
  });

  for (const kind of ["event", "error", "session", "batch"] as const) {
    const route = ingestRoute(kind);
    // The document gets the route with its body schema. The handler reads the body itself, so the
    // key is checked before the body is read, and the size limits, gzip and text/plain apply before
    // the schema does; the schema errors then come out through the same `issueDetails`.
    app.openAPIRegistry.registerPath(route);
    app.openapi({ ...route, request: undefined, hide: true }, async (c) => {
      // startTime/endTime are no-ops unless the bench stack turns Server-Timing on (bench/routes.ts).
      startTime(c, "auth");
      const key = await authenticateApiKey(c.env, c.var.services.db, c.req.raw);
      endTime(c, "auth");
      startTime(c, "body");
      const body = await readJsonBody(c.req.raw);
      endTime(c, "body");
      startTime(c, "validate");
      const items = parseItems(kind, body);
      endTime(c, "validate");
      startTime(c, "admit");
      const result = await admit(c, key, items);
      endTime(c, "admit");
      return c.json({ accepted: result.accepted, quota: result.quota }, 202, quotaHeaders(result.quota));
    });
  }

  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "Project API key `tt_live_…` (also accepted as X-API-Key or ?api_key=)",
  });
}
