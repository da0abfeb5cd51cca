import { sessions } from "@telemetry-tracker/db";
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { flushMeter, postIngest } from "../helpers/ingest.ts";
import { call, createWorld, json } from "./helpers.ts";

// The app/environment filters of the overview and the event-name read, the per-name trend, and the
// users and sessions an issue hit — all on data sent through the real ingest endpoints.

type World = Awaited<ReturnType<typeof createWorld>>;
let w: World;
let key: string;
const now = Date.now();
const MIN = 60_000;

async function get<T = Record<string, unknown>>(path: string) {
  const res = await call(path, { cookie: w.members.VIEWER.cookie });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return json<T>(res);
}

async function ingest(body: unknown) {
  const res = await postIngest("/ingest/batch", body, { key });
  expect(res.status, await res.clone().text()).toBe(202);
}

const at = (minutesAgo: number) => new Date(now - minutesAgo * MIN).toISOString();

beforeAll(async () => {
  w = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
  key = (await withDatabase((db) => createApiKey(db, w.project.id))).key;
  // web/prod: 6 "view" (u1, u2), 2 "buy"; ios/staging: 3 "view"; ios without environment: 1 "open".
  const event = (name: string, app: string, environment: string | undefined, minutesAgo: number, user: string) => ({
    type: "event",
    name,
    app,
    environment,
    timestamp: at(minutesAgo),
    user_id: user,
  });
  const error = (
    message: string,
    app: string,
    environment: string,
    minutesAgo: number,
    user: string,
    session: string,
  ) => ({
    type: "error",
    app,
    environment,
    error_type: "TypeError",
    message,
    user_id: user,
    session_id: session,
    timestamp: at(minutesAgo),
    frames: [{ file: "app.js", function: "render", line: 10, in_app: true }],
  });
  await ingest({
    events: [
      ...[5, 15, 25, 70, 130, 200].map((m, i) => event("view", "web", "prod", m, i % 2 ? "u1" : "u2")),
      event("buy", "web", "prod", 10, "u1"),
      event("buy", "web", "prod", 40, "u1"),
      ...[8, 50, 300].map((m) => event("view", "ios", "staging", m, "u3")),
      event("open", "ios", undefined, 20, "u4"),
      // One issue hit by u1 three times (two sessions), u2 once; another only on ios/staging.
      error("x is undefined", "web", "prod", 4, "u1", "sa"),
      error("x is undefined", "web", "prod", 30, "u1", "sa"),
      error("x is undefined", "web", "prod", 90, "u1", "sb"),
      error("x is undefined", "web", "prod", 60, "u2", "sc"),
      error("only on ios", "ios", "staging", 12, "u3", "sd"),
    ],
  });
  const session = (id: string, app: string, environment: string | undefined, minutesAgo: number, user: string) => ({
    type: "session",
    session_id: id,
    app,
    action: "start",
    started_at: at(minutesAgo),
    timestamp: at(minutesAgo),
    user_id: user,
    environment,
  });
  await ingest({
    events: [
      session("sa", "web", "prod", 35, "u1"),
      session("sb", "web", "prod", 95, "u1"),
      session("sd", "ios", "staging", 14, "u3"),
      // Starts without an environment; the end names it (the flush's upsert fills it in).
      session("se", "ios", undefined, 22, "u4"),
    ],
  });
  await flushMeter(w.project.id);
  await ingest({
    events: [{ ...session("se", "ios", "beta", 22, "u4"), action: "end", ended_at: at(18), timestamp: at(18) }],
  });
  await flushMeter(w.project.id);
});

const base = () => `/api/projects/${w.project.id}`;

interface Overview {
  window: { bucket: string; from: string };
  totals: Record<string, number>;
  series: Array<Record<string, number | string>>;
  previous: { totals: Record<string, number> };
  topEvents: Array<{ name: string; count: number }>;
  topErrorGroups: Array<{ message: string; count: number }>;
  recentSessions: Array<{ sessionId: string }>;
}

