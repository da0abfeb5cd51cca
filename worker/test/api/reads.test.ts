import { beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { flushMeter, postIngest } from "../helpers/ingest.ts";
import { call, createWorld, json } from "./helpers.ts";

// Everything here is sent through the real ingest endpoints and flushed by the ProjectMeter's alarm,
// then read back through /api: the same path production data takes.

type World = Awaited<ReturnType<typeof createWorld>>;
let w: World;
let key: string;
const now = Date.now();
const MIN = 60_000;
const eventTimes: number[] = [];
const eventIds: string[] = [];

interface Page<T> {
  nextCursor: string | null;
  [k: string]: T[] | string | null;
}

async function get<T = Record<string, unknown>>(path: string, role: "VIEWER" | "EDITOR" | "OWNER" = "VIEWER") {
  const res = await call(path, { cookie: w.members[role].cookie });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return json<T>(res);
}

async function ingest(path: string, body: unknown) {
  const res = await postIngest(path, body, { key });
  expect(res.status, await res.clone().text()).toBe(202);
}

beforeAll(async () => {
  w = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
  key = (await withDatabase((db) => createApiKey(db, w.project.id))).key;
  // 30 events over the last 150 minutes: 20 page_view (web/prod), 10 signup (ios/staging).
  const items = Array.from({ length: 30 }, (_, i) => {
    const t = now - (i * 5 + 1) * MIN;
    const id = crypto.randomUUID();
    eventTimes.push(t);
    eventIds.push(id);
    const signup = i % 3 === 2;
    return {
      type: "event",
      event_id: id,
      name: signup ? "signup" : "page_view",
      app: signup ? "ios" : "web",
      environment: signup ? "staging" : "prod",
      release: "1.0.0",
      timestamp: new Date(t).toISOString(),
      session_id: i < 4 ? "s1" : undefined,
      user_id: i < 4 ? "u1" : undefined,
      properties: { plan: i % 2 === 0 ? "pro" : "free", i },
    };
  });
  await ingest("/ingest/batch", { events: items });
  const error = (message: string, user: string, minutesAgo: number, type = "TypeError") => ({
    type: "error",
    app: "web",
    environment: "prod",
    release: "1.0.1",
    error_type: type,
    message,
    user_id: user,
    session_id: user === "u1" ? "s1" : "s2",
    timestamp: new Date(now - minutesAgo * MIN).toISOString(),
    frames: [{ file: "app.js", function: "render", line: 10, in_app: true }],
    breadcrumbs: [{ category: "ui.click", message: "button" }],
    tags: { page: "home" },
  });
  await ingest("/ingest/batch", {
    events: [
      error("x is undefined", "u1", 3),
      error("x is undefined", "u2", 30),
      error("x is undefined", "u1", 90),
      error("bad range", "u2", 10, "RangeError"),
    ],
  });
  const session = (id: string, user: string | null, startedMinutesAgo: number, status = "ok") => ({
    type: "session",
    session_id: id,
    app: "web",
    action: "start",
    started_at: new Date(now - startedMinutesAgo * MIN).toISOString(),
    timestamp: new Date(now - startedMinutesAgo * MIN).toISOString(),
    user_id: user,
    anonymous_id: user ? null : "anon-3",
    environment: "prod",
    browser: "Firefox",
    os: "Linux",
    status,
  });
  await ingest("/ingest/batch", {
    events: [session("s1", "u1", 100), session("s2", "u2", 40, "errored"), session("s3", null, 20)],
  });
  await flushMeter(w.project.id);
});

const base = () => `/api/projects/${w.project.id}`;

describe("overview", () => {
  it("24h: totals, zero-filled hourly series that sums to them, previous period, tops", async () => {
    const o = await get<{
      window: { bucket: string };
      totals: Record<string, number>;
      previous: { totals: Record<string, number> };
      series: Array<Record<string, number | string>>;
      topEvents: Array<{ name: string; count: number }>;
      topErrorGroups: Array<{ type: string; count: number }>;
      recentSessions: Array<{ sessionId: string }>;
    }>(`${base()}/overview?range=24h`);
    expect(o.window.bucket).toBe("1h");
    expect(o.totals).toEqual({ events: 30, errors: 4, sessions: 3, activeUsers: 3 });
    expect(o.previous.totals).toEqual({ events: 0, errors: 0, sessions: 0, activeUsers: 0 });
    expect(o.series.length).toBeGreaterThanOrEqual(24);
    expect(o.series.length).toBeLessThanOrEqual(25);
    const sum = (k: string) => o.series.reduce((acc, b) => acc + Number(b[k]), 0);
    expect([sum("events"), sum("errors"), sum("sessions")]).toEqual([30, 4, 3]);
    expect(o.topEvents).toEqual([
      { name: "page_view", count: 20 },
      { name: "signup", count: 10 },
    ]);
    expect(o.topErrorGroups.map((g) => [g.type, g.count])).toEqual([
      ["TypeError", 3],
      ["RangeError", 1],
    ]);
    expect(o.recentSessions.map((s) => s.sessionId)).toEqual(["s3", "s2", "s1"]);
  });

  it("30d: daily buckets (rollups) agree with the raw data", async () => {
    const o = await get<{
      window: { bucket: string };
      totals: Record<string, number>;
      series: Array<Record<string, number | string>>;
      topErrorGroups: Array<{ type: string; count: number }>;
    }>(`${base()}/overview?range=30d`);
    expect(o.window.bucket).toBe("1d");
    expect(o.topErrorGroups.map((g) => [g.type, g.count])).toEqual([
      ["TypeError", 3],
      ["RangeError", 1],
    ]);
    expect(o.totals).toEqual({ events: 30, errors: 4, sessions: 3, activeUsers: 3 });
    const users = o.series.reduce((acc, b) => acc + Number(b.activeUsers), 0);
    // Per-day distinct users: 3 unless the sessions straddle UTC midnight.
    expect(users).toBeGreaterThanOrEqual(3);
    expect(o.series.reduce((acc, b) => acc + Number(b.events), 0)).toBe(30);
  });

  it("1h: 5-minute buckets from the raw tables count only the last hour", async () => {
    const o = await get<{ window: { bucket: string; from: string }; totals: Record<string, number> }>(
      `${base()}/overview?range=1h`,
    );
    expect(o.window.bucket).toBe("5m");
    const from = Date.parse(o.window.from);
    expect(o.totals.events).toBe(eventTimes.filter((t) => t >= from).length);
    expect(o.totals.errors).toBe(3);
    expect(o.totals.sessions).toBe(2);
  });

  it("refuses malformed ranges with 400, never 500", async () => {
    for (const q of ["range=2h", "from=yesterday", "from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z"]) {
      const res = await call(`${base()}/overview?${q}`, { cookie: w.members.VIEWER.cookie });
      expect(res.status, q).toBe(400);
    }
  });
});

describe("events", () => {
  it("pages newest first with a stable keyset cursor, even while new events arrive", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Page<{ id: string; timestamp: string }> = await get(
        `${base()}/events?limit=7${cursor ? `&cursor=${cursor}` : ""}`,
      );
      const items = page.events as Array<{ id: string; timestamp: string }>;
      seen.push(...items.map((e) => e.id));
      cursor = page.nextCursor;
      if (pages++ === 0) {
        // A newer event lands between page 1 and page 2: it must not shift or duplicate anything.
        await ingest("/ingest/event", { app: "web", name: "late", event_id: crypto.randomUUID() });
        await flushMeter(w.project.id);
      }
    } while (cursor && pages < 20);
    const expected = eventIds
      .map((id, i) => ({ id, t: eventTimes[i] }))
      .sort((a, b) => b.t - a.t)
      .map((e) => e.id);
    expect(seen).toEqual(expected);
    expect(pages).toBe(5);
  });

  it("filters by name, app, environment, property and range", async () => {
    const count = async (q: string) =>
      ((await get<{ events: unknown[] }>(`${base()}/events?limit=100&${q}`)).events as unknown[]).length;
    expect(await count("name=signup")).toBe(10);
    expect(await count("app=ios")).toBe(10);
    expect(await count("environment=prod&name=page_view")).toBe(20);
    expect(await count("propertyKey=plan&propertyValue=pro")).toBe(15);
    expect(await count("name=page_view&propertyKey=plan&propertyValue=pro")).toBe(10);
    const from = new Date(now - 31 * MIN).toISOString();
    expect(await count(`name=signup&from=${from}&to=${new Date(now).toISOString()}`)).toBe(
      eventTimes.filter((t, i) => i % 3 === 2 && t >= now - 31 * MIN).length,
    );
  });

  it("groups by name with count and exact last seen", async () => {
    const { names } = await get<{ names: Array<{ name: string; count: number; lastSeen: string }> }>(
      `${base()}/events/names?range=24h`,
    );
    const signup = names.find((n) => n.name === "signup");
    expect(signup?.count).toBe(10);
    expect(signup?.lastSeen).toBe(new Date(Math.max(...eventTimes.filter((_, i) => i % 3 === 2))).toISOString());
    expect(names.find((n) => n.name === "page_view")?.count).toBe(20);
  });

  it("detail by event id; another project's id is 404", async () => {
    const event = await get<{ id: string; properties: Record<string, unknown> }>(`${base()}/events/${eventIds[0]}`);
    expect(event.id).toBe(eventIds[0]);
    expect(event.properties).toMatchObject({ plan: "pro", i: 0 });
    const other = await call(`/api/projects/${w.other.project.id}/events/${eventIds[0]}`, {
      cookie: w.members.VIEWER.cookie,
    });
    expect(other.status).toBe(404);
  });

  it("rejects forged cursors with 400", async () => {
    const forged = btoa(JSON.stringify(["2026-02-30T00:00:00.000000Z", "1"])).replace(/=+$/, "");
    for (const cursor of ["zzz", forged, btoa(JSON.stringify(["x'; drop table events;--", "1"]))]) {
      const res = await call(`${base()}/events?cursor=${encodeURIComponent(cursor)}`, {
        cookie: w.members.VIEWER.cookie,
      });
      expect(res.status).toBe(400);
    }
  });
});

