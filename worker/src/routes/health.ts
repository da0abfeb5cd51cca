import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { App } from "../context.ts";
import type { Bindings } from "../env.ts";
import { describeError } from "../lib/logger.ts";
import { meterFor } from "../meter/client.ts";

const HealthResponse = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["ok", "unreachable", "not_checked"]),
    databaseLatencyMs: z.number().optional(),
    meter: z
      .object({
        bufferedRows: z.number(),
        bufferedBytes: z.number(),
        lastFlushAt: z.string().nullable(),
        lastFlushError: z.string().nullable(),
        consecutiveFlushFailures: z.number(),
      })
      .optional()
      .openapi({ description: "With ?project=<id>: that project's ingest buffer (rows not yet in Postgres)" }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness, and with ?deep=1 a database round trip",
  request: {
    query: z.object({ deep: z.enum(["0", "1", "true", "false"]).optional(), project: z.uuid().optional() }),
  },
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthResponse } } },
    503: { description: "The database is unreachable", content: { "application/json": { schema: HealthResponse } } },
  },
});

const DEEP_CHECK_TIMEOUT_MS = 3_000;

async function meterStats(env: Bindings, projectId: string) {
  const { bufferedRows, bufferedBytes, lastFlushAt, lastFlushError, consecutiveFlushFailures } = await meterFor(
    env,
    projectId,
  ).stats();
  return { bufferedRows, bufferedBytes, lastFlushAt, lastFlushError, consecutiveFlushFailures };
}

export function registerHealth(app: App): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const deep = ["1", "true"].includes(query.deep ?? "");
    if (!deep) return c.json({ status: "ok" as const, database: "not_checked" as const }, 200);
    const started = Date.now();
    // The buffer is reported even when Postgres is down: that is when it matters.
    const meter = query.project ? await meterStats(c.env, query.project) : undefined;
    try {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("database check timed out")), DEEP_CHECK_TIMEOUT_MS),
      );
      await Promise.race([c.var.services.db().execute(sql`select 1`), timeout]);
      return c.json(
        { status: "ok" as const, database: "ok" as const, databaseLatencyMs: Date.now() - started, meter },
        200,
      );
    } catch (error) {
      c.var.services.logger.warn("deep health check failed", describeError(error));
      return c.json({ status: "degraded" as const, database: "unreachable" as const, meter }, 503);
    }
  });
}
