import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { parseSearchQuery } from "../../src/services/reads/search-query.ts";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { expectError, flushMeter, postIngest } from "../helpers/ingest.ts";
import { call, createWorld, json } from "./helpers.ts";

// Global search on data sent through /ingest/batch and flushed by the meter: each kind by free text
// and by its token, tokens narrowing together, exact counts, another tenant's look-alike data never
// showing, and bad queries refused with 400.

type World = Awaited<ReturnType<typeof createWorld>>;
let w: World;
const now = Date.now();
const at = (minutesAgo: number) => new Date(now - minutesAgo * 60_000).toISOString();

interface Kind<T = Record<string, unknown>> {
  searched: boolean;
  count: number;
  countCapped: boolean;
  items: T[];
}
interface Results {
  query: Record<string, unknown>;
  issues: Kind<{ id: string; message: string; type: string; status: string }>;
  events: Kind<{ name: string; count: number }>;
  sessions: Kind<{ id: string; sessionId: string }>;
  users: Kind<{ userKey: string }>;
  releases: Kind<{ release: string; sessions: number }>;
}

async function ingest(key: string, events: unknown[]) {
  const res = await postIngest("/ingest/batch", { events }, { key });
  expect(res.status, await res.clone().text()).toBe(202);
}

const session = (
  id: string,
  who: { user_id?: string; anonymous_id?: string },
  release: string,
  env: string,
  m = 5,
) => ({
  type: "session",
  action: "start",
  session_id: id,
  app: "web",
  environment: env,
  release,
  ...who,
  started_at: at(m),
  timestamp: at(m),
});
const error = (type: string, message: string, release: string, env: string, user: string, sessionId?: string) => ({
  type: "error",
  app: "web",
  environment: env,
  release,
  error_type: type,
  message,
  user_id: user,
  session_id: sessionId,
  timestamp: at(4),
  frames: [{ file: "app.js", function: message.slice(0, 12).replaceAll(" ", "_"), line: 1, in_app: true }],
});
const event = (name: string, env: string, m = 3) => ({
  type: "event",
  name,
  app: "web",
  environment: env,
  release: "2.0.0",
  user_id: "alice-4711",
  timestamp: at(m),
});

let resolvedId: string;

beforeAll(async () => {
  w = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
  const key = (await withDatabase((db) => createApiKey(db, w.project.id))).key;
  const otherKey = (await withDatabase((db) => createApiKey(db, w.other.project.id))).key;
  await ingest(key, [
    session("sess-alpha-1", { user_id: "alice-4711" }, "2.0.0", "prod"),
    // Three hours old: outside range:1h.
    session("sess-alpha-2", { user_id: "alice-4711" }, "1.0.0", "staging", 180),
    session("sess-beta-2", { user_id: "bob-0815" }, "1.0.0", "staging"),
    session("sess-anon-3", { anonymous_id: "anon-7f3a" }, "2.0.0", "prod"),
    error(
      "TypeError",
      "Cannot read properties of undefined (reading 'cart')",
      "2.0.0",
      "prod",
      "alice-4711",
      "sess-alpha-1",
    ),
    error("RangeError", "Invalid array length in checkout", "1.0.0", "staging", "bob-0815", "sess-beta-2"),
    error("TypeError", "Payment widget failed to load", "2.0.0", "prod", "bob-0815"),
    event("checkout_started", "prod"),
    event("checkout_started", "prod"),
    event("checkout_started", "prod"),
    event("checkout_completed", "staging"),
    event("page_view", "prod"),
  ]);
  // Another organization's look-alikes: none of this may ever show up in w's results.
  await ingest(otherKey, [
    session("sess-alpha-other", { user_id: "alice-4711" }, "2.0.0", "prod"),
    error("TypeError", "Cannot read properties of secret (reading 'cart')", "2.0.0", "prod", "alice-4711"),
    error("SecretError", "Secret outsider failure", "9.9.9", "prod", "mallory-1"),
    event("checkout_started", "prod"),
    event("outsider_only_event", "prod"),
  ]);
  // 101 sessions with look-alike ids, beyond the count cap (no user, release or known environment).
  const bulk = Array.from({ length: 101 }, (_, i) => ({
    ...session(`bulk-${String(i).padStart(3, "0")}`, {}, "", "load"),
    release: undefined,
  }));
  await ingest(key, bulk.slice(0, 60));
  await ingest(key, bulk.slice(60));
  await flushMeter(w.project.id);
  await flushMeter(w.other.project.id);

  const { issues } = await get<{ issues: Array<{ id: string; message: string }> }>(
    `/api/projects/${w.project.id}/issues?status=all`,
  );
  resolvedId = issues.find((i) => i.message === "Payment widget failed to load")!.id;
  const res = await call(`/api/projects/${w.project.id}/issues/${resolvedId}`, {
    method: "PATCH",
    cookie: w.members.EDITOR.cookie,
    body: { status: "resolved" },
  });
  expect(res.status).toBe(200);
});

