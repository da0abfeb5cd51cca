import { alertDestinations, auditLog } from "@telemetry-tracker/db";
import { and, eq, like } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { verifySignature } from "../../src/alerts/signing.ts";
import { call, createWorld, json } from "../api/helpers.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { flushMeter, postIngest } from "../helpers/ingest.ts";
import { RECEIVER, received, script, uniqueName } from "./helpers.ts";

const db = suiteDatabase();

type World = Awaited<ReturnType<typeof createWorld>>;
let w: World;
beforeAll(async () => {
  w = await createWorld(db, { plan: "PRO" });
});

const base = () => `/api/projects/${w.project.id}/alerts`;
const as = (role: "OWNER" | "EDITOR" | "VIEWER") => w.members[role].cookie;

interface Rule {
  id: string;
  kind: string;
  builtin: boolean;
  enabled: boolean;
  params: Record<string, unknown>;
  cooldownSeconds: number | null;
  destinationIds: string[] | null;
}
interface Envelope {
  error: { code: string; details?: Array<{ path: string; message: string }> };
}

const customRule = (overrides: Record<string, unknown> = {}) => ({
  name: "Payment errors",
  params: { target: "errors", conditions: { errorType: "PaymentError", environment: "production" } },
  ...overrides,
});

describe("rules", () => {
  it("lists the five built-ins, on by default; an EDITOR toggles and tunes one", async () => {
    const res = await call(`${base()}/rules`, { cookie: as("VIEWER") });
    expect(res.status).toBe(200);
    const { rules } = await json<{ rules: Rule[] }>(res);
    expect(rules.map((r) => r.kind)).toEqual([
      "new_issue",
      "regression",
      "error_spike",
      "quota_near",
      "quota_exceeded",
    ]);
    expect(rules.every((r) => r.enabled && r.builtin)).toBe(true);
    const spike = rules.find((r) => r.kind === "error_spike") as Rule;
    expect(spike.params).toEqual({ windowMinutes: 5, baselineMinutes: 60, multiplier: 3, floor: 10 });
    expect(spike.cooldownSeconds).toBe(900);

    const patched = await call(`${base()}/rules/${spike.id}`, {
      method: "PATCH",
      cookie: as("EDITOR"),
      body: { enabled: false, params: { windowMinutes: 10, multiplier: 5, floor: 50 } },
    });
    expect(patched.status).toBe(200);
    const { rule } = await json<{ rule: Rule }>(patched);
    expect(rule).toMatchObject({
      enabled: false,
      params: { windowMinutes: 10, baselineMinutes: 60, multiplier: 5, floor: 50 },
    });

    const bad = await call(`${base()}/rules/${spike.id}`, {
      method: "PATCH",
      cookie: as("EDITOR"),
      body: { params: { multiplier: 0, surprise: true } },
    });
    expect(bad.status).toBe(400);
    const details = (await json<Envelope>(bad)).error.details?.map((d) => d.path);
    expect(details).toEqual(expect.arrayContaining(["params.multiplier"]));

    const deleted = await call(`${base()}/rules/${spike.id}`, { method: "DELETE", cookie: as("OWNER") });
    expect(deleted.status).toBe(409);
    expect((await json<Envelope>(deleted)).error.code).toBe("builtin_rule");
  });

  it("creates, changes and deletes a custom rule; writes the audit log", async () => {
    const created = await call(`${base()}/rules`, { cookie: as("EDITOR"), body: customRule() });
    expect(created.status).toBe(201);
    const { rule } = await json<{ rule: Rule }>(created);
    expect(rule).toMatchObject({
      kind: "custom",
      builtin: false,
      enabled: true,
      cooldownSeconds: 900,
      destinationIds: null,
    });

    const patched = await call(`${base()}/rules/${rule.id}`, {
      method: "PATCH",
      cookie: as("EDITOR"),
      body: {
        params: {
          target: "events",
          conditions: { eventName: "checkout_failed" },
          count: { threshold: 3, windowMinutes: 5 },
        },
      },
    });
    expect(patched.status).toBe(200);
    expect((await call(`${base()}/rules/${rule.id}`, { method: "DELETE", cookie: as("EDITOR") })).status).toBe(200);
    expect((await call(`${base()}/rules/${rule.id}`, { method: "DELETE", cookie: as("EDITOR") })).status).toBe(404);

    const actions = await db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.orgId, w.org.id), eq(auditLog.targetId, rule.id)));
    expect(actions.map((a) => a.action).sort()).toEqual([
      "alert_rule.create",
      "alert_rule.delete",
      "alert_rule.update",
    ]);
  });

  it("refuses invalid rules with field-level 400 details", async () => {
    const cases: Array<[unknown, string]> = [
      [customRule({ params: { target: "events", conditions: { errorType: "X" } } }), "params.conditions.errorType"],
      [customRule({ params: { target: "errors", conditions: { eventName: "x" } } }), "params.conditions.eventName"],
      [customRule({ params: { target: "errors", conditions: { level: "loud" } } }), "params.conditions.level"],
      [
        customRule({ params: { target: "errors", count: { threshold: 0, windowMinutes: 5 } } }),
        "params.count.threshold",
      ],
      [
        customRule({ params: { target: "errors", count: { threshold: 5, windowMinutes: 5000 } } }),
        "params.count.windowMinutes",
      ],
      [customRule({ params: { target: "errors", conditions: { colour: "red" } } }), "params.conditions"],
      [customRule({ name: "" }), "name"],
      [customRule({ cooldownSeconds: -1 }), "cooldownSeconds"],
      [customRule({ destinationIds: [crypto.randomUUID()] }), "destinationIds.0"],
    ];
    for (const [body, path] of cases) {
      const res = await call(`${base()}/rules`, { cookie: as("EDITOR"), body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = (await json<Envelope>(res)).error;
      expect(error.code).toBe("validation_failed");
      expect(
        error.details?.map((d) => d.path),
        JSON.stringify(error),
      ).toContain(path);
    }
  });

  it("allows 20 custom rules per project, then 403 alert_rule_limit", async () => {
    const world = await createWorld(db);
    const path = `/api/projects/${world.project.id}/alerts/rules`;
    for (let i = 0; i < 20; i++) {
      expect(
        (await call(path, { cookie: world.members.EDITOR.cookie, body: customRule({ name: `r${i}` }) })).status,
      ).toBe(201);
    }
    const over = await call(path, { cookie: world.members.EDITOR.cookie, body: customRule() });
    expect(over.status).toBe(403);
    expect((await json<Envelope>(over)).error.code).toBe("alert_rule_limit");
  });
});

