import { sessions } from "@telemetry-tracker/db";
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/db.ts";
import { expectError } from "../helpers/ingest.ts";
import { allPages, call, createReadWorld, ingestFlushed, minutesBefore, type ReadWorld, readAs } from "./helpers.ts";

// Release health on data sent through /ingest/batch and flushed by the meter: session status counts,
// crash-free sessions and users (computed by hand below), errors, new and regressed issues.

let w: ReadWorld;
const now = Date.now();
const at = (minutesAgo: number) => minutesBefore(now, minutesAgo);
const get = <T = Record<string, unknown>>(path: string) => readAs<T>(w, path);
const ingest = (events: unknown[]) => ingestFlushed(w, events);

interface Health {
  release: string;
  firstSeen: string | null;
  sessions: number;
  errored: number;
  crashed: number;
  abnormal: number;
  users: number;
  crashedUsers: number;
  crashFreeSessions: number | null;
  crashFreeUsers: number | null;
  errors: number;
  newIssues: number;
  adoption: number;
}
interface Issue {
  id: string;
  message: string;
  firstRelease: string | null;
  lastRelease: string | null;
}

const session = (
  id: string,
  release: string | undefined,
  user: string,
  minutesAgo: number,
  app = "web",
  environment = "prod",
) => ({
  type: "session",
  action: "start",
  session_id: id,
  app,
  environment,
  release,
  user_id: user,
  started_at: at(minutesAgo),
  timestamp: at(minutesAgo),
});
const end = (s: ReturnType<typeof session>, status: "ok" | "crashed" | "abnormal") => ({
  ...s,
  action: "end",
  status,
  ended_at: at(1),
  timestamp: at(1),
});
const error = (message: string, release: string, minutesAgo: number, sessionId?: string) => ({
  type: "error",
  app: "web",
  environment: "prod",
  release,
  error_type: "Error",
  message,
  handled: true,
  session_id: sessionId,
  user_id: "u-err",
  timestamp: at(minutesAgo),
  frames: [{ file: "app.js", function: message.replaceAll(" ", "_"), line: 1, in_app: true }],
});

// release 2.0.0 (web/prod): s1 u1 ok, s2 u1 crashed, s3 u2 errored (a handled error), s4 u3 abnormal, s5 u4 ok
// release 1.0.0: s6 u5 ok, s7 u6 crashed (web/prod), s8 u7 ok (ios/staging); s9 has no release.
const s = {
  s1: session("s1", "2.0.0", "u1", 50),
  s2: session("s2", "2.0.0", "u1", 45),
  s3: session("s3", "2.0.0", "u2", 40),
  s4: session("s4", "2.0.0", "u3", 35),
  s5: session("s5", "2.0.0", "u4", 30),
  s6: session("s6", "1.0.0", "u5", 200),
  s7: session("s7", "1.0.0", "u6", 190),
  s8: session("s8", "1.0.0", "u7", 180, "ios", "staging"),
  s9: session("s9", undefined, "u8", 20),
};
let regressedId: string;

beforeAll(async () => {
  w = await createReadWorld();
  // Starts first (status ok), ends in a later flush: the rollup must follow the status updates.
  await ingest(Object.values(s));
  await ingest([end(s.s1, "ok"), end(s.s2, "crashed"), end(s.s4, "abnormal"), end(s.s7, "crashed")]);
  // B and C start in 1.0.0; A is new in 2.0.0 and hits s3 (which becomes errored); B carries on in 2.0.0.
  await ingest([
    error("B broke", "1.0.0", 185),
    error("C broke", "1.0.0", 184),
    error("A broke", "2.0.0", 38, "s3"),
    error("A broke", "2.0.0", 37, "s3"),
    error("B broke", "2.0.0", 36),
  ]);
  // C is resolved, then comes back in 2.0.0: a regression in 2.0.0.
  const issues = await get<{ issues: Issue[] }>(`/api/projects/${w.project.id}/issues?status=all`);
  regressedId = issues.issues.find((i) => i.message === "C broke")!.id;
  const res = await call(`/api/projects/${w.project.id}/issues/${regressedId}`, {
    method: "PATCH",
    cookie: w.members.EDITOR.cookie,
    body: { status: "resolved" },
  });
  expect(res.status).toBe(200);
  await ingest([error("C broke", "2.0.0", 10)]);
});

