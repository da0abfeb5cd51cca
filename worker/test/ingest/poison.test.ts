import { runInDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { errorOccurrences, events, usageMonthly } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { normalizeJsonText, normalizeString } from "../../src/ingest/normalize.ts";
import { call, createWorld } from "../api/helpers.ts";
import { setPostgres, suiteDatabase, withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import {
  createIngestTenant,
  currentMonth,
  flushMeter,
  meter,
  meterSql,
  postIngest,
  WORKER,
} from "../helpers/ingest.ts";

const db = suiteDatabase();
// A test that cuts Postgres off must not leave the next one without it, even when it fails.
afterEach(async () => {
  await setPostgres("up");
  vi.restoreAllMocks();
});

const eventNames = async (projectId: string) =>
  (await db.select({ name: events.name }).from(events).where(eq(events.projectId, projectId)))
    .map((row) => row.name)
    .sort();

/** A buffered event row as the Worker would have built it; `overrides` may hold what ingest never lets through. */
function rawEventRow(overrides: Record<string, unknown>): string {
  return JSON.stringify({
    kind: "event",
    event_id: crypto.randomUUID(),
    name: "raw",
    app: "web",
    timestamp: new Date().toISOString(),
    timestamp_clamped: false,
    platform: null,
    environment: null,
    release: null,
    user_id: null,
    anonymous_id: null,
    session_id: null,
    url: null,
    sdk_name: null,
    sdk_version: null,
    properties: {},
    ...overrides,
  });
}

/** Appends rows to the meter's buffer directly, as if they had got past ingest's normalisation. */
async function injectIntoBuffer(projectId: string, rows: string[]): Promise<void> {
  await runInDurableObject(meter(projectId), (_instance, state) => {
    for (const row of rows) {
      state.storage.sql.exec(
        "insert into buffer (row, bytes, admitted_at) values (?, ?, ?)",
        row,
        row.length,
        Date.now(),
      );
    }
  });
  // The gauges are kept in memory; a restart would recount them, a test recounts them here.
  await runInDurableObject(meter(projectId), (instance) => {
    (instance as unknown as { bufferedRows: number }).bufferedRows += rows.length;
  });
}

describe("normalizeJsonText", () => {
  it("replaces NUL and lone surrogates in values and keys at any depth, and keeps pairs", () => {
    const value = JSON.parse('{"a\\u0000":{"b":["x\\ud800y",{"\\udc00":"ok \\ud83d\\ude00"}]},"n":1,"t":true}');
    expect(normalizeJsonText(value)).toEqual({
      "a\uFFFD": { b: ["x\uFFFDy", { "\uFFFD": "ok \u{1F600}" }] },
      n: 1,
      t: true,
    });
    expect(normalizeString("\ud800\ud800\udc00\udc00")).toBe("\uFFFD\ud800\udc00\uFFFD");
    expect(normalizeString("clean")).toBe("clean");
  });

  it("keeps a parsed __proto__ key a plain property", () => {
    const value = normalizeJsonText(JSON.parse('{"__proto__":{"polluted":"x\\u0000"}}')) as Record<string, unknown>;
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(value, "__proto__")?.value).toEqual({ polluted: "x\uFFFD" });
  });

  it("walks 100,000 levels without overflowing the stack", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}"\\u0000"${"]".repeat(100_000)}`);
    expect(() => normalizeJsonText(deep)).not.toThrow();
  });
});

describe("poison rows (issue 10 §0)", () => {
  // The two inputs found from outside, byte for byte: each answered 202 and then blocked every flush.
  it.each([
    ["NUL", '{"name":"a\\u0000b","app":"web"}', "a\uFFFDb"],
    ["a lone surrogate", '{"name":"\\ud800x","app":"web"}', "\uFFFDx"],
  ])(
    "%s: answered 202, stored (normalised) after the drain, and no later row is held up",
    async (_label, raw, stored) => {
      const { key, project } = await createIngestTenant(db);
      expect((await postIngest("/ingest/event", null, { key, raw })).status).toBe(202);
      expect((await postIngest("/ingest/event", { name: "later", app: "web" }, { key })).status).toBe(202);
      await flushMeter(project.id);
      expect(await eventNames(project.id)).toEqual([stored, "later"].sort());
      const stats = await meter(project.id).stats();
      expect(stats.bufferedRows).toBe(0);
      expect(stats.deadLetterCount).toBe(0);
    },
  );

  it("normalises keys and nested values on every kind, errors included", async () => {
    const { key, project } = await createIngestTenant(db);
    const res = await postIngest("/ingest/batch", null, {
      key,
      raw: '{"events":[{"type":"event","name":"e","app":"web","properties":{"k\\u0000":{"deep":["\\udc00"]}}},{"type":"error","app":"web","message":"m\\u0000","tags":{"t":"\\ud800"},"context":{"c\\ud800":1}},{"type":"session","app":"web","session_id":"s\\u0000","action":"start"}]}',
    });
    expect(res.status).toBe(202);
    await flushMeter(project.id);
    const [event] = await db.select().from(events).where(eq(events.projectId, project.id));
    expect(event.properties).toEqual({ "k\uFFFD": { deep: ["\uFFFD"] } });
    const [occurrence] = await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, project.id));
    expect(occurrence.message).toBe("m\uFFFD");
    expect(occurrence.tags).toEqual({ t: "\uFFFD" });
    expect(occurrence.context).toMatchObject({ "c\uFFFD": 1 });
    expect((await meter(project.id).stats()).bufferedRows).toBe(0);
  });
});

describe("the flush isolates rows Postgres refuses", () => {
  it("moves each refused row to dead letters and writes the rest of the batch", async () => {
    const { key, project } = await createIngestTenant(db);
    const batch = (prefix: string, n: number) => ({
      events: Array.from({ length: n }, (_, i) => ({ type: "event", name: `${prefix}${i}`, app: "web" })),
    });
    expect((await postIngest("/ingest/batch", batch("a", 10), { key })).status).toBe(202);
    // Three rows of three data errors: NUL in jsonb (22P05), a lone surrogate (22P02), a bad uuid (22P02).
    const nulId = crypto.randomUUID();
    await injectIntoBuffer(project.id, [
      rawEventRow({ event_id: nulId, properties: { k: "x\u0000" } }),
      rawEventRow({ name: "lone \ud800" }),
      rawEventRow({ event_id: "not-a-uuid" }),
    ]);
    expect((await postIngest("/ingest/batch", batch("b", 5), { key })).status).toBe(202);

    await flushMeter(project.id);
    const names = await eventNames(project.id);
    expect(names).toHaveLength(15);
    expect(names.every((name) => /^[ab]\d+$/.test(name))).toBe(true);

    const stats = await meter(project.id).stats();
    expect(stats).toMatchObject({ bufferedRows: 0, deadLetterCount: 3, lastFlushError: null });
    const report = await meter(project.id).deadLetters(10);
    expect(report.count).toBe(3);
    expect(report.recent.map((entry) => entry.error.slice(0, 2))).toEqual(["22", "22", "22"]);
    expect(report.recent.find((entry) => entry.eventId === nulId)?.kind).toBe("event");
    // Usage still reaches Postgres.
    await withDatabase(async (fresh) => {
      const [usage] = await fresh.select().from(usageMonthly).where(eq(usageMonthly.projectId, project.id));
      expect(usage).toMatchObject({ month: currentMonth(), units: 15 });
    });

    // Visible on deep health, with the project.
    const health = await exports.default.fetch(`${WORKER}/health?deep=1&project=${project.id}`);
    const body = await health.json<{ meter: { deadLetters: { count: number; recent: Array<{ eventId: string }> } } }>();
    expect(body.meter.deadLetters.count).toBe(3);
    expect(body.meter.deadLetters.recent).toHaveLength(3);
  });

  it("a connection failure keeps every row, the bad one included, and dead-letters nothing", async () => {
    const { key, project } = await createIngestTenant(db);
    expect((await postIngest("/ingest/event", { name: "warm", app: "web" }, { key })).status).toBe(202);
    await flushMeter(project.id);
    await injectIntoBuffer(project.id, [rawEventRow({ name: "bad\u0000" })]);
    expect((await postIngest("/ingest/event", { name: "good", app: "web" }, { key })).status).toBe(202);

    await setPostgres("down");
    await flushMeter(project.id, 2);
    const during = await meter(project.id).stats();
    expect(during).toMatchObject({ bufferedRows: 2, deadLetterCount: 0 });
    expect(during.consecutiveFlushFailures).toBeGreaterThan(0);

    await setPostgres("up");
    await flushMeter(project.id);
    expect(await meter(project.id).stats()).toMatchObject({ bufferedRows: 0, deadLetterCount: 1 });
    await withDatabase(async (fresh) => {
      const rows = await fresh.select({ name: events.name }).from(events).where(eq(events.projectId, project.id));
      expect(rows.map((row) => row.name).sort()).toEqual(["good", "warm"]);
    });
  });
});

describe("dead letters on the project's usage", () => {
  it("GET /api/projects/:id/usage counts them and lists the newest, for a VIEWER", async () => {
    const world = await createWorld(db);
    const { key } = await createApiKey(db, world.project.id);
    const usage = async () => {
      const res = await call(`/api/projects/${world.project.id}/usage`, { cookie: world.members.VIEWER.cookie });
      expect(res.status).toBe(200);
      return res.json<{
        deadLetters: { count: number; recent: Array<{ eventId: string; kind: string; error: string }> };
      }>();
    };
    expect((await usage()).deadLetters).toEqual({ count: 0, recent: [] });

    expect((await postIngest("/ingest/event", { name: "fine", app: "web" }, { key })).status).toBe(202);
    const badId = crypto.randomUUID();
    await injectIntoBuffer(world.project.id, [rawEventRow({ event_id: badId, properties: { v: "\u0000" } })]);
    await flushMeter(world.project.id);
    const { deadLetters } = await usage();
    expect(deadLetters.count).toBe(1);
    expect(deadLetters.recent[0]).toMatchObject({ eventId: badId, kind: "event" });
    expect(deadLetters.recent[0].error).toMatch(/^22/);
    // Another organization's member sees nothing of it.
    const outsider = await call(`/api/projects/${world.project.id}/usage`, { cookie: world.members.OUTSIDER.cookie });
    expect(outsider.status).toBe(404);
  });
});

describe("flush logs (issue 10 §0)", () => {
  it("say counts, ids and the error, never the rows", async () => {
    const { key, project } = await createIngestTenant(db);
    const secret = `user-${crypto.randomUUID()}`;
    const warnings: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: unknown) => {
      warnings.push(String(line));
    });
    const event = { name: "private", app: "web", user_id: secret, properties: { email: `${secret}@x.test` } };
    expect((await postIngest("/ingest/event", event, { key })).status).toBe(202);
    const badId = crypto.randomUUID();
    await injectIntoBuffer(project.id, [rawEventRow({ event_id: badId, user_id: secret, name: "n\u0000" })]);

    await setPostgres("down");
    await flushMeter(project.id, 1);
    await setPostgres("up");
    await flushMeter(project.id);

    const failure = warnings.find((line) => line.includes("flush failed"));
    const deadLetter = warnings.find((line) => line.includes("dead letters"));
    expect(failure).toBeDefined();
    expect(JSON.parse(failure as string)).toMatchObject({ projectId: project.id, bufferedRows: 2, failures: 1 });
    expect(deadLetter).toBeDefined();
    expect(JSON.parse(deadLetter as string)).toMatchObject({ deadLetters: 1, eventIds: [badId] });
    for (const line of warnings) expect(line).not.toContain(secret);
    // The error kept for health is as clean as the log.
    expect((await meter(project.id).deadLetters()).recent[0].error).not.toContain(secret);
  });
});

describe("stale buffer", () => {
  it("deep health reports a meter whose oldest row waits too long as degraded", async () => {
    const { key, project } = await createIngestTenant(db);
    expect((await postIngest("/ingest/event", { name: "x", app: "web" }, { key })).status).toBe(202);
    const url = `${WORKER}/health?deep=1&project=${project.id}`;
    const fresh = await exports.default.fetch(url);
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toMatchObject({ status: "ok", meter: { status: "ok", bufferedRows: 1 } });

    await meterSql(project.id, "update buffer set admitted_at = ?", Date.now() - 10 * 60_000);
    const stale = await exports.default.fetch(url);
    expect(stale.status).toBe(503);
    expect(await stale.json()).toMatchObject({ status: "degraded", database: "ok", meter: { status: "stale" } });

    await flushMeter(project.id);
    expect((await exports.default.fetch(url)).status).toBe(200);
  });
});
