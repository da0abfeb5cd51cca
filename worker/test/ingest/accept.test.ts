import { exports } from "cloudflare:workers";
import { errorOccurrences, events, sessions, usageMonthly } from "@telemetry-tracker/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { suiteDatabase } from "../helpers/db.ts";
import { createIngestTenant, currentMonth, flushMeter, meter, postIngest, WORKER } from "../helpers/ingest.ts";

const db = suiteDatabase();

describe("POST /ingest/event", () => {
  it("accepts an event with 202, quota headers, CORS, and stores it after the flush", async () => {
    const { key, project } = await createIngestTenant(db);
    const eventId = crypto.randomUUID();
    const res = await postIngest(
      "/ingest/event",
      {
        name: "signup",
        app: "  web  ",
        event_id: eventId,
        timestamp: "2026-11-20T10:00:00.000Z",
        environment: "production",
        release: "1.2.3",
        user_id: "u-1",
        session_id: "s-1",
        url: "https://example.test/signup",
        sdk: { name: "telemetry-tracker.browser", version: "1.0.0" },
        properties: { plan: "pro", seats: 3 },
      },
      { key },
    );
    expect(res.status).toBe(202);
    const body = await res.json<{
      accepted: number;
      quota: { used: number; limit: number; remaining: number; resetsAt: string };
    }>();
    expect(body.accepted).toBe(1);
    expect(body.quota).toMatchObject({ used: 1, limit: 250_000, remaining: 249_999 });
    expect(res.headers.get("x-quota-limit")).toBe("250000");
    expect(res.headers.get("x-quota-remaining")).toBe("249999");
    expect(Number(res.headers.get("x-quota-reset"))).toBe(Math.floor(Date.parse(body.quota.resetsAt) / 1000));
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-expose-headers")).toContain("Retry-After");

    expect(await db.select().from(events).where(eq(events.projectId, project.id))).toHaveLength(0);
    await flushMeter(project.id);
    const [row] = await db.select().from(events).where(eq(events.projectId, project.id));
    expect(row).toMatchObject({
      eventId,
      name: "signup",
      app: "web",
      environment: "production",
      release: "1.2.3",
      userId: "u-1",
      sessionId: "s-1",
      sdkName: "telemetry-tracker.browser",
      sdkVersion: "1.0.0",
      properties: { plan: "pro", seats: 3 },
      timestampClamped: false,
    });
    expect(row.timestamp.toISOString()).toBe("2026-11-20T10:00:00.000Z");
    const [usage] = await db.select().from(usageMonthly).where(eq(usageMonthly.projectId, project.id));
    expect(usage).toMatchObject({ month: currentMonth(), units: 1 });
  });

  it("accepts the original SDKs' flat fields and epoch-ms timestamps; clamps far-off ones", async () => {
    const { key, project } = await createIngestTenant(db);
    const recent = Date.now() - 60_000;
    const res = await postIngest(
      "/ingest/batch",
      {
        events: [
          { name: "flat", app: "web", sdk_version: "0.9.0", sdk_name: "tt-js", timestamp: recent },
          { name: "future", app: "web", timestamp: "2099-01-01T00:00:00Z" },
          { name: "ancient", app: "web", timestamp: 0 },
        ],
      },
      { key },
    );
    expect(res.status).toBe(202);
    await flushMeter(project.id);
    const rows = await db.select().from(events).where(eq(events.projectId, project.id));
    const byName = Object.fromEntries(rows.map((row) => [row.name, row]));
    expect(byName.flat).toMatchObject({ sdkVersion: "0.9.0", sdkName: "tt-js", timestampClamped: false });
    expect(byName.flat.timestamp.getTime()).toBe(recent);
    expect(byName.future.timestampClamped).toBe(true);
    expect(byName.future.timestamp.getTime()).toBeLessThanOrEqual(Date.now());
    expect(byName.ancient.timestampClamped).toBe(true);
  });

  it("takes the key as X-API-Key or ?api_key=, and the body as text/plain (no preflight)", async () => {
    const { key, project } = await createIngestTenant(db);
    const viaHeader = await postIngest("/ingest/event", { name: "a", app: "web" }, { headers: { "x-api-key": key } });
    expect(viaHeader.status).toBe(202);
    const viaQuery = await exports.default.fetch(`${WORKER}/ingest/event?api_key=${key}`, {
      method: "POST",
      headers: { "content-type": "text/plain;charset=UTF-8" },
      body: JSON.stringify({ name: "b", app: "web" }),
    });
    expect(viaQuery.status).toBe(202);
    await flushMeter(project.id);
    expect(await db.select().from(events).where(eq(events.projectId, project.id))).toHaveLength(2);
  });

  it("answers the CORS preflight for a day", async () => {
    const res = await exports.default.fetch(`${WORKER}/ingest/batch`, {
      method: "OPTIONS",
      headers: { origin: "https://app.example", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-headers")).toContain("Authorization");
    expect(res.headers.get("access-control-max-age")).toBe("86400");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
  });

  it("every error answer keeps CORS and exposes Retry-After and the quota headers", async () => {
    const { key } = await createIngestTenant(db);
    const cases: Array<[Promise<Response>, number]> = [
      [postIngest("/ingest/event", { name: "x", app: "web" }, { key: null }), 401],
      [postIngest("/ingest/event", { app: "web" }, { key }), 400],
      [postIngest("/ingest/event", null, { key, raw: "{" }), 400],
      [postIngest("/ingest/event", null, { key, raw: "x".repeat(300_000) }), 413],
      [postIngest("/ingest/event", null, { key, raw: "<a/>", headers: { "content-type": "application/xml" } }), 415],
    ];
    for (const [pending, status] of cases) {
      const res = await pending;
      expect(res.status).toBe(status);
      expect(res.headers.get("access-control-allow-origin")).toBe("*");
      const exposed = res.headers.get("access-control-expose-headers") ?? "";
      for (const header of ["Retry-After", "X-Quota-Limit", "X-Quota-Remaining", "X-Quota-Reset"]) {
        expect(exposed.toLowerCase()).toContain(header.toLowerCase());
      }
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/^[a-z_]+$/);
    }
  });

  it("each ingest kind is in the OpenAPI document with its body and error schemas", async () => {
    const doc = await (await exports.default.fetch(`${WORKER}/openapi.json`)).json<{
      paths: Record<
        string,
        {
          post: {
            requestBody: { content: Record<string, unknown> };
            responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
          };
        }
      >;
    }>();
    for (const kind of ["event", "error", "session", "batch"]) {
      const post = doc.paths[`/ingest/${kind}`].post;
      expect(Object.keys(post.requestBody.content)).toEqual(["application/json", "text/plain"]);
      expect(post.responses["202"].content?.["application/json"].schema.$ref).toBe(
        "#/components/schemas/IngestAccepted",
      );
      for (const status of ["400", "401", "403", "413", "415", "429", "503"]) {
        expect(post.responses[status].content?.["application/json"].schema.$ref).toBe("#/components/schemas/Error");
      }
    }
  });

  it("accepts gzip-compressed bodies", async () => {
    const { key, project } = await createIngestTenant(db);
    const json = JSON.stringify({ events: Array.from({ length: 50 }, (_, i) => ({ name: `e${i}`, app: "web" })) });
    const gzipped = await new Response(
      new Blob([json]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer();
    const res = await postIngest("/ingest/batch", null, { key, raw: gzipped, headers: { "content-encoding": "gzip" } });
    expect(res.status).toBe(202);
    expect((await res.json<{ accepted: number }>()).accepted).toBe(50);
    await flushMeter(project.id);
    expect(await db.select().from(events).where(eq(events.projectId, project.id))).toHaveLength(50);
  });
});

describe("POST /ingest/error", () => {
  it("stores an occurrence under a new group with parsed frames, breadcrumbs and scrubbed PII", async () => {
    const { key, project } = await createIngestTenant(db);
    const res = await postIngest(
      "/ingest/error",
      {
        app: "web",
        type: "TypeError",
        message: "Cannot read properties of undefined (reading 'id') for ann@example.com",
        stack: [
          "TypeError: Cannot read properties of undefined (reading 'id')",
          "    at loadUser (https://app.example/assets/main.3f2a1b9c.js:10:5)",
          "    at async render (https://app.example/node_modules/react-dom/index.js:1:2)",
        ].join("\n"),
        level: "error",
        handled: false,
        tags: { route: "/users" },
        context: { password: "hunter2", note: "card 4242 4242 4242 4242" },
        breadcrumbs: [{ category: "fetch", message: "GET /api/users", level: "info", timestamp: Date.now() - 1000 }],
        release: "2.0.0",
      },
      { key },
    );
    expect(res.status).toBe(202);
    await flushMeter(project.id);
    const [occurrence] = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, project.id));
    expect(occurrence.type).toBe("TypeError");
    expect(occurrence.message).toContain("[email]");
    expect(occurrence.message).not.toContain("ann@example.com");
    expect(occurrence.context).toEqual({ password: "[redacted]", note: "card [card]" });
    expect(occurrence.tags).toEqual({ route: "/users" });
    expect(occurrence.handled).toBe(false);
    expect(occurrence.frames).toEqual([
      { function: "loadUser", file: "https://app.example/assets/main.3f2a1b9c.js", line: 10, column: 5, in_app: true },
      {
        function: "async render",
        file: "https://app.example/node_modules/react-dom/index.js",
        line: 1,
        column: 2,
        in_app: false,
      },
    ]);
    expect(occurrence.breadcrumbs).toHaveLength(1);
  });
});

describe("POST /ingest/session", () => {
  it("start, update and end converge on one row; only the start costs a unit", async () => {
    const { key, project } = await createIngestTenant(db);
    const started = Date.now() - 120_000;
    const start = await postIngest(
      "/ingest/session",
      {
        session_id: "sess-1",
        app: "web",
        action: "start",
        started_at: started,
        browser: "Firefox",
        os: "Linux",
        user_id: "u1",
      },
      { key },
    );
    expect((await start.json<{ quota: { used: number } }>()).quota.used).toBe(1);
    const update = await postIngest(
      "/ingest/session",
      { session_id: "sess-1", app: "web", action: "update", status: "errored" },
      { key },
    );
    expect((await update.json<{ quota: { used: number } }>()).quota.used).toBe(1);
    const repeatedStart = await postIngest(
      "/ingest/session",
      { session_id: "sess-1", app: "web", action: "start", started_at: started },
      { key },
    );
    expect((await repeatedStart.json<{ quota: { used: number } }>()).quota.used).toBe(1);
    const end = await postIngest(
      "/ingest/session",
      { session_id: "sess-1", app: "web", action: "end", ended_at: Date.now() },
      { key },
    );
    expect(end.status).toBe(202);
    expect((await end.json<{ quota: { used: number } }>()).quota.used).toBe(1);

    await flushMeter(project.id);
    const rows = await db
      .select()
      .from(sessions)
      .where(and(eq(sessions.projectId, project.id), eq(sessions.sessionId, "sess-1")));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ app: "web", browser: "Firefox", os: "Linux", userId: "u1", status: "errored" });
    expect(rows[0].startedAt.getTime()).toBe(started);
    expect(rows[0].endedAt).not.toBeNull();
    const stats = await meter(project.id).stats();
    expect(stats.usage).toEqual([{ month: currentMonth(), units: 1 }]);
  });
});
