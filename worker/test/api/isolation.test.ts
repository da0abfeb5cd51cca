import { env } from "cloudflare:workers";
import {
  alertDestinations,
  alertRules,
  type Database,
  errorGroups,
  errorOccurrences,
  events,
  invites,
  randomHex,
  sessions,
  sha256Hex,
  sourceMapArtifacts,
} from "@telemetry-tracker/db";
import { SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { app } from "../../src/index.ts";
import { withDatabase } from "../helpers/db.ts";
import { addMember, createApiKey, createUser } from "../helpers/fixtures.ts";
import { call, createWorld, json, sessionCookieFor, uniqueEmail } from "./helpers.ts";

/**
 * The tenant-isolation matrix: every /api route × {no cookie, forged cookie, member of another org,
 * VIEWER, EDITOR, OWNER}. Each route gets its own world (so destructive routes run last, as OWNER,
 * without disturbing the others), and each call a fresh session (so logout cannot leak across).
 */

async function seedTelemetry(db: Database, projectId: string, release: string) {
  const now = new Date();
  const [group] = await db
    .insert(errorGroups)
    .values({
      projectId,
      fingerprint: randomHex(8),
      type: "TypeError",
      message: "boom",
      firstSeen: now,
      lastSeen: now,
      occurrences: 1,
    })
    .returning();
  const eventId = crypto.randomUUID();
  await db.insert(errorOccurrences).values({
    projectId,
    groupId: group.id,
    eventId: crypto.randomUUID(),
    timestamp: now,
    app: "web",
    type: "TypeError",
    message: "boom",
    sessionId: "sess-1",
    release,
  });
  await db
    .insert(events)
    .values({ projectId, eventId, name: "page_view", timestamp: now, app: "web", sessionId: "sess-1" });
  const [session] = await db
    .insert(sessions)
    .values({ projectId, sessionId: "sess-1", app: "web", startedAt: now, lastSeenAt: now, release })
    .returning();
  // Source map metadata rows (their R2 objects do not matter to the access checks): one per call
  // of the destructive DELETE route, so each actor deletes its own.
  const artifacts = await db
    .insert(sourceMapArtifacts)
    .values(
      Array.from({ length: 6 }, (_, i) => ({
        projectId,
        app: "web",
        release: "1.0.0",
        bundleUrl: `~/assets/seed-${i}.js`,
        bundlePath: `/assets/seed-${i}.js`,
        r2Key: `sourcemaps/${projectId}/seed-${i}`,
        sha256: randomHex(32),
        sizeBytes: 10,
      })),
    )
    .returning({ id: sourceMapArtifacts.id });
  return {
    issueId: group.id,
    eventId,
    sessionRowId: String(session.id),
    artifactIds: artifacts.map((a) => a.id),
    release,
  };
}

async function buildWorld() {
  return withDatabase(async (db) => {
    const world = await createWorld(db, { plan: "PRO" });
    const telemetry = await seedTelemetry(db, world.project.id, "1.0.0");
    const otherTelemetry = await seedTelemetry(db, world.other.project.id, "9.9.9-other");
    const key = await createApiKey(db, world.project.id);
    const target = await createUser(db, { email: uniqueEmail("target") });
    await addMember(db, world.org.id, target.id, "EDITOR");
    const [invite] = await db
      .insert(invites)
      .values({
        orgId: world.org.id,
        email: uniqueEmail("invited"),
        role: "VIEWER",
        tokenHash: await sha256Hex(randomHex(32)),
        expiresAt: new Date(Date.now() + 86_400_000),
      })
      .returning();
    // Alerts: a custom rule and a webhook destination (on a closed loopback port: nothing is sent).
    // Six of each, so a DELETE open to EDITOR+ has its own row for each actor that calls it.
    const rules = await db
      .insert(alertRules)
      .values(
        Array.from({ length: 6 }, () => ({
          projectId: world.project.id,
          kind: "custom" as const,
          name: "r",
          params: { target: "errors", conditions: {} },
        })),
      )
      .returning();
    const destinations = await db
      .insert(alertDestinations)
      .values(
        Array.from({ length: 6 }, () => ({
          projectId: world.project.id,
          name: "d",
          kind: "webhook" as const,
          format: "generic" as const,
          url: "http://127.0.0.1:9/",
          secret: "s",
        })),
      )
      .returning();
    return {
      ...world,
      ...telemetry,
      otherTelemetry,
      keyId: key.row.id,
      targetUserId: target.id,
      inviteId: invite.id,
      ruleId: rules[0].id,
      destinationId: destinations[0].id,
      /** Taken one per call by the DELETE routes. */
      spareRuleIds: rules.slice(1).map((r) => r.id),
      spareDestinationIds: destinations.slice(1).map((d) => d.id),
    };
  });
}
type World = Awaited<ReturnType<typeof buildWorld>>;

type Min = "ANY" | "VIEWER" | "EDITOR" | "OWNER";
interface RouteSpec {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** OpenAPI-style path, as listed in /openapi.json. */
  template: string;
  path: (w: World) => string;
  body?: () => unknown;
  min: Min;
  /** What an allowed caller gets (most routes: 200). */
  ok?: number;
  /** Routes owned by another surface: what an allowed caller may get depends on its own setup. */
  okAnyOf?: number[];
}

const p = (w: World) => `/api/projects/${w.project.id}`;
const o = (w: World) => `/api/orgs/${w.org.id}`;

const ROUTES: RouteSpec[] = [
  { method: "GET", template: "/api/auth/me", path: () => "/api/auth/me", min: "ANY" },
  {
    method: "PATCH",
    template: "/api/auth/me",
    path: () => "/api/auth/me",
    body: () => ({ displayName: "N" }),
    min: "ANY",
  },
  { method: "GET", template: "/api/auth/sessions", path: () => "/api/auth/sessions", min: "ANY" },
  { method: "DELETE", template: "/api/auth/sessions/others", path: () => "/api/auth/sessions/others", min: "ANY" },
  {
    method: "DELETE",
    template: "/api/auth/sessions/{sessionId}",
    path: () => `/api/auth/sessions/${crypto.randomUUID()}`,
    min: "ANY",
    ok: 404, // someone else's (or no) session: never found
  },
  { method: "POST", template: "/api/auth/logout", path: () => "/api/auth/logout", min: "ANY" },
  {
    method: "POST",
    template: "/api/auth/change-password",
    path: () => "/api/auth/change-password",
    body: () => ({ currentPassword: "certainly wrong", newPassword: "whatever 12345" }),
    min: "ANY",
    ok: 403, // wrong current password; the point here is the 401s before it
  },
  { method: "GET", template: "/api/orgs", path: () => "/api/orgs", min: "ANY" },
  {
    method: "POST",
    template: "/api/orgs",
    path: () => "/api/orgs",
    body: () => ({ name: "New org" }),
    min: "ANY",
    ok: 201,
  },
  { method: "GET", template: "/api/orgs/{orgId}", path: o, min: "VIEWER" },
  { method: "PATCH", template: "/api/orgs/{orgId}", path: o, body: () => ({ name: "Renamed" }), min: "OWNER" },
  { method: "DELETE", template: "/api/orgs/{orgId}", path: o, min: "OWNER" },
  { method: "GET", template: "/api/orgs/{orgId}/projects", path: (w) => `${o(w)}/projects`, min: "VIEWER" },
  {
    method: "POST",
    template: "/api/orgs/{orgId}/projects",
    path: (w) => `${o(w)}/projects`,
    body: () => ({ name: `P ${randomHex(4)}` }),
    min: "OWNER",
    ok: 201,
  },
  { method: "GET", template: "/api/orgs/{orgId}/members", path: (w) => `${o(w)}/members`, min: "VIEWER" },
  {
    method: "PATCH",
    template: "/api/orgs/{orgId}/members/{userId}",
    path: (w) => `${o(w)}/members/${w.targetUserId}`,
    body: () => ({ role: "VIEWER" }),
    min: "OWNER",
  },
  {
    method: "DELETE",
    template: "/api/orgs/{orgId}/members/{userId}",
    path: (w) => `${o(w)}/members/${w.targetUserId}`,
    min: "OWNER",
  },
  { method: "GET", template: "/api/orgs/{orgId}/invites", path: (w) => `${o(w)}/invites`, min: "VIEWER" },
  {
    method: "POST",
    template: "/api/orgs/{orgId}/invites",
    path: (w) => `${o(w)}/invites`,
    body: () => ({ email: uniqueEmail("inv"), role: "VIEWER" }),
    min: "OWNER",
    ok: 201,
  },
  {
    method: "DELETE",
    template: "/api/orgs/{orgId}/invites/{inviteId}",
    path: (w) => `${o(w)}/invites/${w.inviteId}`,
    min: "OWNER",
  },
  { method: "GET", template: "/api/orgs/{orgId}/audit", path: (w) => `${o(w)}/audit`, min: "VIEWER" },
  // Billing (worker/src/routes/billing.ts): the isolation rules are what matters here; what an allowed
  // caller gets depends on the Stripe fake, so any non-auth answer below 500 is accepted.
  {
    method: "GET",
    template: "/api/orgs/{orgId}/billing",
    path: (w) => `${o(w)}/billing`,
    min: "VIEWER",
    okAnyOf: [200, 503],
  },
  {
    method: "POST",
    template: "/api/orgs/{orgId}/billing/checkout",
    path: (w) => `${o(w)}/billing/checkout`,
    body: () => ({ plan: "PRO" }),
    min: "OWNER",
    okAnyOf: [200, 201, 409, 502, 503],
  },
  {
    method: "POST",
    template: "/api/orgs/{orgId}/billing/portal",
    path: (w) => `${o(w)}/billing/portal`,
    body: () => ({}),
    min: "OWNER",
    okAnyOf: [200, 201, 400, 409, 502, 503],
  },
  { method: "GET", template: "/api/projects/{projectId}", path: p, min: "VIEWER" },
  { method: "PATCH", template: "/api/projects/{projectId}", path: p, body: () => ({ name: "Renamed" }), min: "EDITOR" },
  { method: "DELETE", template: "/api/projects/{projectId}", path: p, min: "OWNER" },
  { method: "GET", template: "/api/projects/{projectId}/context", path: (w) => `${p(w)}/context`, min: "VIEWER" },
  { method: "GET", template: "/api/projects/{projectId}/keys", path: (w) => `${p(w)}/keys`, min: "VIEWER" },
  {
    method: "POST",
    template: "/api/projects/{projectId}/keys",
    path: (w) => `${p(w)}/keys`,
    body: () => ({ name: "k" }),
    min: "EDITOR",
    ok: 201,
  },
  {
    method: "DELETE",
    template: "/api/projects/{projectId}/keys/{keyId}",
    path: (w) => `${p(w)}/keys/${w.keyId}`,
    min: "OWNER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/overview",
    path: (w) => `${p(w)}/overview?range=7d`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/issues",
    path: (w) => `${p(w)}/issues?status=all`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/issues/{issueId}",
    path: (w) => `${p(w)}/issues/${w.issueId}`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/issues/{issueId}/occurrences",
    path: (w) => `${p(w)}/issues/${w.issueId}/occurrences`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/issues/{issueId}/users",
    path: (w) => `${p(w)}/issues/${w.issueId}/users`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/issues/{issueId}/sessions",
    path: (w) => `${p(w)}/issues/${w.issueId}/sessions`,
    min: "VIEWER",
  },
  {
    method: "PATCH",
    template: "/api/projects/{projectId}/issues/{issueId}",
    path: (w) => `${p(w)}/issues/${w.issueId}`,
    body: () => ({ status: "resolved" }),
    min: "EDITOR",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/events/names",
    path: (w) => `${p(w)}/events/names`,
    min: "VIEWER",
  },
  { method: "GET", template: "/api/projects/{projectId}/events", path: (w) => `${p(w)}/events`, min: "VIEWER" },
  {
    method: "GET",
    template: "/api/projects/{projectId}/events/{eventId}",
    path: (w) => `${p(w)}/events/${w.eventId}`,
    min: "VIEWER",
  },
  { method: "GET", template: "/api/projects/{projectId}/sessions", path: (w) => `${p(w)}/sessions`, min: "VIEWER" },
  {
    method: "GET",
    template: "/api/projects/{projectId}/sessions/{sessionRowId}",
    path: (w) => `${p(w)}/sessions/${w.sessionRowId}`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/releases",
    path: (w) => `${p(w)}/releases?range=7d&sort=crash_free`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/releases/{release}",
    path: (w) => `${p(w)}/releases/${encodeURIComponent(w.release)}`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/performance/summary",
    path: (w) => `${p(w)}/performance/summary?range=7d`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/performance/pages",
    path: (w) => `${p(w)}/performance/pages?range=24h&vital=INP`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/performance/routes",
    path: (w) => `${p(w)}/performance/routes?range=24h&sort=p75`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/search",
    path: (w) => `${p(w)}/search?q=${encodeURIComponent("boom user:u1 is:unresolved")}`,
    min: "VIEWER",
  },
  { method: "GET", template: "/api/projects/{projectId}/filters", path: (w) => `${p(w)}/filters`, min: "VIEWER" },
  { method: "GET", template: "/api/projects/{projectId}/usage", path: (w) => `${p(w)}/usage`, min: "VIEWER" },
  {
    method: "GET",
    template: "/api/projects/{projectId}/sourcemaps",
    path: (w) => `${p(w)}/sourcemaps?release=1.0.0`,
    min: "VIEWER",
  },
  {
    method: "POST",
    template: "/api/projects/{projectId}/sourcemaps",
    path: (w) => `${p(w)}/sourcemaps`,
    body: () => ({
      app: "web",
      release: "1.0.0",
      bundle_url: `~/assets/${randomHex(4)}.js`,
      map: { version: 3, sources: ["a.ts"], names: [], mappings: "AAAA" },
    }),
    min: "EDITOR",
    ok: 201,
  },
  {
    method: "DELETE",
    template: "/api/projects/{projectId}/sourcemaps/{artifactId}",
    // Each call deletes a seeded artifact of its own, so the OWNER after the EDITOR still finds one.
    path: (w) => `${p(w)}/sourcemaps/${w.artifactIds.pop()}`,
    min: "EDITOR",
  },
  // Alerts (worker/src/routes/alerts.ts).
  {
    method: "GET",
    template: "/api/projects/{projectId}/alerts/rules",
    path: (w) => `${p(w)}/alerts/rules`,
    min: "VIEWER",
  },
  {
    method: "POST",
    template: "/api/projects/{projectId}/alerts/rules",
    path: (w) => `${p(w)}/alerts/rules`,
    body: () => ({ name: "n", params: { target: "events", conditions: { eventName: "x" } } }),
    min: "EDITOR",
    ok: 201,
  },
  {
    method: "PATCH",
    template: "/api/projects/{projectId}/alerts/rules/{ruleId}",
    path: (w) => `${p(w)}/alerts/rules/${w.ruleId}`,
    body: () => ({ enabled: false }),
    min: "EDITOR",
  },
  {
    method: "DELETE",
    template: "/api/projects/{projectId}/alerts/rules/{ruleId}",
    path: (w) => `${p(w)}/alerts/rules/${w.spareRuleIds.shift() ?? w.ruleId}`,
    min: "EDITOR",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/alerts/destinations",
    path: (w) => `${p(w)}/alerts/destinations`,
    min: "VIEWER",
  },
  {
    method: "POST",
    template: "/api/projects/{projectId}/alerts/destinations",
    path: (w) => `${p(w)}/alerts/destinations`,
    body: () => ({ kind: "webhook", name: "n", url: "http://127.0.0.1:9/hook" }),
    min: "EDITOR",
    ok: 201,
  },
  {
    method: "PATCH",
    template: "/api/projects/{projectId}/alerts/destinations/{destinationId}",
    path: (w) => `${p(w)}/alerts/destinations/${w.destinationId}`,
    body: () => ({ name: "renamed" }),
    min: "EDITOR",
  },
  {
    method: "POST",
    template: "/api/projects/{projectId}/alerts/destinations/{destinationId}/test",
    path: (w) => `${p(w)}/alerts/destinations/${w.destinationId}/test`,
    body: () => ({}),
    min: "EDITOR",
  },
  {
    method: "POST",
    template: "/api/projects/{projectId}/alerts/destinations/{destinationId}/secret",
    path: (w) => `${p(w)}/alerts/destinations/${w.destinationId}/secret`,
    body: () => ({}),
    min: "OWNER",
  },
  {
    method: "DELETE",
    template: "/api/projects/{projectId}/alerts/destinations/{destinationId}",
    path: (w) => `${p(w)}/alerts/destinations/${w.spareDestinationIds.shift() ?? w.destinationId}`,
    min: "EDITOR",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/alerts/events",
    path: (w) => `${p(w)}/alerts/events`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/alerts/deliveries",
    path: (w) => `${p(w)}/alerts/deliveries`,
    min: "VIEWER",
  },
  {
    method: "GET",
    template: "/api/projects/{projectId}/usage/outcomes",
    path: (w) => `${p(w)}/usage/outcomes`,
    min: "VIEWER",
  },
];

/** Routes outside the matrix and why; each is tested on its own (auth.test.ts, management.test.ts). */
const PUBLIC_ROUTES = new Set([
  "POST /api/auth/register", // public by design (closed unless first user, ALLOW_REGISTRATION or invite)
  "POST /api/auth/login",
  "POST /api/auth/forgot-password",
  "POST /api/auth/reset-password",
  "GET /api/invites/{token}", // the token is the credential
  "POST /api/invites/{token}/accept", // signed-in user whose email matches the invite
  // Sentry intake: the DSN's key is the credential, no cookie (its auth cases: test/sentry/intake.test.ts)
  "POST /api/{sentryProjectId}/envelope/",
  "POST /api/{sentryProjectId}/store/",
]);

// What this build actually registers (read synchronously, so the matrix below is built from it).
const REGISTERED = new Set(
  app.openAPIRegistry.definitions.flatMap((d) =>
    d.type === "route" ? [`${d.route.method.toUpperCase()} ${d.route.path}`] : [],
  ),
);
const MATRIX = ROUTES.filter((r) => REGISTERED.has(`${r.method} ${r.template}`));

const RANK: Record<Exclude<Min, "ANY">, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3 };
type Actor = "none" | "forged" | "other-org" | "VIEWER" | "EDITOR" | "OWNER";
const ACTORS: Actor[] = ["none", "forged", "other-org", "VIEWER", "EDITOR", "OWNER"];

