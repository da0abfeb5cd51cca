import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function allowedOrigins(list: string | undefined): string[] {
  return (list ?? "")
    .split(",")
    .map((origin) => origin.trim().replace(/\/$/, ""))
    .filter(Boolean);
}

/**
 * CSRF for the cookie-authenticated API: every mutation must come from an allowed Origin (the
 * dashboard, which forwards the browser's Origin), and a body must be JSON (a cross-site form
 * cannot send it without a preflight). A request without a body (curl -X DELETE, a POST that takes
 * nothing) needs only the Origin: with no body there is no form to forge, and SameSite cookies do
 * the rest. Applied to all of /api/*, sign-in included, so login CSRF is covered too.
 */
export const csrfGuard: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (SAFE_METHODS.has(c.req.method)) return next();
  // An API key (CI uploading source maps) is no ambient credential a cross-site page could borrow:
  // without a cookie there is nothing to forge. Such a request is checked by the key's scope instead.
  if (!c.req.header("cookie") && /^Bearer\s+tt_live_/i.test(c.req.header("authorization") ?? "")) return next();
  const origin = c.req.header("origin");
  if (!origin || !allowedOrigins(c.env.DASHBOARD_ORIGINS).includes(origin)) {
    throw new ApiError("csrf_rejected", "Origin not allowed for this request");
  }
  // Counted by the body limit that runs first; without it, any stream counts as a body.
  const bodyBytes = c.var.bodyBytes ?? (c.req.raw.body ? Number.POSITIVE_INFINITY : 0);
  const contentType = c.req.header("content-type") ?? "";
  if (bodyBytes > 0 && !/^application\/json\s*(;|$)/i.test(contentType)) {
    throw new ApiError("unsupported_media_type", "Send the request as Content-Type: application/json");
  }
  return next();
};
