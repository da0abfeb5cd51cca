import { env, exports } from "cloudflare:workers";
import { apiKeys, errorGroups, errorOccurrences, events } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { revokeApiKey } from "../../src/auth/api-keys.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { expectError, flushMeter } from "../helpers/ingest.ts";
import {
  createSentryTenant,
  dashed,
  envelope,
  errorEvent,
  postSentry,
  sdkQuery,
  sentryEventId,
} from "../helpers/sentry.ts";

const db = suiteDatabase();

const SDK = { name: "sentry.javascript.node", version: "11.12.0" };

function eventEnvelope(eventId: string, event = errorEvent(eventId), extraHeader: Record<string, unknown> = {}) {
  return envelope({ event_id: eventId, sent_at: new Date().toISOString(), sdk: SDK, ...extraHeader }, [
    { header: { type: "event" }, payload: event },
  ]);
}

describe("POST /api/:id/envelope/: an error event", () => {
  it("is accepted with 200 {id} and CORS, and lands as an error occurrence grouped by our fingerprint", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    const res = await postSentry(t.envelopePath, eventEnvelope(eventId), { query: sdkQuery(t.publicKey) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: eventId });
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Sentry-Rate-Limits");
    expect(res.headers.get("access-control-expose-headers")).toContain("Retry-After");

    await flushMeter(t.project.id);
    const [row] = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id));
    expect(row).toMatchObject({
      eventId: dashed(eventId),
      app: "sentry",
      type: "TypeError",
      message: "Cannot read properties of undefined (reading 'id')",
      level: "error",
      handled: true,
      platform: "node",
      environment: "production",
      release: "shop@1.4.0",
      userId: "user-42",
      url: "https://shop.example.test/cart",
      sdkName: "sentry.javascript.node",
      sdkVersion: "11.12.0",
    });
    // Newest frame first, as our stacks are.
    expect((row.frames as Array<{ function: string }>).map((frame) => frame.function)).toEqual([
      "loadCart",
      "handle",
      "process.processTicksAndRejections",
    ]);
    expect(row.stack).toContain("TypeError: Cannot read properties");
    expect(row.stack).toContain("at loadCart (/app/src/cart.js:42:17)");
    expect(row.tags.region).toBe("eu");
    expect(row.tags["long-tag"]).toHaveLength(200);
    expect(row.breadcrumbs).toMatchObject([{ category: "console", message: "loading cart" }]);
    // Scrubbed before storage like everything else: the email in the user context never lands.
    expect(JSON.stringify(row.context)).not.toContain("someone@example.test");
    expect(JSON.stringify(row.context)).not.toContain("10.0.0.1");
    expect(row.context).toMatchObject({ extra: { cartSize: 3 }, mechanism: { type: "generic", handled: true } });

    const [group] = await db.select().from(errorGroups).where(eq(errorGroups.projectId, t.project.id));
    expect(group).toMatchObject({ type: "TypeError", occurrences: 1, culprit: "loadCart (/app/src/cart.js)" });
  });

  it("deduplicates on event_id: the same envelope twice stores one occurrence", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    for (let i = 0; i < 2; i++) {
      expect((await postSentry(t.envelopePath, eventEnvelope(eventId), { query: sdkQuery(t.publicKey) })).status).toBe(
        200,
      );
    }
    await flushMeter(t.project.id);
    const rows = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id));
    expect(rows).toHaveLength(1);
  });

  it("Sentry's fingerprint wins, with {{ default }} standing for ours", async () => {
    const t = await createSentryTenant(db);
    const send = async (fingerprint?: string[]) => {
      const eventId = sentryEventId();
      const event = errorEvent(eventId, fingerprint ? { fingerprint } : {});
      const res = await postSentry(t.envelopePath, eventEnvelope(eventId, event), { query: sdkQuery(t.publicKey) });
      expect(res.status).toBe(200);
      return dashed(eventId);
    };
    const plain = await send();
    const defaultOnly = await send(["{{ default }}"]);
    const extended = await send(["{{default}}", "tenant-a"]);
    const custom1 = await send(["checkout-failure"]);
    const custom2 = await send(["checkout-failure"]);
    await flushMeter(t.project.id);
    const rows = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id));
    const groupOf = (eventId: string) => rows.find((row) => row.eventId === eventId)?.groupId;
    expect(groupOf(defaultOnly)).toBe(groupOf(plain));
    expect(groupOf(extended)).not.toBe(groupOf(plain));
    expect(groupOf(custom1)).toBe(groupOf(custom2));
    expect(new Set(rows.map((row) => row.groupId)).size).toBe(3);
  });

  it("a message without an exception becomes a $message event", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    const event = {
      event_id: eventId,
      timestamp: Date.now() / 1000,
      level: "info",
      message: "cache warmed",
      platform: "node",
    };
    const res = await postSentry(t.envelopePath, eventEnvelope(eventId, event), { query: sdkQuery(t.publicKey) });
    expect(res.status).toBe(200);
    await flushMeter(t.project.id);
    const [row] = await db.select().from(events).where(eq(events.projectId, t.project.id));
    expect(row).toMatchObject({ eventId: dashed(eventId), name: "$message", app: "sentry" });
    expect(row.properties).toMatchObject({ message: "cache warmed", level: "info" });
  });

  it("captureMessage's synthetic exception (no type) is an error of type Message", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    const event = {
      event_id: eventId,
      level: "warning",
      message: "quota nearly used",
      exception: {
        values: [{ value: "quota nearly used", mechanism: { type: "generic", handled: true, synthetic: true } }],
      },
    };
    expect(
      (await postSentry(t.envelopePath, eventEnvelope(eventId, event), { query: sdkQuery(t.publicKey) })).status,
    ).toBe(200);
    await flushMeter(t.project.id);
    const [row] = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id));
    expect(row).toMatchObject({ type: "Message", message: "quota nearly used", level: "warning" });
  });
});