async function get<T>(path: string, cookie = w.members.VIEWER.cookie) {
  const res = await call(path, { cookie });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return json<T>(res);
}
const find = (q: string, extra = "") =>
  get<Results>(`/api/projects/${w.project.id}/search?q=${encodeURIComponent(q)}${extra}`);

/** Each kind as [count, the identifying field of each item] — exact, unordered where order is not the point. */
function summary(r: Results) {
  return {
    issues: [r.issues.count, r.issues.items.map((i) => i.message).sort()],
    events: [r.events.count, r.events.items.map((e) => e.name).sort()],
    sessions: [r.sessions.count, r.sessions.items.map((s) => s.sessionId).sort()],
    users: [r.users.count, r.users.items.map((u) => u.userKey).sort()],
    releases: [r.releases.count, r.releases.items.map((x) => x.release).sort()],
  };
}
const none = [0, []];

describe("free text finds each kind", () => {
  it("issues by message, type and fingerprint", async () => {
    expect(summary(await find("properties"))).toEqual({
      issues: [1, ["Cannot read properties of undefined (reading 'cart')"]],
      events: none,
      sessions: none,
      users: none,
      releases: none,
    });
    expect(summary(await find("rangeerror")).issues).toEqual([1, ["Invalid array length in checkout"]]);
    const fingerprint = await withDatabase(async (db) => {
      const found = await db.execute(sql`select fingerprint from error_groups where id = ${resolvedId}`);
      return (found.rows[0] as { fingerprint: string }).fingerprint;
    });
    expect(summary(await find(fingerprint.slice(2, 14))).issues).toEqual([1, ["Payment widget failed to load"]]);
  });

  it("event names from the per-name rollups, with their counts", async () => {
    const r = await find("checkout");
    expect(summary(r).events).toEqual([2, ["checkout_completed", "checkout_started"]]);
    // Listed by name, each with its events in the range.
    expect(r.events.items.map((e) => [e.name, e.count])).toEqual([
      ["checkout_completed", 1],
      ["checkout_started", 3],
    ]);
    // "checkout" is in one issue's message too.
    expect(summary(r).issues).toEqual([1, ["Invalid array length in checkout"]]);
  });

  it("sessions by session id, users by user or anonymous id, releases by name", async () => {
    expect(summary(await find("sess-alpha")).sessions).toEqual([2, ["sess-alpha-1", "sess-alpha-2"]]);
    expect(summary(await find("4711"))).toMatchObject({ users: [1, ["alice-4711"]], sessions: none });
    expect(summary(await find("anon-7f")).users).toEqual([1, ["anon-7f3a"]]);
    const releases = await find("2.0");
    expect(summary(releases).releases).toEqual([1, ["2.0.0"]]);
    // sess-alpha-1 and sess-anon-3 ran 2.0.0 in the default 30 days.
    expect(releases.releases.items[0]?.sessions).toBe(2);
  });

  it("quoted phrases match as typed; words match in any order", async () => {
    expect(summary(await find('"array length"')).issues).toEqual([1, ["Invalid array length in checkout"]]);
    expect(summary(await find("length array")).issues).toEqual([1, ["Invalid array length in checkout"]]);
    expect(summary(await find('"length array"')).issues).toEqual(none);
    // A pasted "Type: message" is free text, not a token.
    expect(summary(await find("TypeError: Payment")).issues).toEqual(none);
    expect(summary(await find("TypeError Payment")).issues).toEqual([1, ["Payment widget failed to load"]]);
  });
});

