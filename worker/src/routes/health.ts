import { createRoute, z } from "@hono/zod-openapi";
import { sql } from "drizzle-orm";
import type { App } from "../context.ts";
import { describeError } from "../lib/logger.ts";

const HealthResponse = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["ok", "unreachable", "not_checked"]),
    databaseLatencyMs: z.number().optional(),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness, and with ?deep=1 a database round trip",
  request: { query: z.object({ deep: z.enum(["0", "1", "true", "false"]).optional() }) },
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthResponse } } },
    503: { description: "The database is unreachable", content: { "application/json": { schema: HealthResponse } } },
  },
});

const DEEP_CHECK_TIMEOUT_MS = 3_000;

export function registerHealth(app: App): void {
  app.openapi(route, async (c) => {
    const deep = ["1", "true"].includes(c.req.valid("query").deep ?? "");
    if (!deep) return c.json({ status: "ok" as const, database: "not_checked" as const }, 200);
    const started = Date.now();
    try {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("database check timed out")), DEEP_CHECK_TIMEOUT_MS),
      );
      await Promise.race([c.var.services.db().execute(sql`select 1`), timeout]);
      return c.json({ status: "ok" as const, database: "ok" as const, databaseLatencyMs: Date.now() - started }, 200);
    } catch (error) {
      c.var.services.logger.warn("deep health check failed", describeError(error));
      return c.json({ status: "degraded" as const, database: "unreachable" as const }, 503);
    }
  });
}