describe("overview filtered by app and environment", () => {
  it("unfiltered counts everything (the baseline the filters cut down)", async () => {
    const o = await get<Overview>(`${base()}/overview?range=24h`);
    expect(o.totals).toEqual({ events: 12, errors: 5, sessions: 4, activeUsers: 3 });
  });

  for (const range of ["24h", "30d"]) {
    it(`${range}: app and environment cut totals, series, tops and recent sessions`, async () => {
      const web = await get<Overview>(`${base()}/overview?range=${range}&app=web&environment=prod`);
      expect(web.totals).toEqual({ events: 8, errors: 4, sessions: 2, activeUsers: 1 });
      expect(web.series.reduce((a, b) => a + Number(b.events), 0)).toBe(8);
      expect(web.series.reduce((a, b) => a + Number(b.errors), 0)).toBe(4);
      expect(web.topEvents).toEqual([
        { name: "view", count: 6 },
        { name: "buy", count: 2 },
      ]);
      expect(web.topErrorGroups.map((g) => [g.message, g.count])).toEqual([["x is undefined", 4]]);
      expect(web.recentSessions.map((s) => s.sessionId)).toEqual(["sa", "sb"]);

      const ios = await get<Overview>(`${base()}/overview?range=${range}&app=ios`);
      // ios: 3 staging views + 1 open without environment; sessions sd (staging) and se (moved to beta).
      expect(ios.totals).toEqual({ events: 4, errors: 1, sessions: 2, activeUsers: 2 });
      expect(ios.topEvents).toEqual([
        { name: "view", count: 3 },
        { name: "open", count: 1 },
      ]);
      expect(ios.topErrorGroups.map((g) => g.message)).toEqual(["only on ios"]);
      expect(ios.recentSessions.map((s) => s.sessionId)).toEqual(["sd", "se"]);

      // The session's environment arrived with its end: it counts there, not under "no environment".
      const beta = await get<Overview>(`${base()}/overview?range=${range}&environment=beta`);
      expect(beta.totals).toEqual({ events: 0, errors: 0, sessions: 1, activeUsers: 1 });
      const staging = await get<Overview>(`${base()}/overview?range=${range}&environment=staging`);
      expect(staging.totals).toEqual({ events: 3, errors: 1, sessions: 1, activeUsers: 1 });

      const none = await get<Overview>(`${base()}/overview?range=${range}&app=nope`);
      expect(none.totals).toEqual({ events: 0, errors: 0, sessions: 0, activeUsers: 0 });
      expect([none.topEvents, none.topErrorGroups, none.recentSessions]).toEqual([[], [], []]);
    });
  }

  it("1h: the raw 5-minute path filters too", async () => {
    const o = await get<Overview>(`${base()}/overview?range=1h&app=web`);
    expect(o.window.bucket).toBe("5m");
    const from = Date.parse(o.window.from);
    const webViewsAndBuys = [5, 15, 25, 70, 130, 200, 10, 40].filter((m) => now - m * MIN >= from).length;
    expect(o.totals.events).toBe(webViewsAndBuys);
    expect(o.totals.errors).toBe([4, 30, 90, 60].filter((m) => now - m * MIN >= from).length);
    expect(o.totals.sessions).toBe([35, 95].filter((m) => now - m * MIN >= from).length);
  });

  it("refuses an empty filter with 400", async () => {
    const res = await call(`${base()}/overview?app=`, { cookie: w.members.VIEWER.cookie });
    expect(res.status).toBe(400);
  });
});

interface Names {
  window: { bucket: string };
  buckets: string[];
  names: Array<{ name: string; count: number; lastSeen: string; series: number[] }>;
}

