import { runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { errorGroups, errorOccurrences, events, sessions, usageMonthly } from "@telemetry-tracker/db";
import { and, eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import type { ProjectMeter } from "../../src/meter/project-meter.ts";
import { setPostgres, suiteDatabase, withDatabase } from "../helpers/db.ts";
import { createIngestTenant, currentMonth, flushMeter, meter, meterSql, postIngest } from "../helpers/ingest.ts";

const db = suiteDatabase();
// A test that cuts Postgres off must not leave the next one without it, even when it fails.
afterEach(() => setPostgres("up"));

const batchOf = (n: number, app = "web") =>
  Array.from({ length: n }, (_, i) => ({ type: "event", event_id: crypto.randomUUID(), name: `e${i % 3}`, app }));

async function countRows(projectId: string) {
  return (await db.select().from(events).where(eq(events.projectId, projectId))).length;
}

describe("idempotency", () => {
  it("the same batch posted 3× and flushed twice stores each event once", async () => {
    const { key, project } = await createIngestTenant(db);
    const batch = { events: batchOf(10) };
    for (let i = 0; i < 3; i++) expect((await postIngest("/ingest/batch", batch, { key })).status).toBe(202);
    await flushMeter(project.id);
    expect(await countRows(project.id)).toBe(10);

    // Replay the flush of the same rows: nothing is added, usage does not move.
    const stub = meter(project.id);
    await runInDurableObject(stub, async (instance: ProjectMeter, state) => {
      state.storage.sql.exec(
        "insert into buffer (row, bytes) values (?, 1)",
        JSON.stringify({
          kind: "event",
          ...batch.events[0],
          timestamp: new Date().toISOString(),
          timestamp_clamped: false,
          properties: {},
        }),
      );
      await instance.flushOnce();
    });
    expect(await countRows(project.id)).toBe(10);
    const [usage] = await db.select().from(usageMonthly).where(eq(usageMonthly.projectId, project.id));
    // A retry of accepted events is free: the meter charged each event id once.
    expect(usage.units).toBe(10);
  });

  it("a retried 50-event batch (fixed event_ids, sent 3×) is charged and stored once", async () => {
    const { key, project } = await createIngestTenant(db);
    const batch = { events: batchOf(50) };
    const used: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await postIngest("/ingest/batch", batch, { key });
      expect(res.status).toBe(202);
      const body = await res.json<{ accepted: number; quota: { used: number } }>();
      expect(body.accepted).toBe(50);
      used.push(body.quota.used);
    }
    expect(used).toEqual([50, 50, 50]);
    // Not buffered again either.
    expect((await meter(project.id).stats()).bufferedRows).toBe(50);

    // Half repeats, half new: only the new half costs; a repeat inside one batch costs once.
    const fresh = batchOf(25);
    const mixed = { events: [...batch.events.slice(0, 25), ...fresh, fresh[0]] };
    const res = await postIngest("/ingest/batch", mixed, { key });
    expect(((await res.json()) as { quota: { used: number } }).quota.used).toBe(75);

    await flushMeter(project.id);
    expect(await countRows(project.id)).toBe(75);
    const [usage] = await db.select().from(usageMonthly).where(eq(usageMonthly.projectId, project.id));
    expect(usage.units).toBe(75);
  });

  it("remembers accepted event ids for a day, then forgets them", async () => {
    const { key, project } = await createIngestTenant(db);
    const batch = { events: batchOf(3) };
    expect((await postIngest("/ingest/batch", batch, { key })).status).toBe(202);
    // Age the remembered ids past the window; the next flush's housekeeping drops them.
    await meterSql(project.id, "update seen_event_ids set hour = hour - 26");
    await flushMeter(project.id);
    const [remembered] = await meterSql<{ n: number }>(project.id, "select count(*) as n from seen_event_ids");
    expect(remembered.n).toBe(0);
    const again = await postIngest("/ingest/batch", batch, { key });
    expect(((await again.json()) as { quota: { used: number } }).quota.used).toBe(6);
  });

  it("an error flushed twice counts one occurrence on its group", async () => {
    const { key, project } = await createIngestTenant(db);
    const item = { app: "web", type: "Error", message: "boom", event_id: crypto.randomUUID() };
    await postIngest("/ingest/error", item, { key });
    await postIngest("/ingest/error", item, { key });
    await flushMeter(project.id);
    const [group] = await db.select().from(errorGroups).where(eq(errorGroups.projectId, project.id));
    expect(group.occurrences).toBe(1);
    expect(await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, project.id))).toHaveLength(1);
  });
});

