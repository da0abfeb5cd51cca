import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import type { Database, Plan } from "@telemetry-tracker/db";
import { meterClient } from "../../src/meter/client.ts";
import type { ProjectMeter } from "../../src/meter/project-meter.ts";
import { createApiKey, createTenant } from "./fixtures.ts";

export const WORKER = "http://tt.test";

/** A fresh organization + project + ingest key, so tests never share quota or buffers. */
export async function createIngestTenant(db: Database, options: { plan?: Plan; allowedApp?: string } = {}) {
  const tenant = await createTenant(db, { plan: options.plan });
  const { key, row } = await createApiKey(db, tenant.project.id, { allowedApp: options.allowedApp });
  return { ...tenant, key, keyRow: row };
}

export interface PostOptions {
  key?: string | null;
  headers?: Record<string, string>;
  /** Raw body instead of JSON.stringify(body). */
  raw?: BodyInit;
}

export function postIngest(path: string, body: unknown, options: PostOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { "content-type": "application/json", ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  return exports.default.fetch(`${WORKER}${path}`, {
    method: "POST",
    headers,
    body: options.raw ?? JSON.stringify(body),
  });
}

export interface ErrorEnvelope {
  error: { code: string; message: string; requestId: string; details?: Array<{ path: string; message: string }> };
}

export async function expectError(res: Response, status: number, code: string): Promise<ErrorEnvelope> {
  const body = (await res.json()) as ErrorEnvelope;
  if (res.status !== status || body.error?.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${res.status} ${JSON.stringify(body)}`);
  }
  return body;
}

export function meter(projectId: string): DurableObjectStub<ProjectMeter> {
  return meterClient(env).stub(projectId);
}

/** Runs the meter's alarm now (flush to Postgres) until its buffer is empty or `maxRuns` is hit. */
export async function flushMeter(projectId: string, maxRuns = 20): Promise<void> {
  const stub = meter(projectId);
  for (let run = 0; run < maxRuns; run++) {
    const stats = await stub.stats();
    if (stats.bufferedRows === 0 && run > 0) return;
    await runInDurableObject(stub, async (_instance, state) => {
      // Make sure an alarm is armed so runDurableObjectAlarm has something to run.
      if ((await state.storage.getAlarm()) === null) await state.storage.setAlarm(Date.now() + 60_000);
    });
    await runDurableObjectAlarm(stub);
  }
}

/** One statement in the meter's own SQLite, to stage what ingest cannot reach (aged rows, a replayed flush). */
export function meterSql<Row extends Record<string, SqlStorageValue>>(
  projectId: string,
  query: string,
  ...bindings: unknown[]
): Promise<Row[]> {
  return runInDurableObject(meter(projectId), (_instance, state) =>
    state.storage.sql.exec<Row>(query, ...bindings).toArray(),
  );
}

/** Sets the meter's unit count for a month directly (quota boundary tests). */
export async function setMeterUsage(projectId: string, month: string, units: number): Promise<void> {
  await meterSql(
    projectId,
    "insert into usage (month, units, dirty) values (?, ?, 1) on conflict (month) do update set units = excluded.units",
    month,
    units,
  );
}

/** The meter reads the time through `clock`: a test stops it (rate buckets) or moves it (a new month). */
export async function setMeterClock(projectId: string, now: () => number): Promise<void> {
  await runInDurableObject(meter(projectId), (instance) => {
    instance.clock = now;
  });
}

export const currentMonth = () => new Date().toISOString().slice(0, 7);