describe("events grouped by name", () => {
  it("carries a per-name series over the overview's buckets that sums to the count", async () => {
    const r = await get<Names>(`${base()}/events/names?range=24h`);
    expect(r.window.bucket).toBe("1h");
    expect(r.buckets.length).toBeGreaterThanOrEqual(24);
    const view = r.names.find((n) => n.name === "view");
    expect(view?.count).toBe(9);
    expect(view?.series).toHaveLength(r.buckets.length);
    expect(view?.series.reduce((a, b) => a + b, 0)).toBe(9);
    // The newest view (5 minutes ago) is in the last bucket, or the one before it on an hour boundary.
    expect(view?.series.slice(-2).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
    const hourOf = (m: number) => Math.floor((now - m * MIN) / 3_600_000) * 3_600_000;
    const i = r.buckets.indexOf(new Date(hourOf(300)).toISOString());
    expect(view?.series[i]).toBe([300, 200].filter((m) => hourOf(m) === hourOf(300)).length);
  });

  it("honours app and environment, for counts, last seen and series; 1h uses 5-minute buckets", async () => {
    const r = await get<Names>(`${base()}/events/names?range=24h&app=ios&environment=staging`);
    expect(r.names.map((n) => [n.name, n.count])).toEqual([["view", 3]]);
    expect(r.names[0].lastSeen).toBe(at(8));
    expect(r.names[0].series.reduce((a, b) => a + b, 0)).toBe(3);

    const short = await get<Names>(`${base()}/events/names?range=1h&app=web`);
    expect(short.window.bucket).toBe("5m");
    const buy = short.names.find((n) => n.name === "buy");
    expect(buy?.series.reduce((a, b) => a + b, 0)).toBe(
      [10, 40].filter((m) => now - m * MIN >= Date.parse(short.buckets[0])).length,
    );
    expect((await get<Names>(`${base()}/events/names?app=nope`)).names).toEqual([]);
  });
});

describe("issue: affected users and sessions", () => {
  const issueId = async () => {
    const { issues } = await get<{ issues: Array<{ id: string; message: string }> }>(`${base()}/issues`);
    const found = issues.find((i) => i.message === "x is undefined");
    if (!found) throw new Error("issue not found");
    return found.id;
  };

  it("lists users by occurrences with last seen, keyset-paged", async () => {
    const id = await issueId();
    type Users = { users: Array<Record<string, unknown>>; nextCursor: string | null };
    const all = await get<Users>(`${base()}/issues/${id}/users`);
    expect(all.users).toEqual([
      { userKey: "u1", anonymous: false, occurrences: 3, firstSeen: at(90), lastSeen: at(4) },
      { userKey: "u2", anonymous: false, occurrences: 1, firstSeen: at(60), lastSeen: at(60) },
    ]);
    const first = await get<Users>(`${base()}/issues/${id}/users?limit=1`);
    expect(first.users.map((u) => u.userKey)).toEqual(["u1"]);
    const second = await get<Users>(`${base()}/issues/${id}/users?limit=1&cursor=${first.nextCursor}`);
    expect(second.users.map((u) => u.userKey)).toEqual(["u2"]);
    expect(second.nextCursor).toBeNull();
  });

  it("lists sessions newest hit first with the stored summary, keyset-paged", async () => {
    const id = await issueId();
    type Sessions = {
      sessions: Array<{ sessionId: string; occurrences: number; lastSeen: string; session: { userId: string } | null }>;
      nextCursor: string | null;
    };
    const all = await get<Sessions>(`${base()}/issues/${id}/sessions`);
    expect(all.sessions.map((s) => [s.sessionId, s.occurrences, s.lastSeen])).toEqual([
      ["sa", 2, at(4)],
      ["sc", 1, at(60)],
      ["sb", 1, at(90)],
    ]);
    expect(all.sessions[0].session?.userId).toBe("u1");
    expect(all.sessions[1].session).toBeNull(); // errors named session "sc", which was never sent
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Sessions = await get<Sessions>(
        `${base()}/issues/${id}/sessions?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      seen.push(...page.sessions.map((s) => s.sessionId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(["sa", "sc", "sb"]);
  });

  it("another project's issue is 404 through my project's path, and forged cursors are 400", async () => {
    const id = await issueId();
    for (const sub of ["users", "sessions"]) {
      const foreign = await call(`/api/projects/${w.other.project.id}/issues/${id}/${sub}`, {
        cookie: w.members.OUTSIDER.cookie,
      });
      expect(foreign.status, sub).toBe(404);
      const forged = await call(`${base()}/issues/${id}/${sub}?cursor=${btoa(JSON.stringify(["x'", "1"]))}`, {
        cookie: w.members.VIEWER.cookie,
      });
      expect(forged.status, sub).toBe(400);
    }
  });
});

describe("scoped rollups stay exact under deletes (retention)", () => {
  it("removing rows takes them out of the per-app/environment counts and users", async () => {
    const read = (app: string) => get<Overview>(`${base()}/overview?range=30d&app=${app}`).then((o) => o.totals);
    const before = await read("ios");
    await withDatabase(async (db) => {
      await db.delete(sessions).where(and(eq(sessions.projectId, w.project.id), eq(sessions.sessionId, "se")));
      await db.execute(sql`delete from events where project_id = ${w.project.id} and app = 'ios' and name = 'open'`);
      await db.execute(sql`delete from error_occurrences where project_id = ${w.project.id} and app = 'ios'`);
    });
    expect(await read("ios")).toEqual({
      events: before.events - 1,
      errors: before.errors - 1,
      sessions: before.sessions - 1,
      activeUsers: before.activeUsers - 1,
    });
    const beta = await get<Overview>(`${base()}/overview?range=30d&environment=beta`);
    expect(beta.totals).toEqual({ events: 0, errors: 0, sessions: 0, activeUsers: 0 });
    const names = await get<Names>(`${base()}/events/names?range=30d&app=ios`);
    expect(names.names.map((n) => n.name)).toEqual(["view"]);
  });
});
