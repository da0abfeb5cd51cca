import { env } from "cloudflare:workers";
import { auditLog, memberships } from "@telemetry-tracker/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { devOutbox } from "../../src/lib/mailer.ts";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey, createUser } from "../helpers/fixtures.ts";
import { call, cookieFrom, createWorld, json, sessionCookieFor, uniqueEmail } from "./helpers.ts";

type Err = { error: { code: string } };
const world = (plan: "FREE" | "PRO" | "BUSINESS" = "FREE") => withDatabase((db) => createWorld(db, { plan }));

describe("organizations", () => {
  it("create makes me OWNER; list, rename, archive", async () => {
    const user = await withDatabase((db) => createUser(db, { email: uniqueEmail() }));
    const cookie = await withDatabase((db) => sessionCookieFor(db, user.id));
    const created = await call("/api/orgs", { cookie, body: { name: "Acme" } });
    expect(created.status).toBe(201);
    const org = await json<{ id: string; role: string; plan: string }>(created);
    expect(org.role).toBe("OWNER");
    expect(org.plan).toBe("FREE");
    const list = await json<{ organizations: Array<{ id: string }> }>(await call("/api/orgs", { cookie }));
    expect(list.organizations.map((o) => o.id)).toEqual([org.id]);
    const renamed = await call(`/api/orgs/${org.id}`, { method: "PATCH", cookie, body: { name: "Acme 2" } });
    expect((await json<{ name: string }>(renamed)).name).toBe("Acme 2");
    expect((await call(`/api/orgs/${org.id}`, { method: "DELETE", cookie })).status).toBe(200);
    expect((await call(`/api/orgs/${org.id}`, { cookie })).status).toBe(404);
    const after = await json<{ organizations: unknown[] }>(await call("/api/orgs", { cookie }));
    expect(after.organizations).toHaveLength(0);
  });
});

describe("projects", () => {
  it("FREE allows one project (403 project_limit), PRO more; slug clash is 409", async () => {
    const free = await world("FREE");
    const over = await call(`/api/orgs/${free.org.id}/projects`, {
      cookie: free.members.OWNER.cookie,
      body: { name: "Second" },
    });
    expect(over.status).toBe(403);
    expect((await json<Err>(over)).error.code).toBe("project_limit");

    const pro = await world("PRO");
    const cookie = pro.members.OWNER.cookie;
    const made = await call(`/api/orgs/${pro.org.id}/projects`, { cookie, body: { name: "My Web App!" } });
    expect(made.status).toBe(201);
    const project = await json<{ id: string; slug: string }>(made);
    expect(project.slug).toBe("my-web-app");
    const clash = await call(`/api/orgs/${pro.org.id}/projects`, { cookie, body: { name: "x", slug: "my-web-app" } });
    expect(clash.status).toBe(409);
    expect((await json<Err>(clash)).error.code).toBe("slug_taken");
    const renameClash = await call(`/api/projects/${pro.project.id}`, {
      method: "PATCH",
      cookie,
      body: { slug: "my-web-app" },
    });
    expect(renameClash.status).toBe(409);
    const settings = await call(`/api/projects/${project.id}`, {
      method: "PATCH",
      cookie: pro.members.EDITOR.cookie,
      body: { name: "Renamed", piiDenyKeys: ["ssn", "ssn", "iban"] },
    });
    expect(settings.status).toBe(200);
    expect(await json(settings)).toMatchObject({ name: "Renamed", piiDenyKeys: ["ssn", "iban"] });
    // Archiving frees the cap.
    expect((await call(`/api/projects/${project.id}`, { method: "DELETE", cookie })).status).toBe(200);
    expect((await call(`/api/projects/${project.id}`, { cookie })).status).toBe(404);
  });

  it("context: role, capabilities, plan and usage vs quota", async () => {
    const w = await world("PRO");
    const res = await call(`/api/projects/${w.project.id}/context`, { cookie: w.members.EDITOR.cookie });
    expect(res.status).toBe(200);
    const body = await json<{
      role: string;
      plan: string;
      capabilities: Record<string, boolean>;
      usage: { units: number; quota: number; month: string };
    }>(res);
    expect(body.role).toBe("EDITOR");
    expect(body.plan).toBe("PRO");
    expect(body.capabilities).toMatchObject({ createKeys: true, resolveIssues: true, revokeKeys: false });
    expect(body.usage).toMatchObject({ units: 0, quota: 5_000_000, month: new Date().toISOString().slice(0, 7) });
  });
});