const base = () => `/api/projects/${w.project.id}`;
const byName = (list: Health[]) => Object.fromEntries(list.map((r) => [r.release, r]));

describe("GET /releases", () => {
  it("counts sessions by status, crash-free sessions and users, errors, new issues and adoption", async () => {
    const { releases } = await get<{ releases: Health[] }>(`${base()}/releases?range=24h`);
    const r = byName(releases);
    expect(Object.keys(r).sort()).toEqual(["1.0.0", "2.0.0"]);
    // By hand: 2.0.0 has 5 sessions, 1 crashed → 4/5 crash-free; users u1–u4, u1 crashed → 3/4.
    expect(r["2.0.0"]).toMatchObject({
      sessions: 5,
      crashed: 1,
      errored: 1,
      abnormal: 1,
      users: 4,
      crashedUsers: 1,
      errors: 4,
      newIssues: 1,
    });
    expect(r["2.0.0"].crashFreeSessions).toBeCloseTo((4 / 5) * 100, 9);
    expect(r["2.0.0"].crashFreeUsers).toBeCloseTo((3 / 4) * 100, 9);
    // 1.0.0: 3 sessions (one on ios), 1 crashed → 2/3; users u5–u7, u6 crashed → 2/3.
    expect(r["1.0.0"]).toMatchObject({ sessions: 3, crashed: 1, errored: 0, users: 3, errors: 2, newIssues: 2 });
    expect(r["1.0.0"].crashFreeSessions).toBeCloseTo((2 / 3) * 100, 9);
    expect(r["1.0.0"].crashFreeUsers).toBeCloseTo((2 / 3) * 100, 9);
    // Adoption: share of the 8 release-tagged sessions (s9 has no release).
    expect(r["2.0.0"].adoption).toBeCloseTo(62.5, 9);
    expect(r["1.0.0"].adoption).toBeCloseTo(37.5, 9);
  });

  it("honours the app and environment filters", async () => {
    const web = byName((await get<{ releases: Health[] }>(`${base()}/releases?range=24h&app=web`)).releases);
    expect(web["1.0.0"]).toMatchObject({ sessions: 2, crashed: 1, users: 2 });
    expect(web["1.0.0"].crashFreeSessions).toBeCloseTo(50, 9);
    const ios = (await get<{ releases: Health[] }>(`${base()}/releases?range=24h&environment=staging`)).releases;
    expect(ios.map((r) => [r.release, r.sessions, r.crashFreeSessions])).toEqual([["1.0.0", 1, 100]]);
  });

  it("sorts and pages with a cursor", async () => {
    const order = async (sort: string) =>
      (await get<{ releases: Health[] }>(`${base()}/releases?range=24h&sort=${sort}`)).releases.map((r) => r.release);
    expect(await order("adoption")).toEqual(["2.0.0", "1.0.0"]);
    expect(await order("crash_free")).toEqual(["1.0.0", "2.0.0"]);
    expect(await order("errors")).toEqual(["2.0.0", "1.0.0"]);
    expect(await order("first_seen")).toEqual(["2.0.0", "1.0.0"]);

    const pages = await allPages(
      get<{ releases: Health[]; nextCursor: string | null }>,
      `${base()}/releases?range=24h&limit=1`,
      (page) => page.releases.map((r) => r.release),
    );
    expect(pages).toEqual([["2.0.0"], ["1.0.0"]]);
  });

  it("answers 1h ranges from the hourly rollup (window floored to the hour)", async () => {
    const { releases, window } = await get<{ releases: Health[]; window: { from: string } }>(
      `${base()}/releases?range=1h`,
    );
    expect(new Date(window.from).getUTCMinutes()).toBe(0);
    expect(releases.map((r) => r.release)).toContain("2.0.0");
  });

  it("refuses bad input with 400", async () => {
    const bad = async (query: string, code: string) =>
      expectError(await call(`${base()}/releases?${query}`, { cookie: w.members.VIEWER.cookie }), 400, code);
    await bad("cursor=not-a-cursor", "invalid_cursor");
    await bad("sort=newest", "validation_failed");
    await bad("range=2y", "validation_failed");
    await bad("limit=0", "validation_failed");
  });
});

