import { type Client, normalizeRoute } from "@telemetry-tracker/core";
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import { createInvocationClient, type ExecutionContextLike, finish, type OptionsInput } from "./index.ts";

/** Adds `c.var.telemetry` to your app's Variables. */
export type TelemetryVariables = { telemetry: Client };

/**
 * Hono middleware for Workers: one client per request (`c.var.telemetry`), a `$request` event with
 * the matched route pattern, errors that reached `onError` captured (HTTPException below 500 is
 * not a bug), and the flush handed to `c.executionCtx.waitUntil`.
 *
 * @example
 * import { telemetry, type TelemetryVariables } from "@telemetry-tracker/workers/hono";
 * const app = new Hono<{ Bindings: Env; Variables: TelemetryVariables }>();
 * app.use(telemetry((env) => ({ ingestUrl: env.TT_INGEST_URL, apiKey: env.TT_API_KEY, app: "edge" })));
 * app.get("/", (c) => { c.var.telemetry.trackEvent("home"); return c.text("ok"); });
 */
export function telemetry<Env extends object = object>(
  options: OptionsInput<Env>,
): MiddlewareHandler<{ Bindings: Env; Variables: TelemetryVariables }> {
  return async (c, next) => {
    const o = typeof options === "function" ? options(c.env) : options;
    const url = new URL(c.req.url);
    const client = createInvocationClient(o, c.env, `${url.origin}${url.pathname}`);
    c.set("telemetry", client);
    const start = Date.now();
    await next();
    try {
      const status = (c.error as { status?: number } | undefined)?.status;
      if (c.error && !(status && status < 500))
        client.captureException(c.error, { handled: false, request: { method: c.req.method, path: c.req.path } });
      if (o.trackRequests !== false)
        client.trackEvent("$request", {
          method: c.req.method,
          route: routePath(c, -1),
          path: normalizeRoute(c.req.path),
          status: c.res.status,
          duration_ms: Date.now() - start,
        });
    } catch {}
    let ctx: ExecutionContextLike | undefined;
    try {
      ctx = c.executionCtx;
    } catch {
      // No ExecutionContext (Node, tests): nothing can keep us alive after returning, so wait here.
      await finish(client, undefined, o.flushTimeout);
      return;
    }
    void finish(client, ctx, o.flushTimeout);
  };
}