describe("destinations", () => {
  it("a webhook's secret is shown once; send-test delivers a signed test; only an OWNER rotates the secret", async () => {
    const name = uniqueName("api-hook");
    const created = await call(`${base()}/destinations`, {
      cookie: as("EDITOR"),
      body: { kind: "webhook", name, url: `${RECEIVER}/hook/${name}` },
    });
    expect(created.status).toBe(201);
    const { destination, secret } = await json<{ destination: { id: string; format: string }; secret: string }>(
      created,
    );
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);
    expect(destination.format).toBe("generic");
    const listed = await call(`${base()}/destinations`, { cookie: as("VIEWER") });
    const text = await listed.text();
    expect(text).not.toContain(secret);
    expect(JSON.parse(text).destinations[0]).toMatchObject({ id: destination.id, hasSecret: true });

    const test = await call(`${base()}/destinations/${destination.id}/test`, { cookie: as("EDITOR"), body: {} });
    expect(test.status).toBe(200);
    const { delivery } = await json<{ delivery: { status: string; attemptLog: Array<{ statusCode: number }> } }>(test);
    expect(delivery.status).toBe("delivered");
    expect(delivery.attemptLog.map((a) => a.statusCode)).toEqual([200]);
    const [request] = await received(name);
    expect(JSON.parse(request.body).kind).toBe("test");
    expect(await verifySignature(secret, request.body, request.headers["telemetry-signature"])).toBe(true);

    const rotatePath = `${base()}/destinations/${destination.id}/secret`;
    expect((await call(rotatePath, { cookie: as("EDITOR"), body: {} })).status).toBe(403);
    const rotated = await call(rotatePath, { cookie: as("OWNER"), body: {} });
    expect(rotated.status).toBe(200);
    const next = (await json<{ secret: string }>(rotated)).secret;
    expect(next).not.toBe(secret);
    await call(`${base()}/destinations/${destination.id}/test`, { cookie: as("EDITOR"), body: {} });
    const second = (await received(name))[1];
    expect(await verifySignature(next, second.body, second.headers["telemetry-signature"])).toBe(true);
    expect(await verifySignature(secret, second.body, second.headers["telemetry-signature"])).toBe(false);
  });

  it("a failing send-test answers the failed attempt; re-enabling clears the streak", async () => {
    const name = uniqueName("api-fail");
    const { destination } = await json<{ destination: { id: string } }>(
      await call(`${base()}/destinations`, {
        cookie: as("EDITOR"),
        body: { kind: "webhook", name, url: `${RECEIVER}/hook/${name}`, format: "slack" },
      }),
    );
    await script(name, [500]);
    const test = await call(`${base()}/destinations/${destination.id}/test`, { cookie: as("EDITOR"), body: {} });
    const { delivery } = await json<{ delivery: { status: string; lastStatusCode: number; lastError: string } }>(test);
    expect(delivery).toMatchObject({ status: "dead", lastStatusCode: 500, lastError: "HTTP 500" });

    await db
      .update(alertDestinations)
      .set({ enabled: false, consecutiveFailures: 20, disabledReason: "20 deliveries failed in a row" })
      .where(eq(alertDestinations.id, destination.id));
    const enabled = await call(`${base()}/destinations/${destination.id}`, {
      method: "PATCH",
      cookie: as("EDITOR"),
      body: { enabled: true },
    });
    expect(await json(enabled)).toMatchObject({
      destination: { enabled: true, consecutiveFailures: 0, disabledReason: null },
    });
  });

  it("validates destinations: URL, format, recipients who are members", async () => {
    const cases: Array<[unknown, string]> = [
      [{ kind: "webhook", name: "x", url: "not a url" }, "url"],
      [{ kind: "webhook", name: "x", url: "ftp://example.com" }, "url"],
      [{ kind: "webhook", name: "x", url: "https://example.com", format: "pager" }, "format"],
      [{ kind: "email", name: "x", userIds: [] }, "userIds"],
      [{ kind: "email", name: "x", userIds: [w.members.OUTSIDER.id] }, "userIds.0"],
      [{ kind: "sms", name: "x" }, "kind"],
    ];
    for (const [body, path] of cases) {
      const res = await call(`${base()}/destinations`, { cookie: as("EDITOR"), body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = (await json<Envelope>(res)).error;
      expect(
        error.details?.map((d) => d.path),
        JSON.stringify(error),
      ).toContain(path);
    }
    const email = await call(`${base()}/destinations`, {
      cookie: as("EDITOR"),
      body: { kind: "email", name: "Owners", userIds: [w.members.OWNER.id] },
    });
    expect(email.status).toBe(201);
    expect((await json<{ secret?: string }>(email)).secret).toBeUndefined();
  });

  it("in production refuses http and private webhook URLs at creation", async () => {
    const production = { APP_ENV: "production" as const };
    // Production names the cookie with the __Host- prefix.
    const cookie = as("EDITOR").replace(/^tt_session=/, "__Host-tt_session=");
    for (const url of ["http://example.com/hook", "https://127.0.0.1/hook", "https://169.254.169.254/"]) {
      const res = await call(`${base()}/destinations`, {
        cookie,
        body: { kind: "webhook", name: "x", url },
        env: production,
      });
      expect(res.status, url).toBe(400);
      expect((await json<Envelope>(res)).error.details?.[0].path).toBe("url");
    }
  });
});

describe("events and deliveries", () => {
  it("lists fired alerts with delivery tallies, and the delivery log with attempts, paginated", async () => {
    const world = await createWorld(db);
    const key = await createApiKey(db, world.project.id);
    const name = uniqueName("api-log");
    const path = `/api/projects/${world.project.id}/alerts`;
    await call(`${path}/destinations`, {
      cookie: world.members.EDITOR.cookie,
      body: { kind: "webhook", name, url: `${RECEIVER}/hook/${name}` },
    });
    for (const message of ["one", "two", "three"]) {
      await postIngest("/ingest/error", { app: "web", type: "Error", message }, { key: key.key });
    }
    await flushMeter(world.project.id);
    const first = await json<{ events: Array<{ kind: string; deliveries: { pending: number } }>; nextCursor: string }>(
      await call(`${path}/events?limit=2`, { cookie: world.members.VIEWER.cookie }),
    );
    expect(first.events).toHaveLength(2);
    expect(first.events[0]).toMatchObject({ kind: "new_issue", deliveries: { pending: 1, delivered: 0, dead: 0 } });
    const second = await json<{ events: unknown[]; nextCursor: string | null }>(
      await call(`${path}/events?limit=2&cursor=${first.nextCursor}`, { cookie: world.members.VIEWER.cookie }),
    );
    expect(second.events).toHaveLength(1);
    expect(second.nextCursor).toBeNull();

    const log = await json<{ deliveries: Array<{ status: string; destinationName: string }> }>(
      await call(`${path}/deliveries?status=pending`, { cookie: world.members.VIEWER.cookie }),
    );
    expect(log.deliveries).toHaveLength(3);
    expect(log.deliveries[0].destinationName).toBe(name);
    const bad = await call(`${path}/deliveries?cursor=garbage`, { cookie: world.members.VIEWER.cookie });
    expect((await json<Envelope>(bad)).error.code).toBe("invalid_cursor");
  });

  it("audit-logs destination changes", async () => {
    const rows = await db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(and(eq(auditLog.orgId, w.org.id), like(auditLog.action, "alert_destination.%")));
    expect(new Set(rows.map((r) => r.action))).toEqual(
      new Set([
        "alert_destination.create",
        "alert_destination.test",
        "alert_destination.rotate_secret",
        "alert_destination.update",
      ]),
    );
  });
});