describe("members", () => {
  it("the last OWNER can be neither demoted nor removed; a second OWNER unlocks it", async () => {
    const w = await world();
    const cookie = w.members.OWNER.cookie;
    const base = `/api/orgs/${w.org.id}/members`;
    const demote = await call(`${base}/${w.members.OWNER.id}`, { method: "PATCH", cookie, body: { role: "EDITOR" } });
    expect(demote.status).toBe(409);
    expect((await json<Err>(demote)).error.code).toBe("last_owner");
    expect((await call(`${base}/${w.members.OWNER.id}`, { method: "DELETE", cookie })).status).toBe(409);

    const promote = await call(`${base}/${w.members.EDITOR.id}`, { method: "PATCH", cookie, body: { role: "OWNER" } });
    expect(promote.status).toBe(200);
    expect((await call(`${base}/${w.members.OWNER.id}`, { method: "DELETE", cookie })).status).toBe(200);
    const list = await json<{ members: Array<{ userId: string; role: string }> }>(
      await call(base, { cookie: w.members.EDITOR.cookie }),
    );
    expect(list.members.map((m) => m.role).sort()).toEqual(["OWNER", "VIEWER"]);
    // The removed owner lost access at once.
    expect((await call(`/api/orgs/${w.org.id}`, { cookie })).status).toBe(404);
  });

  it("invites: create (mailed), preview, accept by the invited user only, single use; revoke", async () => {
    const w = await world();
    const cookie = w.members.OWNER.cookie;
    const email = uniqueEmail("invitee");
    const before = devOutbox.length;
    const created = await call(`/api/orgs/${w.org.id}/invites`, { cookie, body: { email, role: "EDITOR" } });
    expect(created.status).toBe(201);
    const link = devOutbox.slice(before).find((m) => m.to === email)?.link ?? "";
    const token = link.split("/invite/")[1];
    expect(token).toMatch(/^[0-9a-f]{64}$/);

    const preview = await call(`/api/invites/${token}`);
    expect(preview.status).toBe(200);
    expect(await json(preview)).toMatchObject({ email, role: "EDITOR", orgName: w.org.name });

    const stranger = await call(`/api/invites/${token}/accept`, { method: "POST", cookie: w.members.OUTSIDER.cookie });
    expect(stranger.status).toBe(403);

    const registered = await call("/api/auth/register", {
      body: { email, password: "invited password", displayName: "Invitee", inviteToken: token },
    });
    expect(registered.status).toBe(201);
    const me = await json<{ memberships: Array<{ orgId: string; role: string }> }>(
      await call("/api/auth/me", { cookie: cookieFrom(registered) }),
    );
    expect(me.memberships).toEqual([{ orgId: w.org.id, orgName: w.org.name, role: "EDITOR" }]);
    expect((await call(`/api/invites/${token}`)).status).toBe(404);

    // Accept by an existing user, then revoke another invite.
    const existing = await withDatabase((db) => createUser(db, { email: uniqueEmail("existing") }));
    const second = await json<{ id: string }>(
      await call(`/api/orgs/${w.org.id}/invites`, { cookie, body: { email: existing.email, role: "VIEWER" } }),
    );
    const secondToken = devOutbox.find((m) => m.to === existing.email)?.link.split("/invite/")[1];
    const existingCookie = await withDatabase((db) => sessionCookieFor(db, existing.id));
    const accepted = await call(`/api/invites/${secondToken}/accept`, { method: "POST", cookie: existingCookie });
    expect(accepted.status).toBe(200);
    expect((await call(`/api/orgs/${w.org.id}/invites/${second.id}`, { method: "DELETE", cookie })).status).toBe(404);

    const third = await json<{ id: string }>(
      await call(`/api/orgs/${w.org.id}/invites`, { cookie, body: { email: uniqueEmail(), role: "VIEWER" } }),
    );
    expect((await call(`/api/orgs/${w.org.id}/invites/${third.id}`, { method: "DELETE", cookie })).status).toBe(200);
    const list = await json<{ invites: Array<{ id: string; status: string }> }>(
      await call(`/api/orgs/${w.org.id}/invites`, { cookie: w.members.VIEWER.cookie }),
    );
    expect(list.invites.find((i) => i.id === third.id)?.status).toBe("revoked");
    expect(list.invites.find((i) => i.id === second.id)?.status).toBe("accepted");

    const dup = await call(`/api/orgs/${w.org.id}/invites`, {
      cookie,
      body: { email: existing.email, role: "VIEWER" },
    });
    expect(dup.status).toBe(409);
  });

  it("outside production the create answer carries the accept link (devAcceptUrl); in production never", async () => {
    const w = await world();
    const email = uniqueEmail("dev-link");
    const before = devOutbox.length;
    const created = await call(`/api/orgs/${w.org.id}/invites`, {
      cookie: w.members.OWNER.cookie,
      body: { email, role: "VIEWER" },
    });
    expect(created.status).toBe(201);
    const body = await json<{ devAcceptUrl?: string }>(created);
    expect(body.devAcceptUrl).toBe(devOutbox.slice(before).find((m) => m.to === email)?.link);
    const token = body.devAcceptUrl?.split("/invite/")[1];
    expect(await json(await call(`/api/invites/${token}`))).toMatchObject({ email, role: "VIEWER" });

    const production = await call(`/api/orgs/${w.org.id}/invites`, {
      cookie: w.members.OWNER.cookie.replace("tt_session=", "__Host-tt_session="),
      body: { email: uniqueEmail("prod-link"), role: "VIEWER" },
      env: {
        APP_ENV: "production",
        MAIL_API_URL: `${env.STRIPE_API_BASE}/__control/mail`,
        MAIL_FROM: "tt@example.test",
      },
    });
    expect(production.status).toBe(201);
    const productionBody = await json<Record<string, unknown>>(production);
    expect(productionBody.email).toBeDefined();
    expect(productionBody).not.toHaveProperty("devAcceptUrl");
    expect(JSON.stringify(productionBody)).not.toContain("/invite/");
  });

  it("an invite mail in production without a mailer is a 503, and no invite is created", async () => {
    const w = await world();
    const res = await call(`/api/orgs/${w.org.id}/invites`, {
      cookie: w.members.OWNER.cookie.replace("tt_session=", "__Host-tt_session="),
      body: { email: uniqueEmail(), role: "VIEWER" },
      env: { APP_ENV: "production", MAIL_API_URL: undefined },
    });
    expect(res.status).toBe(503);
    const list = await json<{ invites: unknown[] }>(
      await call(`/api/orgs/${w.org.id}/invites`, { cookie: w.members.OWNER.cookie }),
    );
    expect(list.invites).toHaveLength(0);
  });
});