describe("issues", () => {
  it("lists, sorts, searches, filters; detail; resolve by EDITOR only", async () => {
    type Issue = { id: string; type: string; occurrences: number; usersAffected: number; status: string };
    const list = async (q = "") => (await get<{ issues: Issue[] }>(`${base()}/issues?${q}`)).issues;
    const byLast = await list();
    expect(byLast.map((i) => i.type)).toEqual(["TypeError", "RangeError"]);
    const byCount = await list("sort=occurrences");
    expect(byCount.map((i) => [i.type, i.occurrences, i.usersAffected])).toEqual([
      ["TypeError", 3, 2],
      ["RangeError", 1, 1],
    ]);
    expect((await list("sort=first_seen")).map((i) => i.type)).toEqual(["RangeError", "TypeError"]);
    expect((await list("sort=users")).map((i) => i.type)).toEqual(["TypeError", "RangeError"]);
    expect((await list("q=range")).map((i) => i.type)).toEqual(["RangeError"]);
    expect((await list("q=%25")).length).toBe(0);
    expect((await list("release=1.0.1")).length).toBe(2);
    expect((await list("release=9.9.9")).length).toBe(0);
    const page1 = await get<{ issues: Issue[]; nextCursor: string }>(`${base()}/issues?limit=1&sort=occurrences`);
    const page2 = await get<{ issues: Issue[]; nextCursor: string | null }>(
      `${base()}/issues?limit=1&sort=occurrences&cursor=${page1.nextCursor}`,
    );
    expect(page2.issues.map((i) => i.type)).toEqual(["RangeError"]);
    expect(page2.nextCursor).toBeNull();

    const typeError = byLast[0];
    const detail = await get<{
      issue: Issue;
      sessionsAffected: number;
      counts: Array<{ count: number }>;
      latestOccurrences: Array<{ breadcrumbs: unknown[]; tags: Record<string, string>; frames: unknown[] }>;
    }>(`${base()}/issues/${typeError.id}?range=24h`);
    expect(detail.issue.usersAffected).toBe(2);
    expect(detail.sessionsAffected).toBe(2);
    expect(detail.counts.reduce((a, c) => a + c.count, 0)).toBe(3);
    expect(detail.latestOccurrences).toHaveLength(3);
    expect(detail.latestOccurrences[0].tags).toEqual({ page: "home" });
    expect(detail.latestOccurrences[0].breadcrumbs).toHaveLength(1);

    const occ = await get<{ occurrences: unknown[]; nextCursor: string }>(
      `${base()}/issues/${typeError.id}/occurrences?limit=2`,
    );
    expect(occ.occurrences).toHaveLength(2);
    const occ2 = await get<{ occurrences: unknown[]; nextCursor: string | null }>(
      `${base()}/issues/${typeError.id}/occurrences?limit=2&cursor=${occ.nextCursor}`,
    );
    expect(occ2.occurrences).toHaveLength(1);

    const patch = (role: "VIEWER" | "EDITOR", status: string) =>
      call(`${base()}/issues/${typeError.id}`, { method: "PATCH", cookie: w.members[role].cookie, body: { status } });
    expect((await patch("VIEWER", "resolved")).status).toBe(403);
    expect((await patch("EDITOR", "resolved")).status).toBe(200);
    expect((await list()).map((i) => i.type)).toEqual(["RangeError"]);
    expect((await list("status=resolved")).map((i) => i.type)).toEqual(["TypeError"]);
    expect((await list("status=all")).length).toBe(2);
    expect((await patch("EDITOR", "ignored")).status).toBe(200);
    expect((await list("status=ignored")).map((i) => i.type)).toEqual(["TypeError"]);
    expect((await patch("EDITOR", "unresolved")).status).toBe(200);

    // Another project's issue through my project's path: 404.
    const foreign = await call(`/api/projects/${w.other.project.id}/issues/${typeError.id}`, {
      cookie: w.members.OUTSIDER.cookie,
    });
    expect(foreign.status).toBe(404);
  });
});