describe("tokens", () => {
  it("user: finds the user, their sessions (anonymous ids too), issues and releases; not event names", async () => {
    const r = await find("user:alice-4711");
    expect(summary(r)).toEqual({
      issues: [1, ["Cannot read properties of undefined (reading 'cart')"]],
      events: none,
      sessions: [2, ["sess-alpha-1", "sess-alpha-2"]],
      users: [1, ["alice-4711"]],
      releases: [2, ["1.0.0", "2.0.0"]],
    });
    expect(r.events.searched).toBe(false);
    expect(r.sessions.searched).toBe(true);
    expect(summary(await find("user:anon-7f3a")).sessions).toEqual([1, ["sess-anon-3"]]);
  });

  it("release: narrows issues (first or last release), sessions, users and releases", async () => {
    expect(summary(await find("release:1.0.0"))).toEqual({
      issues: [1, ["Invalid array length in checkout"]],
      events: none,
      sessions: [2, ["sess-alpha-2", "sess-beta-2"]],
      users: [2, ["alice-4711", "bob-0815"]],
      releases: [1, ["1.0.0"]],
    });
  });

  it("environment: narrows every kind, event names included", async () => {
    expect(summary(await find("environment:staging"))).toEqual({
      issues: [1, ["Invalid array length in checkout"]],
      events: [1, ["checkout_completed"]],
      sessions: [2, ["sess-alpha-2", "sess-beta-2"]],
      users: [2, ["alice-4711", "bob-0815"]],
      releases: [1, ["1.0.0"]],
    });
  });

  it("is: searches issues only, by status", async () => {
    const resolved = await find("is:resolved");
    expect(summary(resolved)).toEqual({
      issues: [1, ["Payment widget failed to load"]],
      events: none,
      sessions: none,
      users: none,
      releases: none,
    });
    expect([resolved.events, resolved.sessions, resolved.users, resolved.releases].map((k) => k.searched)).toEqual([
      false,
      false,
      false,
      false,
    ]);
    expect(summary(await find("is:unresolved")).issues).toEqual([
      2,
      ["Cannot read properties of undefined (reading 'cart')", "Invalid array length in checkout"],
    ]);
  });

  it("range: limits to the range (default 30 days)", async () => {
    expect(summary(await find("range:1h sess-alpha")).sessions).toEqual([1, ["sess-alpha-1"]]);
    expect(summary(await find("range:24h sess-alpha")).sessions).toEqual([2, ["sess-alpha-1", "sess-alpha-2"]]);
    expect((await find("sess-alpha")).query.range).toBe("30d");
  });

  it("combined tokens and text narrow together", async () => {
    expect(summary(await find("user:bob-0815 is:unresolved")).issues).toEqual([
      1,
      ["Invalid array length in checkout"],
    ]);
    expect(summary(await find("user:bob-0815")).issues[0]).toBe(2);
    expect(summary(await find("user:alice-4711 release:1.0.0"))).toEqual({
      issues: none,
      events: none,
      sessions: [1, ["sess-alpha-2"]],
      users: [1, ["alice-4711"]],
      releases: [1, ["1.0.0"]],
    });
    expect(summary(await find("user:alice-4711 environment:prod alpha")).sessions).toEqual([1, ["sess-alpha-1"]]);
    expect(summary(await find("environment:prod checkout")).events).toEqual([1, ["checkout_started"]]);
  });
});