describe("API keys", () => {
  it("shown once, never listed with a secret; FREE caps at 2 active; revoke bites at ingest", async () => {
    const w = await world("FREE");
    const cookie = w.members.EDITOR.cookie;
    const base = `/api/projects/${w.project.id}/keys`;
    const created = await call(base, { cookie, body: { name: "web", allowedApp: "web" } });
    expect(created.status).toBe(201);
    const { key, apiKey } = await json<{ key: string; apiKey: { id: string; preview: string } }>(created);
    expect(key).toMatch(/^tt_live_[0-9a-f]{16}_[0-9a-f]{48}$/);
    expect(key.startsWith(apiKey.preview.replace("…", ""))).toBe(true);

    const listed = await call(base, { cookie: w.members.VIEWER.cookie });
    const text = await listed.text();
    expect(text).not.toContain(key.split("_").pop());
    expect(text).not.toMatch(/secretHash|secret_hash/);

    expect((await call(base, { cookie, body: { name: "second" } })).status).toBe(201);
    const third = await call(base, { cookie, body: { name: "third" } });
    expect(third.status).toBe(403);
    expect((await json<Err>(third)).error.code).toBe("key_limit");

    const ingest = (apiKeyValue: string) =>
      call("/ingest/event", {
        body: { app: "web", name: "page_view" },
        headers: { authorization: `Bearer ${apiKeyValue}`, origin: "" },
      });
    expect((await ingest(key)).status).toBe(202);
    // EDITOR may not revoke; OWNER may, and ingest refuses the key right after.
    expect((await call(`${base}/${apiKey.id}`, { method: "DELETE", cookie })).status).toBe(403);
    expect((await call(`${base}/${apiKey.id}`, { method: "DELETE", cookie: w.members.OWNER.cookie })).status).toBe(200);
    const refused = await ingest(key);
    expect(refused.status).toBe(401);
    expect((await json<Err>(refused)).error.code).toBe("revoked_api_key");
    // Revoking frees a slot.
    expect((await call(base, { cookie, body: { name: "third again" } })).status).toBe(201);
    expect((await call(`${base}/${apiKey.id}`, { method: "DELETE", cookie: w.members.OWNER.cookie })).status).toBe(404);
  });

  it("a key of another project cannot be revoked through mine (IDOR)", async () => {
    const w = await world("FREE");
    const foreign = await withDatabase((db) => createApiKey(db, w.other.project.id));
    const res = await call(`/api/projects/${w.project.id}/keys/${foreign.row.id}`, {
      method: "DELETE",
      cookie: w.members.OWNER.cookie,
    });
    expect(res.status).toBe(404);
    const stillThere = await withDatabase((db) =>
      db.query.apiKeys.findFirst({ where: (k, { eq: e }) => e(k.id, foreign.row.id) }),
    );
    expect(stillThere?.revokedAt).toBeNull();
  });
});