describe("sessions", () => {
  it("lists newest first with duration, errors and device; pages; detail has a merged timeline", async () => {
    type S = { id: string; sessionId: string; status: string; browser: string; durationMs: number };
    const { sessions, nextCursor } = await get<{ sessions: S[]; nextCursor: string }>(`${base()}/sessions?limit=2`);
    expect(sessions.map((s) => s.sessionId)).toEqual(["s3", "s2"]);
    expect(sessions[0].browser).toBe("Firefox");
    const rest = await get<{ sessions: S[]; nextCursor: string | null }>(
      `${base()}/sessions?limit=2&cursor=${nextCursor}`,
    );
    expect(rest.sessions.map((s) => s.sessionId)).toEqual(["s1"]);
    expect(rest.nextCursor).toBeNull();
    const ok = await get<{ sessions: S[] }>(`${base()}/sessions?status=ok`);
    expect(ok.sessions.map((s) => s.sessionId)).toEqual(["s3"]);

    const s1 = rest.sessions[0];
    const detail = await get<{ session: S; timeline: Array<{ kind: string; timestamp: string }> }>(
      `${base()}/sessions/${s1.id}`,
    );
    expect(detail.session.sessionId).toBe("s1");
    // Four events carried s1, but one was sent by the ios app: sessions are per (session id, app).
    expect(detail.timeline.filter((t) => t.kind === "event")).toHaveLength(3);
    expect(detail.timeline.filter((t) => t.kind === "error")).toHaveLength(2);
    const times = detail.timeline.map((t) => t.timestamp);
    expect([...times].sort()).toEqual(times);
    const foreign = await call(`/api/projects/${w.other.project.id}/sessions/${s1.id}`, {
      cookie: w.members.OUTSIDER.cookie,
    });
    expect(foreign.status).toBe(404);
  });
});

