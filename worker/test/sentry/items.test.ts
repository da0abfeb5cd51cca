import { events, intakeOutcomes, sessions } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { call, sessionCookieFor } from "../api/helpers.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { addMember, createUser } from "../helpers/fixtures.ts";
import { currentMonth, expectError, flushMeter, meterSql, setMeterUsage } from "../helpers/ingest.ts";
import { createSentryTenant, envelope, errorEvent, postSentry, sdkQuery, sentryEventId } from "../helpers/sentry.ts";

const db = suiteDatabase();

const SDK = { name: "sentry.javascript.browser", version: "11.12.0" };

const started = new Date(Date.now() - 60_000).toISOString();

function sessionUpdate(sid: string, fields: Record<string, unknown>) {
  return envelope({ sent_at: new Date().toISOString(), sdk: SDK }, [
    {
      header: { type: "session" },
      payload: {
        sid,
        init: false,
        started,
        timestamp: new Date().toISOString(),
        status: "ok",
        errors: 0,
        attrs: { release: "web@2.0.0", environment: "production", ip_address: "{{auto}}" },
        ...fields,
      },
    },
  ]);
}

describe("sessions", () => {
  it("init → ok → exited: one session, started then ended, status ok, release and environment", async () => {
    const t = await createSentryTenant(db);
    const sid = crypto.randomUUID().replace(/-/g, "");
    const query = sdkQuery(t.publicKey);
    expect((await postSentry(t.envelopePath, sessionUpdate(sid, { init: true }), { query })).status).toBe(200);
    await flushMeter(t.project.id);
    let [row] = await db.select().from(sessions).where(eq(sessions.projectId, t.project.id));
    expect(row).toMatchObject({ sessionId: sid, app: "sentry", status: "ok", endedAt: null, release: "web@2.0.0" });
    expect(
      (await postSentry(t.envelopePath, sessionUpdate(sid, { status: "exited", duration: 42.5 }), { query })).status,
    ).toBe(200);
    await flushMeter(t.project.id);
    [row] = await db.select().from(sessions).where(eq(sessions.projectId, t.project.id));
    expect(row).toMatchObject({ status: "ok", environment: "production" });
    expect(row.endedAt?.getTime()).toBe(row.startedAt.getTime() + 42_500);
  });

  it.each([
    ["unhandled", 0, "errored", false],
    ["ok", 2, "errored", false],
    ["crashed", 1, "crashed", true],
    ["abnormal", 0, "abnormal", true],
  ])("status %s with %i errors → %s (ended: %s)", async (status, errors, expected, ended) => {
    const t = await createSentryTenant(db);
    const sid = crypto.randomUUID();
    const res = await postSentry(t.envelopePath, sessionUpdate(sid, { init: true, status, errors }), {
      query: sdkQuery(t.publicKey),
    });
    expect(res.status).toBe(200);
    await flushMeter(t.project.id);
    const [row] = await db.select().from(sessions).where(eq(sessions.projectId, t.project.id));
    expect(row.status).toBe(expected);
    expect(row.endedAt !== null).toBe(ended);
  });

  it("aggregates (request mode) become that many ended sessions of the bucket", async () => {
    const t = await createSentryTenant(db);
    const started = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 60_000).toISOString();
    const body = envelope({ sent_at: new Date().toISOString(), sdk: SDK }, [
      {
        header: { type: "sessions" },
        payload: {
          aggregates: [{ started, exited: 2, errored: 1, crashed: 1 }],
          attrs: { release: "api@3.1.0", environment: "staging" },
        },
      },
    ]);
    expect((await postSentry(t.envelopePath, body, { query: sdkQuery(t.publicKey) })).status).toBe(200);
    await flushMeter(t.project.id);
    const rows = await db.select().from(sessions).where(eq(sessions.projectId, t.project.id));
    expect(rows.map((row) => row.status).sort()).toEqual(["crashed", "errored", "ok", "ok"]);
    for (const row of rows) {
      expect(row).toMatchObject({ release: "api@3.1.0", environment: "staging" });
      expect(row.startedAt.toISOString()).toBe(started);
      expect(row.endedAt?.toISOString()).toBe(started);
    }
  });
});

