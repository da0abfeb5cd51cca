import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { endTime, startTime } from "hono/timing";
import type { ZodType } from "zod";
import { authenticateApiKey } from "../auth/api-keys.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import type { App, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { readJsonBody } from "../ingest/body.ts";
import { normalizeJsonText } from "../ingest/normalize.ts";
import { toBufferedRows } from "../ingest/rows.ts";
import { type BatchItem, batchSchema, errorSchema, eventSchema, sessionSchema } from "../ingest/schemas.ts";
import { meterClient } from "../meter/client.ts";
import type { QuotaState } from "../meter/project-meter.ts";

type IngestKind = "event" | "error" | "session" | "batch";

const SINGLE_SCHEMAS: Record<Exclude<IngestKind, "batch">, ZodType> = {
  event: eventSchema,
  error: errorSchema,
  session: sessionSchema,
};

const EXPOSED_HEADERS = "Retry-After, X-Quota-Limit, X-Quota-Remaining, X-Quota-Reset, X-Request-Id";

function validationError(error: z.ZodError): ApiError {
  const details = error.issues.slice(0, 20).map((issue) => ({ path: issue.path.join("."), message: issue.message }));
  return new ApiError("validation_failed", `Invalid body: ${details[0]?.path || "body"}: ${details[0]?.message}`, {
    details,
  });
}

export function parseItems(kind: IngestKind, body: unknown): BatchItem[] {
  if (kind === "batch") {
    const result = batchSchema.safeParse(body);
    if (!result.success) throw validationError(result.error);
    return result.data.events as BatchItem[];
  }
  const result = SINGLE_SCHEMAS[kind].safeParse(body);
  if (!result.success) throw validationError(result.error);
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

/**
 * `POST /ingest/{event,error,session,batch}`: key → body within limits → schema → rows (scrubbed,
 * fingerprinted) → the project's ProjectMeter, which answers only once the rows are durable.
 */
export function registerIngest(app: App): void {
  // CORS for every ingest answer, errors and 429s included: a browser SDK must be able to read
  // Retry-After and the quota headers, or it backs off blindly.
  app.use("/ingest/*", async (c, next) => {
    if (c.req.method === "OPTIONS") {
      return c.body(null, 204, {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": "POST, OPTIONS",
        "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding, X-API-Key",
        "Access-Control-Max-Age": "86400",
      });
    }
    await next();
    c.res.headers.set("Access-Control-Allow-Origin", "*");
    c.res.headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS);
  });

  for (const kind of ["event", "error", "session", "batch"] as const) {
    app.post(`/ingest/${kind}`, async (c) => {
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

  documentIngest(app);
}

const IngestAccepted = z
  .object({
    accepted: z.number().int(),
    quota: z.object({ used: z.number(), limit: z.number(), remaining: z.number(), resetsAt: z.string() }),
  })
  .openapi("IngestAccepted");

function documentIngest(app: App): void {
  const errorResponse = (description: string) => ({ description });
  for (const [kind, schema] of [
    ["event", eventSchema],
    ["error", errorSchema],
    ["session", sessionSchema],
    ["batch", batchSchema],
  ] as const) {
    app.openAPIRegistry.registerPath({
      method: "post",
      path: `/ingest/${kind}`,
      summary: `Ingest ${kind === "batch" ? "up to 100 events, errors and sessions" : `one ${kind}`}`,
      security: [{ apiKey: [] }],
      request: {
        body: { content: { "application/json": { schema }, "text/plain": { schema } }, required: true },
      },
      responses: {
        202: {
          description: "Accepted: durable, will be in Postgres after the next flush",
          content: { "application/json": { schema: IngestAccepted } },
        },
        400: errorResponse("validation_failed or invalid_json, with field paths"),
        401: errorResponse("missing, invalid, revoked or expired API key"),
        403: errorResponse("app_not_allowed (key restricted to another app) or app_limit (plan's app labels)"),
        413: errorResponse("payload_too_large: over 200 KB on the wire or 1 MB decompressed"),
        415: errorResponse("unsupported_media_type"),
        429: errorResponse("quota_exceeded or rate_limited, with Retry-After"),
        503: errorResponse("buffer_full or backend_unavailable, with Retry-After"),
      },
    });
  }
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKey", {
    type: "http",
    scheme: "bearer",
    description: "Project API key `tt_live_…` (also accepted as X-API-Key or ?api_key=)",
  });
}
