import { z } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import type { App, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { readBodyBytes } from "../ingest/body.ts";
import { ipRateLimit } from "../middleware/ip-rate-limit.ts";
import { authenticateSentryKey, parseDsn, presentedSentryKey } from "../sentry/auth.ts";
import { type Envelope, EnvelopeError, parseEnvelope } from "../sentry/envelope.ts";
import { admitTranslation, sentryAppLabel } from "../sentry/intake.ts";
import { translateEnvelope } from "../sentry/translate.ts";

/** Every path a Sentry SDK may post `kind` to: with or without the trailing slash, under a DSN path prefix. */
function sentryPaths(kind: "envelope" | "store"): string[] {
  const path = `/api/:sentryProjectId{[0-9]+}/${kind}`;
  return [`${path}/`, path, `/:dsnPrefix{.+}${path}/`, `/:dsnPrefix{.+}${path}`];
}

/**
 * CORS as the browser SDK needs it: every answer (429s and errors included) readable from any
 * origin with `X-Sentry-Rate-Limits` and `Retry-After` exposed — without them the SDK cannot tell
 * which category is limited and blocks everything. Preflights (only when an app adds headers) are
 * answered here, never rate limited, and cached.
 */
const sentryCors: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method === "OPTIONS") {
    return c.body(null, 204, {
      "Access-Control-Allow-Origin": "*",
      "Access-Control-Allow-Methods": "POST, OPTIONS",
      "Access-Control-Allow-Headers":
        c.req.header("access-control-request-headers") ?? "Content-Type, Content-Encoding, X-Sentry-Auth",
      "Access-Control-Max-Age": "86400",
      Vary: "Access-Control-Request-Headers",
    });
  }
  await next();
  c.res.headers.set("Access-Control-Allow-Origin", "*");
  c.res.headers.set("Access-Control-Expose-Headers", "X-Sentry-Rate-Limits, Retry-After, X-Request-Id");
};

function parseOr400(body: Uint8Array): Envelope {
  try {
    return parseEnvelope(body);
  } catch (error) {
    if (error instanceof EnvelopeError) throw new ApiError("invalid_envelope", error.message);
    throw error;
  }
}

/**
 * The key is checked before the body is read when the request names it (query or header); a
 * tunnel names it only inside the envelope (header `dsn`), so then after.
 */
async function intake(c: Context<AppEnv>, toEnvelope: (body: Uint8Array) => Envelope) {
  const projectId = c.req.param("sentryProjectId") ?? "";
  const db = c.var.services.db;
  const presented = presentedSentryKey(c.req.raw);
  let key = presented ? await authenticateSentryKey(c.env, db, presented, projectId) : null;
  const envelope = toEnvelope(await readBodyBytes(c.req.raw, ["gzip", "deflate", "br"]));
  key ??= await authenticateSentryKey(c.env, db, parseDsn(envelope.header.dsn)?.publicKey ?? null, projectId);

  const sdk = envelope.header.sdk;
  let translation: Awaited<ReturnType<typeof translateEnvelope>>;
  try {
    translation = await translateEnvelope(
      envelope,
      {
        app: sentryAppLabel(key),
        sdk:
          sdk && typeof sdk === "object" && !Array.isArray(sdk) ? (sdk as { name?: string; version?: string }) : null,
        trace: (envelope.header.trace && typeof envelope.header.trace === "object"
          ? envelope.header.trace
          : {}) as Record<string, unknown>,
      },
      c.var.services.logger,
    );
  } catch (error) {
    if (error instanceof EnvelopeError) throw new ApiError("invalid_envelope", error.message);
    throw error;
  }
  await admitTranslation(c.env, c.var.services.logger, key, translation);
  return c.json(translation.eventId ? { id: translation.eventId } : {}, 200);
}