describe("audit log", () => {
  it("records key, member and project changes and pages with a cursor", async () => {
    const w = await world("PRO");
    const cookie = w.members.OWNER.cookie;
    await call(`/api/projects/${w.project.id}/keys`, { cookie, body: { name: "k" } });
    await call(`/api/orgs/${w.org.id}/members/${w.members.VIEWER.id}`, {
      method: "PATCH",
      cookie,
      body: { role: "EDITOR" },
    });
    await call(`/api/projects/${w.project.id}`, { method: "PATCH", cookie, body: { name: "Renamed" } });
    const first = await json<{ entries: Array<{ id: number; action: string }>; nextCursor: string | null }>(
      await call(`/api/orgs/${w.org.id}/audit?limit=2`, { cookie: w.members.VIEWER.cookie }),
    );
    expect(first.entries.map((e) => e.action)).toEqual(["project.update", "member.role_change"]);
    expect(first.nextCursor).not.toBeNull();
    const second = await json<{ entries: Array<{ action: string }>; nextCursor: string | null }>(
      await call(`/api/orgs/${w.org.id}/audit?limit=2&cursor=${first.nextCursor}`, { cookie }),
    );
    expect(second.entries.map((e) => e.action)).toEqual(["api_key.create"]);
    expect(second.nextCursor).toBeNull();
    const bad = await call(`/api/orgs/${w.org.id}/audit?cursor=not-a-cursor`, { cookie });
    expect(bad.status).toBe(400);
    // Nothing about the other org leaks in.
    const rows = await withDatabase((db) => db.select().from(auditLog).where(eq(auditLog.orgId, w.other.org.id)));
    expect(rows).toHaveLength(0);
  });

  it("records logins in every org of the user", async () => {
    const w = await world();
    const { knownPasswordHash, KNOWN_PASSWORD } = await import("./helpers.ts");
    const email = uniqueEmail("auditlogin");
    const user = await withDatabase(async (db) => {
      const u = await createUser(db, { email, passwordHash: await knownPasswordHash() });
      await db.insert(memberships).values({ orgId: w.org.id, userId: u.id, role: "VIEWER" });
      return u;
    });
    expect((await call("/api/auth/login", { body: { email, password: KNOWN_PASSWORD } })).status).toBe(200);
    const rows = await withDatabase((db) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.orgId, w.org.id), eq(auditLog.actorUserId, user.id))),
    );
    expect(rows.map((r) => r.action)).toEqual(["auth.login"]);
    void env;
  });
});
