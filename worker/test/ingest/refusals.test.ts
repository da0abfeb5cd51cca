import { runInDurableObject } from "cloudflare:test";
import { apiKeys, organizations, projects } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { INGEST_LIMITS } from "../../src/ingest/limits.ts";
import { nextMonthStart, utcMonth } from "../../src/meter/project-meter.ts";
import { PLAN_LIMITS } from "../../src/plans.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import {
  createIngestTenant,
  currentMonth,
  expectError,
  flushMeter,
  meter,
  postIngest,
  setMeterClock,
  setMeterUsage,
} from "../helpers/ingest.ts";

const db = suiteDatabase();

const event = (extra: Record<string, unknown> = {}) => ({ name: "click", app: "web", ...extra });

describe("400: bad bodies", () => {
  it("malformed JSON", async () => {
    const { key } = await createIngestTenant(db);
    await expectError(await postIngest("/ingest/event", null, { key, raw: "{not json" }), 400, "invalid_json");
  });

  it("an empty body", async () => {
    const { key } = await createIngestTenant(db);
    await expectError(await postIngest("/ingest/event", null, { key, raw: "" }), 400, "invalid_json");
  });

  it("schema errors name the field path", async () => {
    const { key } = await createIngestTenant(db);
    const body = await expectError(
      await postIngest(
        "/ingest/batch",
        { events: [event(), { type: "event", app: "web" }, event({ name: "x".repeat(201) })] },
        { key },
      ),
      400,
      "validation_failed",
    );
    const paths = body.error.details?.map((detail) => detail.path);
    expect(paths).toContain("events.1.name");
    expect(paths).toContain("events.2.name");
  });

  it("a missing app, a bad UUID, an unknown item type, an error without message", async () => {
    const { key } = await createIngestTenant(db);
    for (const [path, body, field] of [
      ["/ingest/event", { name: "x" }, "app"],
      ["/ingest/event", event({ event_id: "not-a-uuid" }), "event_id"],
      ["/ingest/batch", { events: [{ type: "metric", name: "x", app: "web" }] }, "events.0.type"],
      ["/ingest/error", { app: "web", type: "Error" }, "message"],
      ["/ingest/session", { app: "web" }, "session_id"],
    ] as const) {
      const envelope = await expectError(await postIngest(path, body, { key }), 400, "validation_failed");
      expect(envelope.error.details?.map((detail) => detail.path)).toContain(field);
    }
  });

  it("batches of 0 or more than 100 items", async () => {
    const { key } = await createIngestTenant(db);
    await expectError(await postIngest("/ingest/batch", { events: [] }, { key }), 400, "validation_failed");
    const tooMany = Array.from({ length: INGEST_LIMITS.batchItems + 1 }, () => event());
    await expectError(await postIngest("/ingest/batch", { events: tooMany }, { key }), 400, "validation_failed");
  });

  it("properties too deep or with too many keys", async () => {
    const { key } = await createIngestTenant(db);
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 10; i++) deep = { nested: deep };
    await expectError(
      await postIngest("/ingest/event", event({ properties: deep }), { key }),
      400,
      "validation_failed",
    );
    const wide = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, i]));
    await expectError(
      await postIngest("/ingest/event", event({ properties: wide }), { key }),
      400,
      "validation_failed",
    );
  });
});

describe("401: keys", () => {
  it("no key", async () => {
    await expectError(await postIngest("/ingest/event", event()), 401, "missing_api_key");
  });

  it("a malformed key", async () => {
    await expectError(await postIngest("/ingest/event", event(), { key: "tt_live_nope" }), 401, "invalid_api_key");
  });

  it("an unknown key, and a known public id with the wrong secret", async () => {
    const { key } = await createIngestTenant(db);
    const unknown = `tt_live_${"ab".repeat(8)}_${"cd".repeat(24)}`;
    await expectError(await postIngest("/ingest/event", event(), { key: unknown }), 401, "invalid_api_key");
    const wrongSecret = `${key.slice(0, -4)}0000`;
    await expectError(await postIngest("/ingest/event", event(), { key: wrongSecret }), 401, "invalid_api_key");
  });

  it("an expired key", async () => {
    const { project } = await createIngestTenant(db);
    const { key } = await createApiKey(db, project.id, { expiresAt: new Date(Date.now() - 1000) });
    await expectError(await postIngest("/ingest/event", event(), { key }), 401, "expired_api_key");
  });

  it("a key of an archived project or organization", async () => {
    const a = await createIngestTenant(db);
    await db.update(projects).set({ deletedAt: new Date() }).where(eq(projects.id, a.project.id));
    await expectError(await postIngest("/ingest/event", event(), { key: a.key }), 401, "revoked_api_key");
    const b = await createIngestTenant(db);
    await db.update(organizations).set({ deletedAt: new Date() }).where(eq(organizations.id, b.org.id));
    await expectError(await postIngest("/ingest/event", event(), { key: b.key }), 401, "revoked_api_key");
  });

  it("a revoked key even when every cache still has it", async () => {
    const { key, keyRow, project } = await createIngestTenant(db);
    expect((await postIngest("/ingest/event", event(), { key })).status).toBe(202);
    // Revoke behind the caches' back, then tell only the meter, as the revoke service does.
    await db.update(apiKeys).set({ revokedAt: new Date() }).where(eq(apiKeys.id, keyRow.id));
    await meter(project.id).revokeKey(keyRow.publicId);
    await expectError(await postIngest("/ingest/event", event(), { key }), 401, "revoked_api_key");
  });
});