function expected(route: RouteSpec, actor: Actor): number {
  if (actor === "none" || actor === "forged") return 401;
  const ok = route.ok ?? 200;
  if (route.min === "ANY") return ok;
  if (actor === "other-org") return 404;
  return RANK[actor] >= RANK[route.min] ? ok : 403;
}

async function cookieOf(w: World, actor: Actor): Promise<string | undefined> {
  if (actor === "none") return undefined;
  if (actor === "forged") {
    const token = await new SignJWT({ sid: crypto.randomUUID() })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(w.members.OWNER.id)
      .setIssuer("telemetry-tracker")
      .setIssuedAt()
      .setExpirationTime("1h")
      .sign(new TextEncoder().encode(`${env.SESSION_SECRET}-but-not-quite`));
    return `tt_session=${token}`;
  }
  const userId = actor === "other-org" ? w.members.OUTSIDER.id : w.members[actor].id;
  return withDatabase((db) => sessionCookieFor(db, userId));
}

describe.each(MATRIX)("$method $template", (route) => {
  let w: World;
  beforeAll(async () => {
    w = await buildWorld();
  });

  it.each(ACTORS)("as %s", async (actor) => {
    const res = await call(route.path(w), {
      method: route.method,
      cookie: await cookieOf(w, actor),
      body: route.body?.(),
    });
    const want = expected(route, actor);
    const body = await res.text();
    if (route.okAnyOf && want < 300) expect(route.okAnyOf, body).toContain(res.status);
    else expect(res.status, body).toBe(want);
    if (want >= 400) expect(JSON.parse(body).error.code).toBeTypeOf("string");
    // Nothing of the world leaks to an outsider or an anonymous caller.
    if (actor === "none" || actor === "forged" || (actor === "other-org" && route.min !== "ANY")) {
      expect(body).not.toContain(w.org.name);
      expect(body).not.toContain(w.project.slug);
    }
  });
});

