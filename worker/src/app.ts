import { OpenAPIHono } from "@hono/zod-openapi";
import { createDatabase, type DatabaseHandle } from "@telemetry-tracker/db";
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./context.ts";
import { databaseOptions, findEnvProblems } from "./env.ts";
import { ApiError, type ErrorCode, errorBody, issueDetails } from "./errors.ts";
import { createLogger, describeError } from "./lib/logger.ts";

// 5xx answers that are a deliberate state, not a fault: a self-hosted install without billing
// should not log an error each time someone opens the billing page.
const EXPECTED_5XX: Partial<Record<ErrorCode, "info" | "warn">> = {
  billing_not_configured: "info",
  mailer_not_configured: "info",
  buffer_full: "warn",
  backend_unavailable: "warn",
};

function runAfterResponse(c: Context<AppEnv>, work: Promise<unknown>): void {
  try {
    c.executionCtx.waitUntil(work);
  } catch {
    // No execution context (app.request in a unit test): nothing outlives the request anyway.
  }
}

/**
 * The app factory: presets the error envelope, the validation hook, request ids, env validation and
 * the per-request services. Routes are registered on the returned app (see index.ts).
 */
export function createApp(): OpenAPIHono<AppEnv> {
  const app = new OpenAPIHono<AppEnv>({
    // zod failures from route schemas become the envelope with field paths, never Hono's default.
    defaultHook: (result, c) => {
      if (!result.success) {
        const details = issueDetails(result.error.issues);
        return c.json(errorBody("validation_failed", "The request is invalid", c.var.requestId, details), 400);
      }
    },
  });

  app.use("*", async (c, next) => {
    const requestId = c.req.header("cf-ray") ?? crypto.randomUUID();
    c.set("requestId", requestId);
    c.header("X-Request-Id", requestId);
    const logger = createLogger(c.env?.LOG_LEVEL, { requestId });
    // API answers are per user and per moment: no browser, proxy or CDN may keep one.
    const isApi = c.req.path.startsWith("/api/");
    if (isApi) c.header("Cache-Control", "no-store");

    const problems = findEnvProblems(c.env);
    if (problems.length > 0) {
      logger.error("environment invalid", { problems });
      return c.json(
        errorBody("misconfigured", `Worker is misconfigured: ${problems.join("; ")}`, requestId, { problems }),
        500,
      );
    }

    let handle: DatabaseHandle | undefined;
    c.set("services", {
      logger,
      db: () => {
        handle ??= createDatabase({
          ...databaseOptions(c.env),
          onError: (error) => logger.debug("database connection closed", describeError(error)),
        });
        return handle.db;
      },
    });
    try {
      await next();
      if (isApi) c.res.headers.set("Cache-Control", "no-store");
    } finally {
      if (handle) runAfterResponse(c, handle.close());
    }
  });

  app.notFound((c) =>
    c.json(errorBody("not_found", `No route for ${c.req.method} ${c.req.path}`, c.var.requestId), 404),
  );

  app.onError((error, c) => {
    const requestId = c.var.requestId ?? crypto.randomUUID();
    if (error instanceof ApiError) {
      if (error.status >= 500) {
        const level = EXPECTED_5XX[error.code] ?? "error";
        c.var.services?.logger[level](error.message, { code: error.code });
      }
      for (const [name, value] of Object.entries(error.headers ?? {})) c.header(name, value);
      return c.json(errorBody(error.code, error.message, requestId, error.details), error.status);
    }
    if (error instanceof HTTPException) {
      const code: ErrorCode =
        error.status === 413 ? "payload_too_large" : error.status === 401 ? "unauthorized" : "bad_request";
      return c.json(errorBody(code, error.message || "Bad request", requestId), error.status);
    }
    createLogger(c.env?.LOG_LEVEL, { requestId }).error("unhandled error", describeError(error));
    return c.json(errorBody("internal_error", "Something went wrong on our side", requestId), 500);
  });

  return app;
}