describe("performance data", () => {
  it("a transaction (static trace lifecycle) is a $transaction event with its duration", async () => {
    const t = await createSentryTenant(db);
    const eventId = sentryEventId();
    const start = Date.now() / 1000 - 2;
    const body = envelope({ event_id: eventId, sdk: SDK }, [
      {
        header: { type: "transaction" },
        payload: {
          type: "transaction",
          event_id: eventId,
          transaction: "GET /cart/:id",
          start_timestamp: start,
          timestamp: start + 0.25,
          release: "web@2.0.0",
          contexts: { trace: { trace_id: "c".repeat(32), span_id: "d".repeat(16), op: "http.server", status: "ok" } },
          spans: [{ span_id: "e".repeat(16) }, { span_id: "f".repeat(16) }],
          transaction_info: { source: "route" },
        },
      },
    ]);
    expect((await postSentry(t.envelopePath, body, { query: sdkQuery(t.publicKey) })).status).toBe(200);
    await flushMeter(t.project.id);
    const [row] = await db.select().from(events).where(eq(events.projectId, t.project.id));
    expect(row).toMatchObject({ name: "$transaction", release: "web@2.0.0" });
    expect(row.properties).toMatchObject({
      transaction: "GET /cart/:id",
      op: "http.server",
      status: "ok",
      duration_ms: 250,
      spans: 2,
      source: "route",
    });
  });

  it("v2 spans: the segment span is stored as a $transaction, child spans only counted", async () => {
    const t = await createSentryTenant(db);
    const start = Date.now() / 1000 - 5;
    const span = (id: string, segment: boolean, name: string) => ({
      trace_id: "1".repeat(32),
      span_id: id,
      name,
      status: "ok",
      is_segment: segment,
      start_timestamp: start,
      end_timestamp: start + 1.5,
      attributes: {
        "sentry.op": { value: segment ? "pageload" : "resource.script", type: "string" },
        "sentry.release": { value: "web@2.1.0", type: "string" },
        "sentry.environment": { value: "production", type: "string" },
      },
    });
    const body = envelope({ sent_at: new Date().toISOString(), sdk: SDK, trace: { trace_id: "1".repeat(32) } }, [
      {
        header: { type: "span", item_count: 3, content_type: "application/vnd.sentry.items.span.v2+json" },
        payload: {
          version: 2,
          items: [
            span("a".repeat(16), true, "/checkout"),
            span("b".repeat(16), false, "x.js"),
            span("c".repeat(16), false, "y.js"),
          ],
        },
      },
    ]);
    const query = sdkQuery(t.publicKey);
    expect((await postSentry(t.envelopePath, body, { query })).status).toBe(200);
    // The same segment again (a resend) stays one row: its id derives from trace and span ids.
    expect((await postSentry(t.envelopePath, body, { query })).status).toBe(200);
    await flushMeter(t.project.id);
    const rows = await db.select().from(events).where(eq(events.projectId, t.project.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: "$transaction", release: "web@2.1.0", environment: "production" });
    expect(rows[0].properties).toMatchObject({ transaction: "/checkout", op: "pageload", duration_ms: 1500 });
  });
});