describe("the matrix covers the whole /api surface", () => {
  it("every /api route in the OpenAPI document is in the matrix or listed as public", async () => {
    const doc = await json<{ paths: Record<string, Record<string, unknown>> }>(await call("/openapi.json"));
    const documented = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    const covered = new Set([...ROUTES.map((r) => `${r.method} ${r.template}`), ...PUBLIC_ROUTES]);
    expect(documented.filter((r) => !covered.has(r))).toEqual([]);
    // Entries for routes this build does not register are skipped above; only other surfaces' may be.
    const stale = ROUTES.filter((r) => !documented.includes(`${r.method} ${r.template}`) && !r.okAnyOf);
    expect(stale.map((r) => `${r.method} ${r.template}`)).toEqual([]);
    expect([...PUBLIC_ROUTES].filter((r) => !documented.includes(r))).toEqual([]);
  });
});

describe("IDOR: another tenant's ids through my own paths", () => {
  let w: World;
  beforeAll(async () => {
    w = await buildWorld();
  });

  it("answers 404 and changes nothing", async () => {
    const cookie = w.members.OWNER.cookie;
    const other = w.otherTelemetry;
    const foreignKey = await withDatabase((db) => createApiKey(db, w.other.project.id));
    const foreign = await withDatabase(async (db) => {
      const [rule] = await db
        .insert(alertRules)
        .values({ projectId: w.other.project.id, kind: "custom", name: "theirs", params: { target: "errors" } })
        .returning();
      const [destination] = await db
        .insert(alertDestinations)
        .values({
          projectId: w.other.project.id,
          name: "theirs",
          kind: "webhook",
          url: "http://127.0.0.1:9/",
          secret: "s",
        })
        .returning();
      return { ruleId: rule.id, destinationId: destination.id };
    });
    const checks: Array<[string, string, unknown?]> = [
      ["GET", `${p(w)}/issues/${other.issueId}`],
      ["GET", `${p(w)}/issues/${other.issueId}/occurrences`],
      ["GET", `${p(w)}/issues/${other.issueId}/users`],
      ["GET", `${p(w)}/issues/${other.issueId}/sessions`],
      ["PATCH", `${p(w)}/issues/${other.issueId}`, { status: "ignored" }],
      ["GET", `${p(w)}/events/${other.eventId}`],
      ["GET", `${p(w)}/sessions/${other.sessionRowId}`],
      ["GET", `${p(w)}/releases/${encodeURIComponent(other.release)}`],
      ["DELETE", `${p(w)}/keys/${foreignKey.row.id}`],
      ["DELETE", `${p(w)}/sourcemaps/${other.artifactIds[0]}`],
      ["PATCH", `${p(w)}/alerts/rules/${foreign.ruleId}`, { enabled: false }],
      ["DELETE", `${p(w)}/alerts/rules/${foreign.ruleId}`],
      ["PATCH", `${p(w)}/alerts/destinations/${foreign.destinationId}`, { name: "mine now" }],
      ["DELETE", `${p(w)}/alerts/destinations/${foreign.destinationId}`],
      ["POST", `${p(w)}/alerts/destinations/${foreign.destinationId}/test`, {}],
      ["POST", `${p(w)}/alerts/destinations/${foreign.destinationId}/secret`, {}],
      ["PATCH", `${o(w)}/members/${w.members.OUTSIDER.id}`, { role: "VIEWER" }],
      ["DELETE", `${o(w)}/members/${w.members.OUTSIDER.id}`],
      ["GET", `/api/projects/${w.other.project.id}`],
      ["GET", `/api/orgs/${w.other.org.id}/audit`],
    ];
    for (const [method, path, body] of checks) {
      const res = await call(path, { method, cookie, body });
      if (method === "GET" && path.endsWith("/occurrences")) {
        // The occurrence list is scoped by project: another project's group simply has none here.
        expect(res.status, path).toBe(200);
        expect((await json<{ occurrences: unknown[] }>(res)).occurrences).toEqual([]);
        continue;
      }
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const otherIssue = await call(`/api/projects/${w.other.project.id}/issues/${other.issueId}`, {
      cookie: w.members.OUTSIDER.cookie,
    });
    expect((await json<{ issue: { status: string } }>(otherIssue)).issue.status).toBe("unresolved");
  });
});