describe("403: apps", () => {
  it("a key restricted to one app refuses items of another, whole batch", async () => {
    const { key, project } = await createIngestTenant(db, { allowedApp: "ios" });
    expect((await postIngest("/ingest/event", event({ app: "ios" }), { key })).status).toBe(202);
    await expectError(
      await postIngest("/ingest/batch", { events: [event({ app: "ios" }), event({ app: "web" })] }, { key }),
      403,
      "app_not_allowed",
    );
    expect((await meter(project.id).stats()).bufferedRows).toBe(1);
  });

  it("distinct app labels are capped by plan", async () => {
    const { key } = await createIngestTenant(db);
    const limit = PLAN_LIMITS.FREE.appLabels;
    for (let i = 0; i < limit; i++) {
      expect((await postIngest("/ingest/event", event({ app: `app-${i}` }), { key })).status).toBe(202);
    }
    // Known labels keep working; one more is refused.
    expect((await postIngest("/ingest/event", event({ app: "app-0" }), { key })).status).toBe(202);
    await expectError(await postIngest("/ingest/event", event({ app: "one-too-many" }), { key }), 403, "app_limit");
  });
});

describe("413: size limits, counted on the stream", () => {
  it("more than 200 KB on the wire", async () => {
    const { key } = await createIngestTenant(db);
    const big = JSON.stringify(event({ properties: { blob: "x".repeat(INGEST_LIMITS.wireBytes) } }));
    await expectError(await postIngest("/ingest/event", null, { key, raw: big }), 413, "payload_too_large");
  });

  it("a chunked body (no Content-Length) that grows past the limit", async () => {
    const { key } = await createIngestTenant(db);
    const chunk = new TextEncoder().encode("x".repeat(16 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"name":"a","app":"web","properties":{"b":"'));
        controller.enqueue(chunk);
        sent += chunk.byteLength;
        if (sent > INGEST_LIMITS.wireBytes * 2) controller.close();
      },
    });
    const res = await postIngest("/ingest/event", null, { key, raw: stream });
    await expectError(res, 413, "payload_too_large");
  });

  it("a gzip body under 200 KB that inflates past 1 MB", async () => {
    const { key } = await createIngestTenant(db);
    const inflated = JSON.stringify({
      events: [event({ properties: { pad: "a".repeat(INGEST_LIMITS.decodedBytes) } })],
    });
    const gzipped = await new Response(
      new Blob([inflated]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    expect(gzipped.byteLength).toBeLessThan(INGEST_LIMITS.wireBytes);
    await expectError(
      await postIngest("/ingest/batch", null, { key, raw: gzipped, headers: { "content-encoding": "gzip" } }),
      413,
      "payload_too_large",
    );
  });

  it("invalid gzip is a 400, not a crash", async () => {
    const { key } = await createIngestTenant(db);
    await expectError(
      await postIngest("/ingest/event", null, { key, raw: "not gzip at all", headers: { "content-encoding": "gzip" } }),
      400,
      "invalid_json",
    );
  });
});

describe("415: media types", () => {
  it("form bodies and unknown encodings", async () => {
    const { key } = await createIngestTenant(db);
    await expectError(
      await postIngest("/ingest/event", null, {
        key,
        raw: "name=x",
        headers: { "content-type": "application/x-www-form-urlencoded" },
      }),
      415,
      "unsupported_media_type",
    );
    await expectError(
      await postIngest("/ingest/event", event(), { key, headers: { "content-encoding": "br" } }),
      415,
      "unsupported_media_type",
    );
  });
});

describe("429: quota, exact at the boundary", () => {
  const limit = PLAN_LIMITS.FREE.monthlyUnits;

  it("limit−1 used: one more is accepted (reaching the limit), the next is refused with Retry-After", async () => {
    const { key, project } = await createIngestTenant(db);
    await setMeterUsage(project.id, currentMonth(), limit - 1);
    const last = await postIngest("/ingest/event", event(), { key });
    expect(last.status).toBe(202);
    expect(last.headers.get("x-quota-remaining")).toBe("0");
    const over = await postIngest("/ingest/event", event(), { key });
    const body = await expectError(over, 429, "quota_exceeded");
    expect(body.error.message).toContain(String(limit));
    const retryAfter = Number(over.headers.get("retry-after"));
    const expected = Math.ceil((nextMonthStart(Date.now()) - Date.now()) / 1000);
    expect(Math.abs(retryAfter - expected)).toBeLessThanOrEqual(5);
    expect(over.headers.get("access-control-allow-origin")).toBe("*");
    expect(over.headers.get("x-quota-limit")).toBe(String(limit));
  });

  it("a batch that would cross the limit is rejected whole", async () => {
    const { key, project } = await createIngestTenant(db);
    await setMeterUsage(project.id, currentMonth(), limit - 1);
    await expectError(
      await postIngest("/ingest/batch", { events: [event(), event()] }, { key }),
      429,
      "quota_exceeded",
    );
    expect((await meter(project.id).stats()).bufferedRows).toBe(0);
    expect((await postIngest("/ingest/batch", { events: [event()] }, { key })).status).toBe(202);
  });

  it("updating or ending a known session is free and allowed over quota; a new one is not", async () => {
    const { key, project } = await createIngestTenant(db);
    expect((await postIngest("/ingest/session", { session_id: "s", app: "web" }, { key })).status).toBe(202);
    await setMeterUsage(project.id, currentMonth(), limit);
    expect((await postIngest("/ingest/session", { session_id: "s", app: "web", action: "end" }, { key })).status).toBe(
      202,
    );
    await expectError(
      await postIngest("/ingest/session", { session_id: "new", app: "web" }, { key }),
      429,
      "quota_exceeded",
    );
  });

  it("counts per UTC month: last month's full quota does not block this month", async () => {
    const { key, project } = await createIngestTenant(db);
    const lastMonth = utcMonth(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), 0));
    await setMeterUsage(project.id, lastMonth, limit);
    const res = await postIngest("/ingest/event", event(), { key });
    expect(res.status).toBe(202);
    expect((await res.json<{ quota: { used: number } }>()).quota.used).toBe(1);
    await flushMeter(project.id);
    const usage = (await meter(project.id).stats()).usage;
    expect(usage).toEqual([
      { month: lastMonth, units: limit },
      { month: currentMonth(), units: 1 },
    ]);
  });
});

