import { Client, fetchTransport, normalizeRoute, type Options } from "@telemetry-tracker/core";

export type { Breadcrumb, CaptureContext, Client, Options, WireItem } from "@telemetry-tracker/core";

export interface WorkersOptions extends Options {
  /** Record a `$request` event per fetch invocation (`$scheduled` per cron run). Default true. */
  trackRequests?: boolean;
  /** Upper bound in ms of the flush handed to `waitUntil`. Default 5000. */
  flushTimeout?: number;
}

/** Static options, or options built from the Worker's env (where the API key secret lives). */
export type OptionsInput<Env> = WorkersOptions | ((env: Env) => WorkersOptions);

/** The part of the Workers `ExecutionContext` the SDK needs. */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void;
  passThroughOnException?(): void;
  props?: unknown;
}

/** The context your wrapped handlers receive: the runtime's, plus this invocation's client. */
export interface TelemetryContext extends ExecutionContextLike {
  telemetry: Client;
}

export const SDK = { name: "@telemetry-tracker/workers", version: "0.1.0" };

/**
 * A client for one invocation. Workers forbid using one request's I/O from another, so nothing is
 * shared: each invocation gets its own queue, and `finish` hands its flush to `waitUntil`.
 */
export function createInvocationClient<Env>(input: OptionsInput<Env>, env: Env, url?: string): Client {
  const o = typeof input === "function" ? input(env) : input;
  return new Client({
    platform: "cloudflare-workers",
    ...o,
    // Everything goes out in the final flush; a mid-request timer would only add requests.
    flushInterval: 3_600_000,
    batchSize: o.batchSize ?? 100,
    transport: o.transport ?? fetchTransport,
    sdk: SDK,
    url: url ? () => url : undefined,
  });
}

/** Flushes (bounded) and closes the invocation's client, keeping the invocation alive meanwhile. */
export function finish(client: Client, ctx: ExecutionContextLike | undefined, timeout = 5000): Promise<boolean> {
  const done = client.shutdown(timeout).catch(() => false);
  try {
    ctx?.waitUntil(done);
  } catch {}
  return done;
}

function withClient(ctx: ExecutionContextLike, telemetry: Client): TelemetryContext {
  // The runtime's methods need the real ctx as `this`, so delegate instead of inheriting.
  return {
    waitUntil: (p) => ctx.waitUntil(p),
    passThroughOnException: () => ctx.passThroughOnException?.(),
    props: ctx.props,
    telemetry,
  };
}

const urlOf = (request: Request) => {
  try {
    const u = new URL(request.url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return undefined;
  }
};

export interface Handler<Env> {
  fetch?(request: Request, env: Env, ctx: TelemetryContext): Response | Promise<Response>;
  scheduled?(controller: { cron: string; scheduledTime: number }, env: Env, ctx: TelemetryContext): unknown;
}

/**
 * Wraps a Worker's `fetch`/`scheduled` handlers: errors are captured (and rethrown, so the runtime
 * behaves as before), each invocation records `$request`/`$scheduled`, and its telemetry is
 * flushed with `ctx.waitUntil` after the response. Handlers reach the client as `ctx.telemetry`.
 *
 * @example
 * import { withTelemetry } from "@telemetry-tracker/workers";
 * export default withTelemetry(
 *   (env: Env) => ({ ingestUrl: env.TT_INGEST_URL, apiKey: env.TT_API_KEY, app: "edge-api" }),
 *   {
 *     async fetch(request, env, ctx) {
 *       ctx.telemetry.trackEvent("hello");
 *       return new Response("ok");
 *     },
 *   },
 * );
 */
export function withTelemetry<Env>(options: OptionsInput<Env>, handler: Handler<Env>) {
  const settings = (env: Env) => (typeof options === "function" ? options(env) : options);
  return {
    fetch: handler.fetch
      ? async (request: Request, env: Env, ctx: ExecutionContextLike): Promise<Response> => {
          const o = settings(env);
          const client = createInvocationClient(o, env, urlOf(request));
          const start = Date.now();
          let status = 500;
          try {
            const res = await (handler.fetch as NonNullable<Handler<Env>["fetch"]>)(
              request,
              env,
              withClient(ctx, client),
            );
            status = res.status;
            return res;
          } catch (e) {
            client.captureException(e, {
              handled: false,
              mechanism: "fetch",
              request: { method: request.method, url: urlOf(request) },
            });
            throw e;
          } finally {
            if (o.trackRequests !== false) {
              const path = normalizeRoute(new URL(request.url).pathname);
              // Without a router there is no pattern: the normalised path is the route.
              client.trackEvent("$request", {
                method: request.method,
                route: path,
                path,
                status,
                duration_ms: Date.now() - start,
              });
            }
            void finish(client, ctx, o.flushTimeout);
          }
        }
      : undefined,
    scheduled: handler.scheduled
      ? async (controller: { cron: string; scheduledTime: number }, env: Env, ctx: ExecutionContextLike) => {
          const o = settings(env);
          const client = createInvocationClient(o, env);
          const start = Date.now();
          let ok = false;
          try {
            await (handler.scheduled as NonNullable<Handler<Env>["scheduled"]>)(
              controller,
              env,
              withClient(ctx, client),
            );
            ok = true;
          } catch (e) {
            client.captureException(e, { handled: false, mechanism: "scheduled", tags: { cron: controller.cron } });
            throw e;
          } finally {
            if (o.trackRequests !== false)
              client.trackEvent("$scheduled", { cron: controller.cron, ok, duration_ms: Date.now() - start });
            void finish(client, ctx, o.flushTimeout);
          }
        }
      : undefined,
  };
}