describe("rollups under deletes (retention)", () => {
  it("decrement counts and recompute daily users when rows are deleted", async () => {
    const { events, sessions } = await import("@telemetry-tracker/db");
    const { and, eq, sql } = await import("drizzle-orm");
    const { createTenant } = await import("../helpers/fixtures.ts");
    await withDatabase(async (db) => {
      const { project } = await createTenant(db);
      const t = new Date(Date.UTC(2026, 10, 20, 10, 30));
      await db.insert(events).values(
        [1, 2, 3].map((i) => ({
          projectId: project.id,
          eventId: crypto.randomUUID(),
          name: "x",
          app: "web",
          timestamp: t,
          userId: `u${i}`,
        })),
      );
      await db.insert(sessions).values(
        ["a", "b"].map((id) => ({
          projectId: project.id,
          sessionId: id,
          app: "web",
          startedAt: t,
          lastSeenAt: t,
          userId: `u-${id}`,
        })),
      );
      const read = async () => {
        const counts = await db.execute(
          sql`select (select coalesce(sum(events), 0)::int from project_counts_hourly where project_id = ${project.id}) as events,
            (select coalesce(sum(sessions), 0)::int from project_counts_hourly where project_id = ${project.id}) as sessions,
            (select coalesce(sum(users), 0)::int from project_users_daily where project_id = ${project.id}) as users,
            (select coalesce(sum(count), 0)::int from event_counts_hourly where project_id = ${project.id}) as named`,
        );
        return (counts as unknown as { rows: Array<Record<string, number>> }).rows[0];
      };
      expect(await read()).toEqual({ events: 3, sessions: 2, users: 2, named: 3 });
      await db.delete(sessions).where(and(eq(sessions.projectId, project.id), eq(sessions.sessionId, "a")));
      await db.delete(events).where(and(eq(events.projectId, project.id), eq(events.userId, "u1")));
      expect(await read()).toEqual({ events: 2, sessions: 1, users: 1, named: 2 });
    });
  });
});

describe("filter options and usage", () => {
  it("lists apps, environments and releases seen", async () => {
    const f = await get<{ apps: string[]; environments: string[]; releases: string[] }>(`${base()}/filters`);
    expect([...f.apps].sort()).toEqual(["ios", "web"]);
    expect([...f.environments].sort()).toEqual(["prod", "staging"]);
    expect([...f.releases].sort()).toEqual(["1.0.0", "1.0.1"]);
  });

  it("usage month by month matches what the meter charged", async () => {
    const u = await get<{ quota: number; months: Array<{ month: string; units: number }> }>(`${base()}/usage`);
    expect(u.quota).toBe(5_000_000);
    // 30 events + 4 errors + 3 new sessions (+1 late event from the paging test, if it ran first).
    expect(u.months[0].month).toBe(new Date().toISOString().slice(0, 7));
    expect([37, 38]).toContain(u.months[0].units);
  });
});