describe("Postgres down", () => {
  it("keeps accepting, buffers, and lands every accepted row exactly once when it is back", async () => {
    const { key, project } = await createIngestTenant(db);
    // Warm the key caches while the database is up, as a running system would have them.
    expect((await postIngest("/ingest/batch", { events: batchOf(5) }, { key })).status).toBe(202);
    await flushMeter(project.id);

    await setPostgres("down");
    let accepted = 5;
    for (let i = 0; i < 8; i++) {
      const res = await postIngest("/ingest/batch", { events: batchOf(25) }, { key });
      expect(res.status).toBe(202);
      accepted += 25;
    }
    const stub = meter(project.id);
    await flushMeter(project.id, 2);
    const during = await stub.stats();
    expect(during.bufferedRows).toBe(accepted - 5);
    expect(during.lastFlushError).not.toBeNull();
    expect(during.consecutiveFlushFailures).toBeGreaterThan(0);

    await setPostgres("up");
    await flushMeter(project.id);
    const after = await stub.stats();
    expect(after.bufferedRows).toBe(0);
    expect(after.lastFlushError).toBeNull();
    // A fresh pool: the outage cut the connections of this file's shared one too.
    await withDatabase(async (fresh) => {
      expect(await fresh.select().from(events).where(eq(events.projectId, project.id))).toHaveLength(accepted);
      const [usage] = await fresh.select().from(usageMonthly).where(eq(usageMonthly.projectId, project.id));
      expect(usage).toMatchObject({ month: currentMonth(), units: accepted });
    });
  });

  it("a failing flush re-arms its own alarm with backoff instead of throwing", async () => {
    const { key, project } = await createIngestTenant(db);
    expect((await postIngest("/ingest/event", { name: "x", app: "web" }, { key })).status).toBe(202);
    await setPostgres("down");
    const stub = meter(project.id);
    await flushMeter(project.id, 1);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm as number).toBeGreaterThan(Date.now());
    expect(alarm as number).toBeLessThanOrEqual(Date.now() + 60_000);
  });
});

