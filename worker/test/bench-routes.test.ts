import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { events, usageMonthly } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { suiteDatabase } from "./helpers/db.ts";
import { createIngestTenant, postIngest, WORKER } from "./helpers/ingest.ts";

const db = suiteDatabase();

/** The Worker with the bench stack's vars on top of the test env (what bench/stack.ts passes). */
async function fetchBench(path: string, body: unknown, key: string): Promise<Response> {
  const ctx = createExecutionContext();
  const request = new Request(`${WORKER}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const response = await worker.fetch(request, { ...env, BENCH_ROUTES: "true", SERVER_TIMING: "true" }, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("bench-only routes (bench/*)", () => {
  it("are not there, and ingest has no Server-Timing, unless the bench stack switches them on", async () => {
    const { key } = await createIngestTenant(db);
    const seed = await postIngest("/__bench/seed-design/event", { name: "a", app: "web" }, { key });
    expect(seed.status).toBe(404);
    const ceiling = await postIngest("/__bench/meter-ceiling", { projectId: crypto.randomUUID() }, { key });
    expect(ceiling.status).toBe(404);
    const ingest = await postIngest("/ingest/event", { name: "a", app: "web" }, { key });
    expect(ingest.status).toBe(202);
    expect(ingest.headers.get("server-timing")).toBeNull();
  });

  it("with SERVER_TIMING, ingest answers carry one duration per stage", async () => {
    const { key } = await createIngestTenant(db);
    const res = await fetchBench("/ingest/event", { name: "a", app: "web" }, key);
    expect(res.status).toBe(202);
    const stages = (res.headers.get("server-timing") ?? "").split(",").map((metric) => metric.split(";")[0].trim());
    expect(stages).toEqual(["iplimit", "auth", "body", "validate", "admit"]);
  });

  it("the seed design writes the rows and counts usage in Postgres on the request, and refuses a bad key", async () => {
    const { key, project } = await createIngestTenant(db);
    const batch = {
      events: [
        { name: "a", app: "web" },
        { name: "b", app: "web" },
      ],
    };
    expect((await fetchBench("/__bench/seed-design/batch", batch, key)).status).toBe(202);
    expect((await fetchBench("/__bench/seed-design/event", { name: "c", app: "web" }, key)).status).toBe(202);
    const stored = await db.select().from(events).where(eq(events.projectId, project.id));
    expect(stored.map((row) => row.name).sort()).toEqual(["a", "b", "c"]);
    const [usage] = await db.select().from(usageMonthly).where(eq(usageMonthly.projectId, project.id));
    expect(usage.units).toBe(3);

    const refused = await fetchBench("/__bench/seed-design/event", { name: "d", app: "web" }, `${key}x`);
    expect(refused.status).toBe(401);
  });
});