describe("authentication", () => {
  it("takes X-Sentry-Auth over the query string", async () => {
    const t = await createSentryTenant(db);
    const other = await createSentryTenant(db);
    const header = {
      "x-sentry-auth": `Sentry sentry_version=7, sentry_client=raven-python/6.0, sentry_key=${t.publicKey}, sentry_secret=ignored`,
    };
    const good = await postSentry(t.envelopePath, eventEnvelope(sentryEventId()), {
      headers: header,
      query: { sentry_key: other.publicKey },
    });
    expect(good.status).toBe(200);
    const bad = await postSentry(t.envelopePath, eventEnvelope(sentryEventId()), {
      headers: { "x-sentry-auth": "Sentry sentry_key=0000000000000000" },
      query: { sentry_key: t.publicKey },
    });
    await expectError(bad, 401, "invalid_api_key");
  });

  it("takes the envelope header's dsn when the request names no key (tunnels)", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    const res = await postSentry(t.envelopePath, eventEnvelope(eventId, errorEvent(eventId), { dsn: t.dsn }));
    expect(res.status).toBe(200);
    await flushMeter(t.project.id);
    expect(await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id))).toHaveLength(
      1,
    );
  });

  it("accepts the full tt_live_ key as the public key, checking its secret", async () => {
    const t = await createSentryTenant(db);
    expect(
      (await postSentry(t.envelopePath, eventEnvelope(sentryEventId()), { query: { sentry_key: t.key } })).status,
    ).toBe(200);
    const forged = `${t.key.slice(0, -4)}0000`;
    await expectError(
      await postSentry(t.envelopePath, eventEnvelope(sentryEventId()), { query: { sentry_key: forged } }),
      401,
      "invalid_api_key",
    );
  });

  it("401 without any key, for an unknown or malformed key; 403 for another project's id", async () => {
    const t = await createSentryTenant(db);
    const other = await createSentryTenant(db);
    const body = () => eventEnvelope(sentryEventId());
    const missing = await expectError(await postSentry(t.envelopePath, body()), 401, "missing_api_key");
    expect(missing.error.message).toContain("sentry_key");
    await expectError(
      await postSentry(t.envelopePath, body(), { query: { sentry_key: "f".repeat(16) } }),
      401,
      "invalid_api_key",
    );
    await expectError(
      await postSentry(t.envelopePath, body(), { query: { sentry_key: "not a key" } }),
      401,
      "invalid_api_key",
    );
    await expectError(
      await postSentry(other.envelopePath, body(), { query: { sentry_key: t.publicKey } }),
      403,
      "project_mismatch",
    );
  });

  it("a key without the ingest scope (a source map upload key) cannot ingest through a DSN either", async () => {
    const t = await createSentryTenant(db);
    await db
      .update(apiKeys)
      .set({ scopes: ["sourcemap_upload"] })
      .where(eq(apiKeys.id, t.keyRow.id));
    const res = await postSentry(t.envelopePath, eventEnvelope(sentryEventId()), { query: sdkQuery(t.publicKey) });
    await expectError(res, 403, "insufficient_scope");
  });

  it("a revoked key is refused at the next request", async () => {
    const t = await createSentryTenant(db);
    expect(
      (await postSentry(t.envelopePath, eventEnvelope(sentryEventId()), { query: sdkQuery(t.publicKey) })).status,
    ).toBe(200);
    expect(await revokeApiKey(env, db, { keyId: t.keyRow.id, projectId: t.project.id })).toBe(true);
    const res = await postSentry(t.envelopePath, eventEnvelope(sentryEventId()), { query: sdkQuery(t.publicKey) });
    await expectError(res, 401, "revoked_api_key");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
  });
});

describe("paths", () => {
  it("answers under a DSN path prefix and without the trailing slash", async () => {
    const t = await createSentryTenant(db);
    for (const path of [
      `/sentry/api/${t.numericId}/envelope/`,
      `/a/b/api/${t.numericId}/envelope/`,
      `/api/${t.numericId}/envelope`,
    ]) {
      const res = await postSentry(path, eventEnvelope(sentryEventId()), { query: sdkQuery(t.publicKey) });
      expect(res.status, path).toBe(200);
    }
  });

  it("the legacy store endpoint takes one JSON event", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    const res = await postSentry(t.storePath, JSON.stringify(errorEvent(eventId)), {
      headers: {
        "content-type": "application/json",
        "x-sentry-auth": `Sentry sentry_version=7, sentry_key=${t.publicKey}`,
      },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: eventId });
    await flushMeter(t.project.id);
    const [row] = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, t.project.id));
    expect(row.eventId).toBe(dashed(eventId));
    await expectError(
      await postSentry(t.storePath, "[1,2]", { query: sdkQuery(t.publicKey) }),
      400,
      "invalid_envelope",
    );
  });

  it("answers a CORS preflight with the requested headers, cached, whatever the key", async () => {
    const t = await createSentryTenant(db);
    const preflight = await exports.default.fetch(`http://tt.test${t.envelopePath}?sentry_key=${t.publicKey}`, {
      method: "OPTIONS",
      headers: {
        origin: "https://shop.example.test",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-probe-header, content-type",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("*");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
    expect(preflight.headers.get("access-control-allow-headers")).toBe("x-probe-header, content-type");
    expect(Number(preflight.headers.get("access-control-max-age"))).toBeGreaterThan(0);
  });
});
