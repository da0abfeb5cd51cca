import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { errorGroups, errorOccurrences, events, sessions } from "@telemetry-tracker/db";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";
import { runRetention } from "../src/jobs/retention.ts";
import { createLogger } from "../src/lib/logger.ts";
import { suiteDatabase } from "./helpers/db.ts";
import { createTenant } from "./helpers/fixtures.ts";

const db = suiteDatabase();

const DAY = 24 * 60 * 60 * 1000;
const ago = (days: number) => new Date(Date.now() - days * DAY);

/** One row of each kind at each age, so the test sees exactly which side of the cutoff survives. */
async function seedAges(projectId: string, ages: number[]) {
  for (const age of ages) {
    const at = ago(age);
    await db
      .insert(events)
      .values({ projectId, eventId: crypto.randomUUID(), name: `age-${age}`, app: "web", timestamp: at });
    const [group] = await db
      .insert(errorGroups)
      .values({
        projectId,
        fingerprint: `fp-${age}`,
        type: "E",
        message: `age-${age}`,
        firstSeen: at,
        lastSeen: at,
        occurrences: 1,
      })
      .returning();
    await db.insert(errorOccurrences).values({
      projectId,
      groupId: group.id,
      eventId: crypto.randomUUID(),
      timestamp: at,
      app: "web",
      type: "E",
      message: `age-${age}`,
    });
    // An ended session, and one never ended whose last activity is at the same age.
    await db
      .insert(sessions)
      .values({ projectId, sessionId: `ended-${age}`, app: "web", startedAt: at, endedAt: at, lastSeenAt: at });
    await db
      .insert(sessions)
      .values({ projectId, sessionId: `open-${age}`, app: "web", startedAt: at, lastSeenAt: at });
  }
}

async function survivors(projectId: string) {
  return {
    events: (await db.select().from(events).where(eq(events.projectId, projectId))).map((r) => r.name).sort(),
    groups: (await db.select().from(errorGroups).where(eq(errorGroups.projectId, projectId)))
      .map((r) => r.message)
      .sort(),
    occurrences: (await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, projectId)))
      .map((r) => r.message)
      .sort(),
    sessions: (await db.select().from(sessions).where(eq(sessions.projectId, projectId)))
      .map((r) => r.sessionId)
      .sort(),
  };
}

describe("retention (cron)", () => {
  it("deletes exactly what is outside the plan's window, per project, and nothing inside", async () => {
    const free = await createTenant(db, { plan: "FREE" }); // 14 days
    const pro = await createTenant(db, { plan: "PRO" }); // 90 days
    await seedAges(free.project.id, [1, 13, 15, 100]);
    await seedAges(pro.project.id, [1, 15, 89, 91]);

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await survivors(free.project.id)).toEqual({
      events: ["age-1", "age-13"],
      groups: ["age-1", "age-13"],
      occurrences: ["age-1", "age-13"],
      sessions: ["ended-1", "ended-13", "open-1", "open-13"],
    });
    expect(await survivors(pro.project.id)).toEqual({
      events: ["age-1", "age-15", "age-89"],
      groups: ["age-1", "age-15", "age-89"],
      occurrences: ["age-1", "age-15", "age-89"],
      sessions: ["ended-1", "ended-15", "ended-89", "open-1", "open-15", "open-89"],
    });
  });

  it("takes deleted vitals and requests out of the performance histograms", async () => {
    const { project } = await createTenant(db, { plan: "FREE" }); // 14 days
    for (const age of [1, 15]) {
      await db.insert(events).values([
        {
          projectId: project.id,
          eventId: crypto.randomUUID(),
          name: "$web_vital",
          app: "web",
          timestamp: ago(age),
          properties: { name: "LCP", value: 1000 * age, rating: "good", route: `/age-${age}` },
        },
        {
          projectId: project.id,
          eventId: crypto.randomUUID(),
          name: "$request",
          app: "api",
          timestamp: ago(age),
          properties: { method: "GET", route: `/age-${age}`, status: 200, duration_ms: age },
        },
      ]);
    }
    await runRetention(db, createLogger("error"));
    const left = await db.execute<{ kind: string; key: string; n: number }>(
      sql`select 'vital hourly' as kind, page as key, sum(count)::int as n from vital_histograms_hourly
            where project_id = ${project.id} group by page
          union all select 'vital daily', page, sum(count)::int from vital_histograms_daily
            where project_id = ${project.id} group by page
          union all select 'request hourly', route, sum(count)::int from request_histograms_hourly
            where project_id = ${project.id} group by route
          union all select 'request daily', route, sum(count)::int from request_histograms_daily
            where project_id = ${project.id} group by route
          union all select 'request running', route, max(requests)::int from request_running_daily
            where project_id = ${project.id} group by route
          order by 1, 2`,
    );
    // Each table keeps the surviving sample under its page/route and under the totals ('') (the daily
    // request table holds only the totals, the running one only routes: its latest row counts 1).
    expect(left.rows).toEqual([
      { kind: "request daily", key: "", n: 1 },
      ...["request hourly"].flatMap((kind) => [
        { kind, key: "", n: 1 },
        { kind, key: "/age-1", n: 1 },
      ]),
      { kind: "request running", key: "/age-1", n: 1 },
      ...["vital daily", "vital hourly"].flatMap((kind) => [
        { kind, key: "", n: 1 },
        { kind, key: "/age-1", n: 1 },
      ]),
    ]);
  });

  it("works in bounded batches and a second run is a no-op", async () => {
    const { project } = await createTenant(db, { plan: "FREE" });
    for (let i = 0; i < 7; i++) {
      await db
        .insert(events)
        .values({ projectId: project.id, eventId: crypto.randomUUID(), name: "old", app: "web", timestamp: ago(30) });
    }
    const logger = createLogger("error");
    const first = await runRetention(db, logger, { batchSize: 3 });
    expect(first.find((report) => report.projectId === project.id)?.deleted.events).toBe(7);
    const second = await runRetention(db, logger, { batchSize: 3 });
    expect(second.find((report) => report.projectId === project.id)?.deleted.events).toBe(0);
  });

  it("stops starting batches when its time budget is spent, and says so", async () => {
    const { project } = await createTenant(db, { plan: "FREE" });
    await seedAges(project.id, [30]);
    const reports = await runRetention(db, createLogger("error"), { timeBudgetMs: -1 });
    expect(reports).toHaveLength(1);
    expect(reports[0].complete).toBe(false);
  });
});