describe("GET /releases/:release", () => {
  interface Detail {
    health: Health;
    series: Array<{ t: string; sessions: number; crashed: number; crashFreeSessions: number | null }>;
    newIssues: Issue[];
    regressedIssues: Issue[];
  }

  it("gives a series, the issues new in it and those that regressed in it", async () => {
    const d = await get<Detail>(`${base()}/releases/2.0.0?range=24h`);
    expect(d.health).toMatchObject({ release: "2.0.0", sessions: 5, crashed: 1, users: 4 });
    expect(d.health.crashFreeSessions).toBeCloseTo(80, 9);
    expect(d.series.reduce((n, b) => n + b.sessions, 0)).toBe(5);
    expect(d.series.reduce((n, b) => n + b.crashed, 0)).toBe(1);
    expect(d.series.filter((b) => b.sessions === 0).every((b) => b.crashFreeSessions === null)).toBe(true);
    expect(d.newIssues.map((i) => i.message)).toEqual(["A broke"]);
    expect(d.regressedIssues.map((i) => [i.id, i.firstRelease, i.lastRelease])).toEqual([
      [regressedId, "1.0.0", "2.0.0"],
    ]);
    const old = await get<Detail>(`${base()}/releases/1.0.0?range=24h`);
    expect(old.newIssues.map((i) => i.message).sort()).toEqual(["B broke", "C broke"]);
    expect(old.regressedIssues).toEqual([]);
  });

  it("404s a release the project never saw; takes names that need encoding", async () => {
    await expectError(
      await call(`${base()}/releases/${encodeURIComponent("3.0.0 beta/1")}`, { cookie: w.members.VIEWER.cookie }),
      404,
      "not_found",
    );
  });
});

describe("issues and releases", () => {
  it("an issue shows its first and last release; the list filters by release", async () => {
    const { issue } = await get<{ issue: Issue }>(`${base()}/issues/${regressedId}`);
    expect([issue.firstRelease, issue.lastRelease]).toEqual(["1.0.0", "2.0.0"]);
    const inOld = await get<{ issues: Issue[] }>(`${base()}/issues?status=all&release=1.0.0`);
    expect(inOld.issues.map((i) => i.message).sort()).toEqual(["B broke", "C broke"]);
  });
});

describe("the release rollups stay exact when rows go", () => {
  it("deleting sessions (as retention does) takes them out of counts and users", async () => {
    await withDatabase((db) =>
      db.delete(sessions).where(and(eq(sessions.projectId, w.project.id), eq(sessions.sessionId, "s7"))),
    );
    const r = byName((await get<{ releases: Health[] }>(`${base()}/releases?range=24h`)).releases);
    expect(r["1.0.0"]).toMatchObject({ sessions: 2, crashed: 0, users: 2, crashedUsers: 0, crashFreeSessions: 100 });
    const leftovers = await withDatabase((db) =>
      db.execute(sql`select count(*)::int as n from release_users_daily
                     where project_id = ${w.project.id} and user_key = 'u6'`),
    );
    expect((leftovers.rows[0] as { n: number }).n).toBe(0);
  });
});