describe("metering as /ingest", () => {
  it("over quota: 429 naming the categories, with Retry-After; session updates keep flowing", async () => {
    const t = await createSentryTenant(db);
    const query = sdkQuery(t.publicKey);
    const sid = crypto.randomUUID();
    expect((await postSentry(t.envelopePath, sessionUpdate(sid, { init: true }), { query })).status).toBe(200);
    await setMeterUsage(t.project.id, currentMonth(), 250_000);
    const eventId = sentryEventId();
    const res = await postSentry(
      t.envelopePath,
      envelope({ event_id: eventId }, [{ header: { type: "event" }, payload: errorEvent(eventId) }]),
      { query },
    );
    await expectError(res, 429, "quota_exceeded");
    const limits = res.headers.get("x-sentry-rate-limits") ?? "";
    const [seconds, categories, scope, reason] = limits.split(":");
    expect(Number(seconds)).toBeGreaterThan(0);
    expect(categories.split(";")).toEqual(expect.arrayContaining(["error", "transaction", "span"]));
    expect(categories.split(";")).not.toContain("session");
    expect(scope).toBe("project");
    expect(reason).toBe("quota_exceeded");
    expect(res.headers.get("retry-after")).toBe(seconds);
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Sentry-Rate-Limits");

    const update = await postSentry(t.envelopePath, sessionUpdate(sid, { status: "exited" }), { query });
    expect(update.status).toBe(200);
  });

  it("over the request rate: 429 rate_limited with X-Sentry-Rate-Limits", async () => {
    const t = await createSentryTenant(db);
    const query = sdkQuery(t.publicKey);
    // A burst well past FREE's 20 requests per second, all in flight at once.
    const responses = await Promise.all(
      Array.from({ length: 60 }, () => {
        const eventId = sentryEventId();
        return postSentry(
          t.envelopePath,
          envelope({ event_id: eventId }, [{ header: { type: "event" }, payload: errorEvent(eventId) }]),
          { query },
        );
      }),
    );
    const statuses = responses.map((res) => res.status);
    const limited = responses.find((res) => res.status === 429);
    expect(limited, statuses.join(",")).toBeDefined();
    await expectError(limited as Response, 429, "rate_limited");
    expect((limited as Response).headers.get("x-sentry-rate-limits")).toMatch(
      /^\d+:error;.*session:project:rate_limited$/,
    );
    expect((limited as Response).headers.get("retry-after")).toMatch(/^\d+$/);
  });
});

describe("what is only counted", () => {
  it("client reports and ignored items are counted per month, category and reason, and read on /api", async () => {
    const t = await createSentryTenant(db);
    const query = sdkQuery(t.publicKey);
    const report = envelope({}, [
      {
        header: { type: "client_report" },
        payload: {
          timestamp: Date.now() / 1000,
          discarded_events: [
            { reason: "ratelimit_backoff", category: "error", quantity: 3 },
            { reason: "network_error", category: "session", quantity: 1 },
            { reason: "made_up", category: "made_up", quantity: 2 },
          ],
        },
      },
    ]);
    expect((await postSentry(t.envelopePath, report, { query })).status).toBe(200);
    expect((await postSentry(t.envelopePath, report, { query })).status).toBe(200);
    const ignored = envelope({}, [
      { header: { type: "replay_event" }, payload: {} },
      { header: { type: "log", item_count: 4 }, payload: { version: 2, items: [] } },
      { header: { type: "check_in" }, payload: { check_in_id: "x", status: "ok" } },
    ]);
    expect((await postSentry(t.envelopePath, ignored, { query })).status).toBe(200);
    await flushMeter(t.project.id);

    const rows = await db.select().from(intakeOutcomes).where(eq(intakeOutcomes.projectId, t.project.id));
    const count = (source: string, category: string, reason: string) =>
      rows.find((row) => row.source === source && row.category === category && row.reason === reason)?.quantity;
    expect(count("client", "error", "ratelimit_backoff")).toBe(6);
    expect(count("client", "session", "network_error")).toBe(2);
    expect(count("client", "other", "other")).toBe(4);
    expect(count("ignored", "replay", "unsupported_item")).toBe(1);
    expect(count("ignored", "log_item", "unsupported_item")).toBe(4);
    expect(count("ignored", "monitor", "unsupported_item")).toBe(1);
    expect(rows.every((row) => row.month === currentMonth())).toBe(true);
    // A replayed flush writes the meter's absolute counts again: nothing doubles.
    await meterSql(t.project.id, "update outcomes set dirty = 1");
    await flushMeter(t.project.id);
    const again = await db.select().from(intakeOutcomes).where(eq(intakeOutcomes.projectId, t.project.id));
    expect(again.find((row) => row.reason === "ratelimit_backoff")?.quantity).toBe(6);

    const viewer = await createUser(db);
    await addMember(db, t.org.id, viewer.id, "VIEWER");
    const res = await call(`/api/projects/${t.project.id}/usage/outcomes`, {
      cookie: await sessionCookieFor(db, viewer.id),
    });
    expect(res.status).toBe(200);
    const body = await res.json<{
      outcomes: Array<{ source: string; category: string; reason: string; quantity: number }>;
    }>();
    expect(body.outcomes[0]).toMatchObject({
      source: "client",
      category: "error",
      reason: "ratelimit_backoff",
      quantity: 6,
    });
    expect(body.outcomes).toHaveLength(rows.length);
  });
});
