import { captureException, normalizeRoute, trackEvent } from "@telemetry-tracker/core";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";

/**
 * Hono middleware for Node servers (`@hono/node-server`): records `$request` (method, matched
 * route pattern, path with ids as `:id`, status, duration_ms) and captures errors that reached Hono's `onError`.
 * On Cloudflare Workers use `@telemetry-tracker/workers/hono` instead (per-invocation flushing).
 *
 * @example
 * import { telemetry } from "@telemetry-tracker/node/hono";
 * app.use(telemetry());
 */
export function telemetry(): MiddlewareHandler {
  return async (c, next) => {
    const start = performance.now();
    await next();
    try {
      // An HTTPException below 500 is an answer the app chose (404, 401…), not a bug.
      const status = (c.error as { status?: number } | undefined)?.status;
      if (c.error && !(status && status < 500))
        captureException(c.error, { handled: false, request: { method: c.req.method, path: c.req.path } });
      trackEvent("$request", {
        method: c.req.method,
        route: routePath(c, -1),
        path: normalizeRoute(c.req.path),
        status: c.res.status,
        duration_ms: Math.round((performance.now() - start) * 100) / 100,
      });
    } catch {}
  };
}