describe("error grouping", () => {
  const stackAt = (line: number, column: number) =>
    [
      "TypeError: x is undefined",
      `    at handleClick (https://app.example/assets/app.js:${line}:${column})`,
      `    at dispatch (https://app.example/assets/app.js:${line + 50}:${column})`,
    ].join("\n");

  it("the same error with other line numbers and ids groups together; another type does not", async () => {
    const { key, project } = await createIngestTenant(db);
    await postIngest(
      "/ingest/batch",
      {
        events: [
          {
            type: "error",
            app: "web",
            error_type: "TypeError",
            message: "User 123 not found (id 9f8e7d6c5b4a3f2e1d0c)",
            stack: stackAt(10, 5),
          },
          {
            type: "error",
            app: "web",
            error_type: "TypeError",
            message: "User 98765 not found (id 0a1b2c3d4e5f6a7b8c9d)",
            stack: stackAt(12, 9),
          },
          {
            type: "error",
            app: "web",
            error_type: "RangeError",
            message: "User 123 not found (id 9f8e7d6c5b4a3f2e1d0c)",
            stack: stackAt(10, 5),
          },
        ],
      },
      { key },
    );
    await flushMeter(project.id);
    const groups = await db.select().from(errorGroups).where(eq(errorGroups.projectId, project.id));
    expect(groups).toHaveLength(2);
    const typeError = groups.find((group) => group.type === "TypeError");
    expect(typeError?.occurrences).toBe(2);
    expect(typeError?.culprit).toBe("handleClick (/assets/app.js)");
    expect(groups.find((group) => group.type === "RangeError")?.occurrences).toBe(1);
  });

  it("a client fingerprint overrides grouping", async () => {
    const { key, project } = await createIngestTenant(db);
    await postIngest(
      "/ingest/batch",
      {
        events: [
          { type: "error", app: "web", message: "totally different A", fingerprint: ["checkout-timeout"] },
          { type: "error", app: "web", message: "totally different B", fingerprint: ["checkout-timeout"] },
        ],
      },
      { key },
    );
    await flushMeter(project.id);
    const groups = await db.select().from(errorGroups).where(eq(errorGroups.projectId, project.id));
    expect(groups).toHaveLength(1);
    expect(groups[0].occurrences).toBe(2);
  });

  it("a resolved group seen again is reopened as a regression, with last seen and release moved", async () => {
    const { key, project } = await createIngestTenant(db);
    const error = { app: "web", type: "Error", message: "payment failed", release: "1.0.0" };
    await postIngest("/ingest/error", error, { key });
    await flushMeter(project.id);
    const [group] = await db.select().from(errorGroups).where(eq(errorGroups.projectId, project.id));
    expect(group).toMatchObject({ status: "unresolved", regressed: false, occurrences: 1, lastRelease: "1.0.0" });
    await db
      .update(errorGroups)
      .set({ status: "resolved", resolvedAt: new Date() })
      .where(eq(errorGroups.id, group.id));

    await postIngest("/ingest/error", { ...error, release: "1.0.1" }, { key });
    await flushMeter(project.id);
    const [reopened] = await db.select().from(errorGroups).where(eq(errorGroups.id, group.id));
    expect(reopened).toMatchObject({
      status: "unresolved",
      regressed: true,
      occurrences: 2,
      lastRelease: "1.0.1",
      resolvedAt: null,
    });
    expect(reopened.lastSeen.getTime()).toBeGreaterThanOrEqual(group.lastSeen.getTime());
  });

  it("an ignored group stays ignored but keeps counting", async () => {
    const { key, project } = await createIngestTenant(db);
    await postIngest("/ingest/error", { app: "web", message: "noise" }, { key });
    await flushMeter(project.id);
    await db.update(errorGroups).set({ status: "ignored" }).where(eq(errorGroups.projectId, project.id));
    await postIngest("/ingest/error", { app: "web", message: "noise" }, { key });
    await flushMeter(project.id);
    const [group] = await db.select().from(errorGroups).where(eq(errorGroups.projectId, project.id));
    expect(group).toMatchObject({ status: "ignored", regressed: false, occurrences: 2 });
  });

  it("errors in a session raise its error count and status", async () => {
    const { key, project } = await createIngestTenant(db);
    await postIngest(
      "/ingest/batch",
      {
        events: [
          { type: "session", session_id: "s1", app: "web", action: "start" },
          { type: "error", app: "web", message: "oops", session_id: "s1" },
          { type: "error", app: "web", message: "oops again", session_id: "s1" },
        ],
      },
      { key },
    );
    await flushMeter(project.id);
    const [session] = await db
      .select()
      .from(sessions)
      .where(and(eq(sessions.projectId, project.id), eq(sessions.sessionId, "s1")));
    expect(session).toMatchObject({ errorCount: 2, status: "errored" });
  });
});

describe("GET /health?deep=1&project=", () => {
  it("reports the project's buffer depth and last flush error", async () => {
    const { key, project } = await createIngestTenant(db);
    await postIngest("/ingest/batch", { events: batchOf(4) }, { key });
    const res = await exports.default.fetch(`http://tt.test/health?deep=1&project=${project.id}`);
    expect(res.status).toBe(200);
    const body = await res.json<{ meter: { bufferedRows: number; lastFlushError: string | null } }>();
    expect(body.meter).toMatchObject({ bufferedRows: 4, lastFlushError: null });
    await flushMeter(project.id);
    const after = await (await exports.default.fetch(`http://tt.test/health?deep=1&project=${project.id}`)).json<{
      meter: { bufferedRows: number };
    }>();
    expect(after.meter.bufferedRows).toBe(0);
  });
});