describe("counts and links", () => {
  it("counts every match while items stop at the limit", async () => {
    const r = await find("sess-", "&limit=1");
    expect(r.sessions.count).toBe(4);
    expect(r.sessions.countCapped).toBe(false);
    expect(r.sessions.items).toHaveLength(1);
    // Newest first: sess-alpha-2 is the oldest, never first.
    expect(r.sessions.items[0]?.sessionId).not.toBe("sess-alpha-2");
  });

  it("counts exactly up to the cap, then says there are more", async () => {
    const capped = await find("bulk-");
    expect([capped.sessions.count, capped.sessions.countCapped, capped.sessions.items.length]).toEqual([100, true, 5]);
    const exact = await find("bulk-00");
    expect([exact.sessions.count, exact.sessions.countCapped]).toEqual([10, false]);
    expect(summary(await find("bulk-1")).sessions).toEqual([1, ["bulk-100"]]);
  });

  it("each hit carries what its page needs: issue id, session row id", async () => {
    const r = await find("widget");
    expect(r.issues.items[0]).toMatchObject({ id: resolvedId, status: "resolved", type: "TypeError" });
    const s = await find("sess-beta");
    const detail = await get<{ session: { sessionId: string } }>(
      `/api/projects/${w.project.id}/sessions/${s.sessions.items[0]?.id}`,
    );
    expect(detail.session.sessionId).toBe("sess-beta-2");
    // A user hit links to the sessions list filtered by that key, anonymous ids included.
    const anon = await get<{ sessions: Array<{ sessionId: string }> }>(
      `/api/projects/${w.project.id}/sessions?userId=anon-7f3a`,
    );
    expect(anon.sessions.map((x) => x.sessionId)).toEqual(["sess-anon-3"]);
  });
});

describe("tenant isolation", () => {
  it("another organization's data never appears", async () => {
    expect(summary(await find("sess-alpha")).sessions).toEqual([2, ["sess-alpha-1", "sess-alpha-2"]]);
    expect(summary(await find("secret"))).toEqual({
      issues: none,
      events: none,
      sessions: none,
      users: none,
      releases: none,
    });
    expect(summary(await find("outsider_only")).events).toEqual(none);
    expect(summary(await find("mallory")).users).toEqual(none);
    expect(summary(await find("9.9.9")).releases).toEqual(none);
    expect(summary(await find("checkout")).events[1]).toEqual(["checkout_completed", "checkout_started"]);
    expect((await find("checkout")).events.items.find((e) => e.name === "checkout_started")?.count).toBe(3);
  });

  it("refuses no cookie (401) and another organization's member (404)", async () => {
    const path = `/api/projects/${w.project.id}/search?q=checkout`;
    await expectError(await call(path), 401, "unauthorized");
    await expectError(await call(path, { cookie: w.members.OUTSIDER.cookie }), 404, "not_found");
  });
});

describe("bad queries are 400 validation_failed with details", () => {
  const bad = async (q: string | null, message?: RegExp) => {
    const path = `/api/projects/${w.project.id}/search${q === null ? "" : `?q=${encodeURIComponent(q)}`}`;
    const body = await expectError(await call(path, { cookie: w.members.VIEWER.cookie }), 400, "validation_failed");
    if (message) {
      const details = body.error.details ?? [];
      expect(details.map((d) => d.message).join(" | ")).toMatch(message);
    }
    return body;
  };

  it("names the bad token", async () => {
    const body = await bad("is:open checkout", /is: must be one of unresolved, resolved, ignored/);
    const details = body.error.details as Array<{ path: string; message: string; token?: string }>;
    expect(details[0]).toMatchObject({ path: "q", token: "is:open" });
    await bad("range:2d checkout", /range: must be one of 1h, 24h, 7d, 30d/);
    await bad("user: checkout", /user: needs a value/);
    await bad("user:a1b user:c2d", /user: may be given once/);
    await bad("ab", /at least 3 characters/);
    await bad("range:7d", /Search for some text/);
  });

  it("bounds the query and uses the shared Text schema", async () => {
    await bad(null);
    await bad("");
    await bad("x".repeat(201));
    // A URL cannot carry a lone surrogate (it decodes to U+FFFD); NUL it can.
    await bad("bad\u0000text");
    await bad(Array.from({ length: 9 }, (_, i) => `word${i}`).join(" "), /At most 8/);
  });
});

describe("the query parser", () => {
  it("reads quoted token values and phrases; other colons are text", () => {
    expect(parseSearchQuery('user:"Jane Doe" release:1.2 "two words" plain is:ignored range:7d env:prod')).toEqual({
      ok: true,
      value: {
        terms: ["two words", "plain", "env:prod"],
        user: "Jane Doe",
        release: "1.2",
        status: "ignored",
        range: "7d",
      },
    });
    // An unclosed quote runs to the end.
    expect(parseSearchQuery('"never closed phrase')).toEqual({ ok: true, value: { terms: ["never closed phrase"] } });
  });
});
