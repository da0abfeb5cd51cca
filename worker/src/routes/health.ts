import { createRoute, z } from "@hono/zod-openapi";
import { JOBS, jobHealth } from "../alerts/heartbeat.ts";
import type { App } from "../context.ts";
import type { Bindings } from "../env.ts";
import { describeError, type Logger } from "../lib/logger.ts";
import { meterClient } from "../meter/client.ts";
import { DeadLetters } from "../meter/schemas.ts";
import { pingDatabase } from "../services/health.ts";

/** A meter whose oldest buffered row waits longer than this is reported stale (deep health 503). */
export const STALE_BUFFER_MS = 5 * 60_000;

const HealthResponse = z
  .object({
    status: z.enum(["ok", "degraded"]),
    database: z.enum(["ok", "unreachable", "not_checked"]),
    databaseLatencyMs: z.number().optional(),
    meter: z
      .object({
        status: z.enum(["ok", "stale", "unreachable"]).openapi({
          description: `stale: the oldest buffered row waits longer than ${STALE_BUFFER_MS / 60_000} minutes`,
        }),
        bufferedRows: z.number(),
        bufferedBytes: z.number(),
        oldestBufferedAt: z.string().nullable(),
        lastFlushAt: z.string().nullable(),
        lastFlushError: z.string().nullable(),
        consecutiveFlushFailures: z.number(),
        deadLetters: DeadLetters.nullable(),
      })
      .optional()
      .openapi({ description: "With ?project=<id>: that project's ingest buffer (rows not yet in Postgres)" }),
    alerts: z
      .object({
        evaluator: z.enum(["ok", "stale", "never"]),
        lastEvaluatedAt: z.string().nullable(),
      })
      .optional()
      .openapi({ description: "Deep check: the every-minute alert evaluator's heartbeat (stale after 5 minutes)" }),
  })
  .openapi("Health");

const route = createRoute({
  method: "get",
  path: "/health",
  summary: "Liveness; with ?deep=1 a database round trip, with &project= that project's meter",
  request: {
    query: z.object({ deep: z.enum(["0", "1", "true", "false"]).optional(), project: z.uuid().optional() }),
  },
  responses: {
    200: { description: "Healthy", content: { "application/json": { schema: HealthResponse } } },
    503: {
      description: "The database is unreachable, or the project's meter is unreachable or stale",
      content: { "application/json": { schema: HealthResponse } },
    },
  },
});

const DEEP_CHECK_TIMEOUT_MS = 3_000;

type MeterHealth = z.infer<typeof HealthResponse>["meter"];

async function meterHealth(env: Bindings, logger: Logger, projectId: string): Promise<MeterHealth> {
  const meters = meterClient(env, logger);
  const [stats, deadLetters] = await Promise.all([meters.stats(projectId), meters.deadLetters(projectId, 5)]);
  if (!stats) {
    return {
      status: "unreachable",
      bufferedRows: 0,
      bufferedBytes: 0,
      oldestBufferedAt: null,
      lastFlushAt: null,
      lastFlushError: null,
      consecutiveFlushFailures: 0,
      deadLetters,
    };
  }
  const waiting = stats.oldestBufferedAt ? Date.now() - Date.parse(stats.oldestBufferedAt) : 0;
  return {
    status: waiting > STALE_BUFFER_MS ? "stale" : "ok",
    bufferedRows: stats.bufferedRows,
    bufferedBytes: stats.bufferedBytes,
    oldestBufferedAt: stats.oldestBufferedAt,
    lastFlushAt: stats.lastFlushAt,
    lastFlushError: stats.lastFlushError,
    consecutiveFlushFailures: stats.consecutiveFlushFailures,
    deadLetters,
  };
}

export function registerHealth(app: App): void {
  app.openapi(route, async (c) => {
    const query = c.req.valid("query");
    const deep = ["1", "true"].includes(query.deep ?? "");
    if (!deep) return c.json({ status: "ok" as const, database: "not_checked" as const }, 200);
    const started = Date.now();
    // The buffer is reported even when Postgres is down: that is when it matters.
    const meter = query.project ? await meterHealth(c.env, c.var.services.logger, query.project) : undefined;
    const meterOk = !meter || meter.status === "ok";
    try {
      const timeout = new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("database check timed out")), DEEP_CHECK_TIMEOUT_MS),
      );
      await Promise.race([pingDatabase(c.var.services.db()), timeout]);
      const status = meterOk ? ("ok" as const) : ("degraded" as const);
      const databaseLatencyMs = Date.now() - started;
      const evaluator = await jobHealth(c.var.services.db(), JOBS.alertEvaluator);
      const alerts = { evaluator: evaluator.state, lastEvaluatedAt: evaluator.lastOkAt };
      return c.json({ status, database: "ok" as const, databaseLatencyMs, meter, alerts }, meterOk ? 200 : 503);
    } catch (error) {
      c.var.services.logger.warn("deep health check failed", describeError(error));
      return c.json({ status: "degraded" as const, database: "unreachable" as const, meter }, 503);
    }
  });
}