describe("429: per-project rate", () => {
  it("a burst beyond the plan's requests per second is refused with Retry-After", async () => {
    const { key, project } = await createIngestTenant(db);
    const rps = PLAN_LIMITS.FREE.requestsPerSecond;
    // The meter's clock stands still during the burst, however long the machine takes to send it:
    // exactly one second's worth is accepted, whatever the load.
    let now = Date.now();
    await setMeterClock(project.id, () => now);
    const responses = await Promise.all(
      Array.from({ length: rps * 3 }, () => postIngest("/ingest/event", event(), { key })),
    );
    const accepted = responses.filter((res) => res.status === 202).length;
    const limited = responses.filter((res) => res.status === 429);
    expect(accepted).toBe(rps);
    expect(limited.length).toBe(rps * 2);
    const body = await expectError(limited[0], 429, "rate_limited");
    expect(body.error.message).toContain(String(rps));
    expect(Number(limited[0].headers.get("retry-after"))).toBe(1);

    // Half a second later the bucket holds half a second's worth again.
    now += 500;
    const refilled = await Promise.all(
      Array.from({ length: rps }, () => postIngest("/ingest/event", event(), { key })),
    );
    expect(refilled.filter((res) => res.status === 202).length).toBe(rps / 2);
  });
});

describe("503: the buffer is bounded", () => {
  it("when full, ingest answers 503 with Retry-After and stores nothing more", async () => {
    const { key, project } = await createIngestTenant(db);
    await runInDurableObject(meter(project.id), (instance) => {
      instance.bufferLimits = { rows: 3, bytes: 1e9 };
    });
    expect((await postIngest("/ingest/batch", { events: [event(), event(), event()] }, { key })).status).toBe(202);
    const full = await postIngest("/ingest/event", event(), { key });
    await expectError(full, 503, "buffer_full");
    expect(Number(full.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await meter(project.id).stats()).bufferedRows).toBe(3);
    // Nothing accepted was lost: a flush drains it and ingest resumes.
    await flushMeter(project.id);
    expect((await postIngest("/ingest/event", event(), { key })).status).toBe(202);
  });
});