/**
 * Sentry's intake protocol, so the official Sentry SDKs can send here by changing their DSN to
 * `https://<key public id>@<this host>/<project numeric id>`: `POST /api/:id/envelope/` and the
 * legacy `POST /api/:id/store/` (one JSON event). Translated at the edge into our ingest items;
 * from there the pipeline is the one /ingest uses. See README, "Migrating from Sentry".
 */
export function registerSentry(app: App): void {
  const envelopePaths = sentryPaths("envelope");
  const storePaths = sentryPaths("store");
  app.on(["POST", "OPTIONS"], [...envelopePaths, ...storePaths], sentryCors);
  // The intake is ingest: it shares ingest's per-IP budget, checked before the key and the body.
  app.on("POST", [...envelopePaths, ...storePaths], ipRateLimit("ingest"));
  app.on("POST", envelopePaths, (c) => intake(c, parseOr400));
  app.on("POST", storePaths, (c) =>
    intake(c, (body) => {
      // The legacy endpoint takes one event as JSON: it is the payload of a one-item envelope.
      let event: unknown;
      try {
        event = JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw new ApiError("invalid_envelope", "The body is not a JSON event");
      }
      if (!event || typeof event !== "object" || Array.isArray(event)) {
        throw new ApiError("invalid_envelope", "The body must be a JSON object (one event)");
      }
      const type = (event as { type?: unknown }).type === "transaction" ? "transaction" : "event";
      return {
        header: { event_id: (event as { event_id?: unknown }).event_id },
        items: [{ header: { type }, payload: body }],
      };
    }),
  );
  documentSentry(app);
}

const SentryAccepted = z
  .object({ id: z.string().optional().openapi({ description: "The event id the SDK assigned, when it sent one" }) })
  .openapi("SentryAccepted");

function documentSentry(app: App): void {
  const projectId = z
    .string()
    .regex(/^[0-9]+$/)
    .openapi({
      param: { name: "sentryProjectId", in: "path" },
      description: "The project's numeric id (the DSN's last path segment)",
    });
  const query = z.object({
    sentry_key: z.string().optional().openapi({ description: "The DSN's public key (the JS SDKs send it here)" }),
    sentry_version: z.string().optional(),
    sentry_client: z.string().optional(),
  });
  const responses = {
    200: {
      description: "Accepted (items we do not store are counted, never refused)",
      content: { "application/json": { schema: SentryAccepted } },
    },
    400: { description: "invalid_envelope: malformed envelope, with where" },
    401: { description: "missing, invalid, revoked or expired key" },
    403: { description: "project_mismatch (the key is not this project's), app_limit" },
    413: { description: "payload_too_large: over 200 KB on the wire or 1 MB decompressed" },
    415: { description: "unsupported_media_type: a Content-Encoding other than gzip, deflate, br" },
    429: {
      description:
        "quota_exceeded or rate_limited, with Retry-After and X-Sentry-Rate-Limits naming the categories; ip_rate_limited (this address, every category) with Retry-After",
    },
    503: { description: "buffer_full or backend_unavailable, with Retry-After" },
  };
  for (const [kind, summary, mediaType] of [
    ["envelope", "Sentry envelope intake (official Sentry SDKs)", "application/x-sentry-envelope"],
    ["store", "Legacy Sentry store intake (one JSON event)", "application/json"],
  ] as const) {
    app.openAPIRegistry.registerPath({
      method: "post",
      path: `/api/{sentryProjectId}/${kind}/`,
      summary,
      description:
        "Also under a DSN path prefix (`/<prefix>/api/{id}/…`). The key comes from `X-Sentry-Auth`, `?sentry_key=`, or (envelopes only) the envelope header's `dsn`. Bodies may be gzip, deflate or br encoded.",
      tags: ["Sentry intake"],
      request: {
        params: z.object({ sentryProjectId: projectId }),
        query,
        headers: z.object({ "x-sentry-auth": z.string().optional() }),
        body: {
          content: { [mediaType]: { schema: z.string() }, "text/plain": { schema: z.string() } },
          required: true,
        },
      },
      responses,
    });
  }
}
