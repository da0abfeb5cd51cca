import {
  apiKeys,
  type Database,
  organizations,
  parseApiKey,
  projects,
  sha256Hex,
  timingSafeEqual,
} from "@telemetry-tracker/db";
import { eq, sql } from "drizzle-orm";
import type { Context } from "hono";
import { timing } from "hono/timing";
import { extractApiKey } from "../auth/api-keys.ts";
import type { KeyRecord } from "../auth/key-record.ts";
import type { App, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { readJsonBody } from "../ingest/body.ts";
import { normalizeJsonText } from "../ingest/normalize.ts";
import { toBufferedRows } from "../ingest/rows.ts";
import { type BatchItem, batchSchema, eventSchema } from "../ingest/schemas.ts";
import type { EventRow } from "../meter/buffered-row.ts";
import { meterClient } from "../meter/client.ts";
import { utcMonth } from "../meter/project-meter.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";

/**
 * Benchmark-only routes and instrumentation for `npm run bench:ingest` / `bench:meter`.
 *
 * NEVER enabled in production: the routes answer 404 and the timings are off unless the bench's own
 * stack sets `BENCH_ROUTES=true` / `SERVER_TIMING=true` with `--var` (wrangler.toml sets neither).
 * The seed-design route writes straight into Postgres with a valid key, so it must stay off.
 */
export function registerBenchRoutes(app: App): void {
  // Per-stage timings of ingest as a Server-Timing header (stage;dur=ms), read by the bench.
  app.use("/ingest/*", timing({ enabled: (c) => c.env.SERVER_TIMING === "true", total: false, autoEnd: false }));
  app.use("/__bench/*", async (c, next) => {
    if (c.env.BENCH_ROUTES !== "true") {
      return c.json({ error: { code: "not_found", message: "Not found", requestId: c.var.requestId } }, 404);
    }
    await next();
  });

  for (const kind of ["event", "batch"] as const) {
    app.post(`/__bench/seed-design/${kind}`, async (c) => {
      try {
        return await seedDesignIngest(c, kind);
      } catch (error) {
        if (error instanceof ApiError) throw error;
        // The seed design has nowhere to put a row when Postgres is unreachable: the client gets an error.
        throw new ApiError("backend_unavailable", "Postgres is unreachable", { headers: { "Retry-After": "5" } });
      }
    });
  }

  app.post("/__bench/meter-ceiling", meterCeiling);
}

/**
 * The seed system's ingest design (its Fastify/Prisma API), for comparison only: per request the
 * key is looked up in Postgres, then one transaction checks and increments `usage_monthly` and
 * inserts the rows. Validation, scrubbing and the insert statement are ours, so the comparison
 * measures the design (Postgres on the request path) and not the code around it. The
 * check-and-increment is one conditional upsert, the cheapest form it can take.
 */
async function seedDesignIngest(c: Context<AppEnv>, kind: "event" | "batch"): Promise<Response> {
  const presented = extractApiKey(c.req.raw);
  const parsed = presented ? parseApiKey(presented) : null;
  if (!parsed) throw new ApiError("invalid_api_key", "The API key is malformed or missing");
  const db = c.var.services.db();
  const [row] = await db
    .select({ key: apiKeys, project: projects, org: organizations })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .innerJoin(organizations, eq(organizations.id, projects.orgId))
    .where(eq(apiKeys.publicId, parsed.publicId));
  if (!row || !timingSafeEqual(await sha256Hex(parsed.secret), row.key.secretHash)) {
    throw new ApiError("invalid_api_key", "The API key is not valid");
  }
  if (row.key.revokedAt || row.project.deletedAt) throw new ApiError("revoked_api_key", "The API key has been revoked");

  const body = await readJsonBody(c.req.raw);
  const result = kind === "batch" ? batchSchema.safeParse(body) : eventSchema.safeParse(body);
  if (!result.success) throw new ApiError("validation_failed", "Invalid body");
  const items = (kind === "batch" ? (result.data as { events: BatchItem[] }).events : [result.data]) as BatchItem[];
  if (items.some((item) => item.type !== undefined && item.type !== "event")) {
    throw new ApiError("validation_failed", "The seed-design bench route takes events only");
  }
  const key: KeyRecord = {
    keyId: row.key.id,
    publicId: parsed.publicId,
    projectId: row.project.id,
    projectNumericId: row.project.numericId,
    orgId: row.org.id,
    secretHash: row.key.secretHash,
    allowedApp: row.key.allowedApp,
    expiresAt: null,
    disabled: false,
    plan: effectivePlan(row.org),
    piiDenyKeys: row.project.piiDenyKeys,
  };
  const rows = (await toBufferedRows(
    normalizeJsonText(items.map((item) => ({ ...item, type: "event" }) as BatchItem)),
    key,
  )) as EventRow[];
  const limit = PLAN_LIMITS[key.plan].monthlyUnits;

  const used = await db.transaction(async (tx) => {
    const counted = await tx.execute<{ units: number }>(sql`
      insert into usage_monthly (project_id, month, units, updated_at)
      values (${key.projectId}::uuid, ${utcMonth(Date.now())}, ${rows.length}, now())
      on conflict (project_id, month) do update
      set units = usage_monthly.units + excluded.units, updated_at = now()
      where usage_monthly.units + excluded.units <= ${limit}
      returning units`);
    if (counted.rows.length === 0 || rows.length > limit) {
      throw new ApiError("quota_exceeded", `Monthly quota of ${limit} units reached`);
    }
    await insertEventRows(tx as unknown as Database, key.projectId, rows);
    return Number(counted.rows[0].units);
  });
  return c.json({ accepted: rows.length, quota: { used, limit, remaining: Math.max(0, limit - used) } }, 202);
}

async function insertEventRows(db: Database, projectId: string, rows: EventRow[]): Promise<void> {
  await db.execute(sql`
    insert into events (project_id, event_id, name, timestamp, timestamp_clamped, app, platform, environment,
      release, user_id, anonymous_id, session_id, url, sdk_name, sdk_version, properties)
    select ${projectId}::uuid, x.event_id, x.name, x.timestamp, x.timestamp_clamped, x.app, x.platform,
      x.environment, x.release, x.user_id, x.anonymous_id, x.session_id, x.url, x.sdk_name, x.sdk_version,
      coalesce(x.properties, '{}'::jsonb)
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(event_id uuid, name text, timestamp timestamptz,
      timestamp_clamped boolean, app text, platform text, environment text, release text, user_id text,
      anonymous_id text, session_id text, url text, sdk_name text, sdk_version text, properties jsonb)
    on conflict (project_id, event_id) do nothing`);
}

/**
 * One ProjectMeter's admit ceiling without HTTP in front: keeps `concurrency` admits of `rows`
 * events each in flight to the meter of `projectId` for `durationMs`, and answers what was
 * accepted. Rows are built once; each admit gets fresh event ids, so no deduplication kicks in.
 */
async function meterCeiling(c: Context<AppEnv>): Promise<Response> {
  const input = (await c.req.json()) as {
    projectId: string;
    rows: number;
    concurrency: number;
    durationMs: number;
  };
  const key: KeyRecord = {
    keyId: "bench",
    publicId: "bench",
    projectId: input.projectId,
    projectNumericId: 0,
    orgId: "bench",
    secretHash: "",
    allowedApp: null,
    expiresAt: null,
    disabled: false,
    plan: "BUSINESS",
    piiDenyKeys: [],
  };
  const template = await toBufferedRows(
    Array.from(
      { length: input.rows },
      (_, i) => ({ type: "event", name: `ceiling_${i % 10}`, app: "bench", properties: { i } }) as BatchItem,
    ),
    key,
  );
  const meter = meterClient(c.env, c.var.services.logger);
  const counts = { admits: 0, accepted: 0, refused: {} as Record<string, number> };
  const started = Date.now();
  const deadline = started + input.durationMs;
  const worker = async () => {
    while (Date.now() < deadline) {
      const rows = template.map((row) => ({ ...row, event_id: crypto.randomUUID() }));
      const result = await meter.admit(key, rows);
      counts.admits++;
      if (result.ok) counts.accepted += result.accepted;
      else counts.refused[result.code] = (counts.refused[result.code] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: input.concurrency }, worker));
  const seconds = (Date.now() - started) / 1000;
  return c.json({ ...counts, seconds, eventsPerSecond: counts.accepted / seconds });
}
