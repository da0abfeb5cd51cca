import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { INGEST_LIMITS } from "../ingest/limits.ts";
import { readCapped } from "../lib/read-capped.ts";
import { SOURCEMAP_LIMITS } from "../sourcemaps/limits.ts";

/** Bounds on a dashboard API request body (documented in README → Dashboard API). */
export const API_BODY_LIMITS = {
  /** Bytes, counted on the stream: the largest real body (a deny list of 100 keys) is ~10 KB. */
  bytes: 64 * 1024,
  /** Nesting of arrays and objects: the same bound ingest puts on arbitrary JSON. */
  jsonDepth: INGEST_LIMITS.jsonDepth,
} as const;

/**
 * Routes that take more than the default, by method and path. A route that needs a larger body
 * adds itself here, so the exception is visible in one place.
 */
export const LARGER_BODIES: Array<{ method: string; path: RegExp; bytes: number }> = [
  // A source map upload (its route checks the map's own limit on the stream again).
  {
    method: "POST",
    path: /^\/api\/projects\/[^/]+\/sourcemaps$/,
    bytes: SOURCEMAP_LIMITS.mapBytes + SOURCEMAP_LIMITS.envelopeBytes,
  },
];

function limitFor(method: string, path: string): number {
  return LARGER_BODIES.find((r) => r.method === method && r.path.test(path))?.bytes ?? API_BODY_LIMITS.bytes;
}

const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `The body is larger than ${limit} bytes`, { details: { limitBytes: limit } });

/**
 * Tracks how deep arrays and objects nest in a JSON text as its bytes stream in, skipping strings,
 * without parsing (so a 50,000-deep array is refused after 7 bytes, not after a recursion). Bytes
 * suffice: UTF-8 never uses bytes below 0x80 inside a multi-byte character.
 */
export function jsonNesting(limit: number) {
  let depth = 0;
  let inString = false;
  let escaped = false;
  return {
    /** False once the nesting went past `limit`. */
    feed(bytes: Uint8Array): boolean {
      for (const byte of bytes) {
        if (inString) {
          if (escaped) escaped = false;
          else if (byte === 0x5c) escaped = true;
          else if (byte === 0x22) inString = false;
        } else if (byte === 0x22) inString = true;
        else if (byte === 0x5b || byte === 0x7b) {
          if (++depth > limit) return false;
        } else if (byte === 0x5d || byte === 0x7d) depth--;
      }
      return true;
    },
  };
}

const tooDeep = () =>
  new ApiError("validation_failed", `JSON nested deeper than ${API_BODY_LIMITS.jsonDepth} levels`, {
    details: [{ path: "", message: `nesting deeper than ${API_BODY_LIMITS.jsonDepth}` }],
  });

/**
 * Reads the body of an /api request before anything else looks at it (CSRF, auth, validation):
 * at most the route's limit, counted on the stream so a lying or missing Content-Length cannot get
 * past it (413 payload_too_large), and JSON nested deeper than the bound is refused (400) before
 * it is parsed — whichever comes first on the stream. The buffered bytes replace the stream, so handlers read the body as usual, and
 * `bodyBytes` tells the CSRF guard whether there was a body at all.
 */
export const apiBodyLimit: MiddlewareHandler<AppEnv> = async (c, next) => {
  const raw = c.req.raw;
  if (raw.method === "GET" || raw.method === "HEAD" || raw.method === "OPTIONS") return next();
  const limit = limitFor(raw.method, c.req.path);
  const isJson = /json/i.test(raw.headers.get("content-type") ?? "");
  // Either refusal stops reading: the rest of the upload is never pulled, let alone parsed.
  const nesting = jsonNesting(API_BODY_LIMITS.jsonDepth);
  const bytes = raw.body
    ? await readCapped(
        raw.body,
        limit,
        () => tooLarge(limit),
        (chunk) => (isJson && !nesting.feed(chunk) ? tooDeep() : undefined),
      )
    : new Uint8Array(0);
  c.set("bodyBytes", bytes.byteLength);
  c.req.raw = new Request(raw, { body: bytes.byteLength > 0 ? bytes : null });
  return next();
};
