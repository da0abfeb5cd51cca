import { z } from "@hono/zod-openapi";
import { ApiError } from "../errors.ts";
import type { Result } from "../services/result.ts";

/** A service's value, or its refusal thrown as the error envelope (with Retry-After for throttles). */
export function orRefuse<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw new ApiError(result.code, result.message, {
    details: result.details,
    headers: result.retryAfterSeconds === undefined ? undefined : { "Retry-After": String(result.retryAfterSeconds) },
  });
}

// A lone UTF-16 surrogate: JSON can carry one ("\ud800"), Postgres cannot store it.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * The one string schema for every query and body field of the API: text Postgres can hold, so NUL
 * or a lone surrogate is a 400 validation_failed, never a 500 from the database. Refine it as usual
 * (`Text.trim().min(1).max(100)`).
 */
export const Text = z.string().refine((value) => !value.includes("\u0000") && !LONE_SURROGATE.test(value), {
  message: "must not contain NUL or unpaired surrogates",
});

/** The error envelope as documented in OpenAPI. */
export const ErrorEnvelope = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi("Error");

const errorContent = { "application/json": { schema: ErrorEnvelope } };

/** The error answers every cookie-authenticated route can give. */
export const commonErrors = {
  400: { description: "Invalid request (validation_failed, invalid_cursor, …)", content: errorContent },
  401: { description: "Not signed in, or the session ended", content: errorContent },
  403: { description: "Role too low, CSRF check failed, or a plan limit", content: errorContent },
  404: { description: "Not found, or not yours", content: errorContent },
  409: { description: "Conflict", content: errorContent },
  415: { description: "A mutation that is not application/json", content: errorContent },
  429: {
    description:
      "Throttled, with Retry-After: ip_rate_limited (this address, per minute) or too_many_attempts (failed sign-ins)",
    content: errorContent,
  },
  503: { description: "A dependency is unavailable or not configured", content: errorContent },
} as const;

export const jsonContent = <T extends z.ZodType>(schema: T, description = "OK") => ({
  description,
  content: { "application/json": { schema } },
});

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const cookieAuth = [{ sessionCookie: [] }];

export const Uuid = z.uuid();
export const OrgParams = z.object({ orgId: z.uuid().openapi({ param: { name: "orgId", in: "path" } }) });
export const ProjectParams = z.object({
  projectId: z.uuid().openapi({ param: { name: "projectId", in: "path" } }),
});

export const Ok = z.object({ ok: z.literal(true) }).openapi("Ok");

/** Keyset cursors are opaque to clients: base64url of the last row's sort key. */
export function encodeCursor(values: Array<string | number | null>): string {
  return btoa(JSON.stringify(values)).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(
  cursor: string | undefined,
  shape: Array<"string" | "number">,
): Array<string | number> | null {
  if (!cursor) return null;
  try {
    const values: unknown = JSON.parse(atob(cursor.replaceAll("-", "+").replaceAll("_", "/")));
    if (
      Array.isArray(values) &&
      values.length === shape.length &&
      values.every((v, i) => typeof v === shape[i] && (typeof v !== "number" || Number.isFinite(v)))
    ) {
      return values as Array<string | number>;
    }
  } catch {
    // fall through to the client error below
  }
  throw new ApiError("invalid_cursor", "The cursor is not valid for this list");
}

export const iso = (date: Date | null | undefined): string | null => (date ? date.toISOString() : null);

export const PageQuery = {
  cursor: Text.max(500).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(25),
};

/** `range` (1h, 24h, 7d, 30d) or explicit `from`/`to` (ISO 8601). */
export const RangeQuery = {
  range: z.enum(["1h", "24h", "7d", "30d"]).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
};

/** The dashboard's app/environment filters (exact match). */
export const ScopeQuery = {
  app: Text.min(1).max(200).optional().openapi({ description: "Only this app label" }),
  environment: Text.min(1).max(200).optional().openapi({ description: "Only this environment" }),
};

const KEYSET_PARTS = {
  // Exactly the format the queries emit, and a real calendar date (Postgres refuses Feb 30; Date does not).
  timestamp: (v: string) => {
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/.test(v)) return false;
    const ms = Date.parse(v);
    return !Number.isNaN(ms) && new Date(ms).toISOString().slice(0, 19) === v.slice(0, 19);
  },
  bigint: (v: string) => /^\d{1,18}$/.test(v),
  uuid: (v: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v),
  number: (v: string) => /^\d{1,18}(\.\d{1,6})?$/.test(v),
  /** Free text compared as a parameter (never cast), bounded. */
  text: (v: string) => v.length <= 400,
} as const;

export type KeysetPart = keyof typeof KEYSET_PARTS;

/** A `[sort value, tie-breaker]` cursor whose parts are checked before they reach SQL casts. */
export function decodeKeyset(cursor: string | undefined, kinds: [KeysetPart, KeysetPart]): [string, string] | null {
  const values = decodeCursor(cursor, ["string", "string"]) as [string, string] | null;
  if (values && !(KEYSET_PARTS[kinds[0]](values[0]) && KEYSET_PARTS[kinds[1]](values[1]))) {
    throw new ApiError("invalid_cursor", "The cursor is not valid for this list");
  }
  return values;
}
