import { env, exports } from "cloudflare:workers";
import { alertRules, errorGroups, jobHeartbeats } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { evaluateWindowRules, runAlertJobs } from "../../src/alerts/evaluate.ts";
import { JOBS } from "../../src/alerts/heartbeat.ts";
import { SIGNATURE_HEADER, verifySignature } from "../../src/alerts/signing.ts";
import { writeBatch } from "../../src/meter/flush.ts";
import { nextMonthStart, utcMonth } from "../../src/meter/project-meter.ts";
import { PLAN_LIMITS } from "../../src/plans.ts";
import { suiteDatabase } from "../helpers/db.ts";
import {
  createIngestTenant,
  currentMonth,
  expectError,
  flushMeter,
  meterSql,
  postIngest,
  setMeterClock,
  setMeterUsage,
} from "../helpers/ingest.ts";
import { addWebhook, alertsOf, bufferedRows, deliveriesOf, drain, logger, minutesLater, received } from "./helpers.ts";

const db = suiteDatabase();

const anError = (message = `boom ${crypto.randomUUID()}`) => ({ app: "web", type: "TypeError", message });
/** The same error as a batch item (in a batch `type` tags the item; the exception type is `error_type`). */
const batchError = (message: string, timestamp: string) => ({
  type: "error",
  app: "web",
  error_type: "TypeError",
  message,
  timestamp,
});

describe("new issue", () => {
  it("an error through /ingest/error produces exactly one signed delivery whose signature verifies", async () => {
    const { key, project } = await createIngestTenant(db);
    const hook = await addWebhook(db, project.id);
    expect((await postIngest("/ingest/error", anError("cannot read x of undefined"), { key })).status).toBe(202);
    await flushMeter(project.id);

    const alerts = await alertsOf(db, project.id);
    expect(alerts.map((a) => a.kind)).toEqual(["new_issue"]);
    const now = new Date();
    expect(await drain(db, project.id, now)).toMatchObject({ attempted: 1, delivered: 1 });
    // A second run (or an overlapping one) finds nothing due.
    expect(await drain(db, project.id, minutesLater(now, 60))).toMatchObject({ attempted: 0 });

    const requests = await received(hook.name);
    expect(requests).toHaveLength(1);
    const [request] = requests;
    const header = request.headers[SIGNATURE_HEADER.toLowerCase()];
    expect(header).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(
      await verifySignature(hook.secret, request.body, header, { nowSeconds: Math.floor(now.getTime() / 1000) }),
    ).toBe(true);
    // A tampered body or another secret does not verify.
    expect(
      await verifySignature(hook.secret, `${request.body} `, header, { nowSeconds: Math.floor(now.getTime() / 1000) }),
    ).toBe(false);
    expect(
      await verifySignature("whsec_other", request.body, header, { nowSeconds: Math.floor(now.getTime() / 1000) }),
    ).toBe(false);
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({
      type: "alert",
      kind: "new_issue",
      project: { id: project.id },
      title: "New issue: TypeError: cannot read x of undefined",
    });
    expect(body.url).toBe(`http://localhost:3000/projects/${project.id}/issues/${body.data.issueId}`);
    const [delivery] = await deliveriesOf(db, project.id);
    expect(delivery).toMatchObject({ status: "delivered", attempts: 1, lastStatusCode: 200 });
  });

  it("a flush retried after its transaction committed fires nothing twice", async () => {
    const { key, project } = await createIngestTenant(db);
    await addWebhook(db, project.id);
    await postIngest("/ingest/error", anError(), { key });
    const rows = await bufferedRows(project.id);
    expect(rows).toHaveLength(1);
    // As if the meter died between Postgres' commit and deleting its buffer: the same batch again.
    const first = await writeBatch(db, project.id, rows, {}, logger);
    const second = await writeBatch(db, project.id, rows, {}, logger);
    await flushMeter(project.id);
    expect(first.alerts).toBe(1);
    expect(second.alerts).toBe(0);
    expect((await alertsOf(db, project.id)).map((a) => a.kind)).toEqual(["new_issue"]);
    expect(await deliveriesOf(db, project.id)).toHaveLength(1);
  });

  it("a disabled built-in rule fires nothing; other projects' rules do not apply", async () => {
    const { key, project } = await createIngestTenant(db);
    await db.insert(alertRules).values({ projectId: project.id, kind: "new_issue", name: "New issue", enabled: false });
    await postIngest("/ingest/error", anError(), { key });
    await flushMeter(project.id);
    expect(await alertsOf(db, project.id)).toEqual([]);
  });
});

describe("regression", () => {
  it("a resolved issue seen again fires once per reopening", async () => {
    const { key, project } = await createIngestTenant(db);
    const error = anError("regressing");
    await postIngest("/ingest/error", error, { key });
    await flushMeter(project.id);
    const resolve = (at: string) =>
      db
        .update(errorGroups)
        .set({ status: "resolved", resolvedAt: new Date(at) })
        .where(eq(errorGroups.projectId, project.id));

    await resolve("2026-01-01T00:00:00Z");
    await postIngest("/ingest/error", error, { key });
    await postIngest("/ingest/error", error, { key });
    await flushMeter(project.id);
    let kinds = (await alertsOf(db, project.id)).map((a) => a.kind).sort();
    expect(kinds).toEqual(["new_issue", "regression"]);

    // Resolved again later and seen again: a new episode, a new alert.
    await resolve("2026-02-01T00:00:00Z");
    await postIngest("/ingest/error", error, { key });
    await flushMeter(project.id);
    kinds = (await alertsOf(db, project.id)).map((a) => a.kind).sort();
    expect(kinds).toEqual(["new_issue", "regression", "regression"]);
    const [group] = await db.select().from(errorGroups).where(eq(errorGroups.projectId, project.id));
    expect(group).toMatchObject({ status: "unresolved", regressed: true });
  });
});

describe("error spike (cron, injected time)", () => {
  it("fires once within its cooldown, again after it, and two overlapping runs fire once", async () => {
    const { key, project } = await createIngestTenant(db, { plan: "PRO" });
    // A quiet baseline an hour ago (2 errors), then 12 in the last few minutes.
    const now = new Date(Date.now() - 60_000);
    const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000).toISOString();
    const batch = [
      ...[40, 30].map((m) => batchError("steady", at(m))),
      ...Array.from({ length: 12 }, (_, i) => batchError("spiking", at(i % 3))),
    ];
    expect((await postIngest("/ingest/batch", { events: batch }, { key })).status).toBe(202);
    await flushMeter(project.id);

    const spikes = async () => (await alertsOf(db, project.id)).filter((a) => a.kind === "error_spike");
    await Promise.all([evaluateWindowRules(db, now), evaluateWindowRules(db, now)]);
    expect(await spikes()).toHaveLength(1);
    // Still spiking a minute later: inside the 15-minute cooldown, nothing new.
    await evaluateWindowRules(db, minutesLater(now, 1));
    expect(await spikes()).toHaveLength(1);
    // More errors after the cooldown: a second alert.
    const later = minutesLater(now, 20);
    const burst = Array.from({ length: 12 }, () => batchError("again", later.toISOString()));
    const sent = await postIngest("/ingest/batch", { events: burst }, { key });
    expect(sent.status, await sent.clone().text()).toBe(202);
    await flushMeter(project.id);
    await evaluateWindowRules(db, later);
    expect(await spikes()).toHaveLength(2);
  });

  it("stays quiet under the floor and when the rate matches the baseline", async () => {
    const { key, project } = await createIngestTenant(db, { plan: "PRO" });
    const now = new Date(Date.now() - 60_000);
    // 3 errors every 5 minutes for an hour: a steady rate, and each window is under the floor of 10.
    const batch = Array.from({ length: 39 }, (_, i) =>
      batchError("steady", new Date(now.getTime() - Math.floor(i / 3) * 5 * 60_000).toISOString()),
    );
    expect((await postIngest("/ingest/batch", { events: batch }, { key })).status).toBe(202);
    await flushMeter(project.id);
    await evaluateWindowRules(db, now);
    expect((await alertsOf(db, project.id)).filter((a) => a.kind === "error_spike")).toEqual([]);
  });
});

describe("custom rules", () => {
  it("without a count: fires at the flush for a matching row, then keeps its cooldown", async () => {
    const { key, project } = await createIngestTenant(db);
    await db.insert(alertRules).values({
      projectId: project.id,
      kind: "custom",
      name: "Checkout failures",
      params: { target: "errors", conditions: { messageContains: "CHECKOUT", environment: "production" } },
      cooldownSeconds: 900,
    });
    const send = (message: string, environment: string) =>
      postIngest("/ingest/error", { ...anError(message), environment }, { key });
    await send("checkout failed", "staging");
    await flushMeter(project.id);
    expect((await alertsOf(db, project.id)).filter((a) => a.kind === "custom")).toHaveLength(0);
    await send("Checkout failed", "production");
    await flushMeter(project.id);
    await send("checkout failed again", "production");
    await flushMeter(project.id);
    const custom = (await alertsOf(db, project.id)).filter((a) => a.kind === "custom");
    expect(custom).toHaveLength(1);
    expect(custom[0].title).toContain("Checkout failures");
  });

  it("with a count over a window: the cron fires when the matching rows reach the threshold", async () => {
    const { key, project } = await createIngestTenant(db);
    const [rule] = await db
      .insert(alertRules)
      .values({
        projectId: project.id,
        kind: "custom",
        name: "Many signups failing",
        params: {
          target: "events",
          conditions: { eventName: "signup_failed" },
          count: { threshold: 5, windowMinutes: 10 },
        },
        cooldownSeconds: 900,
      })
      .returning();
    const now = new Date(Date.now() - 60_000);
    const events = (n: number, name: string) =>
      Array.from({ length: n }, () => ({ name, app: "web", timestamp: now.toISOString() }));
    await postIngest("/ingest/batch", { events: [...events(4, "signup_failed"), ...events(10, "signup")] }, { key });
    await flushMeter(project.id);
    await evaluateWindowRules(db, now);
    expect((await alertsOf(db, project.id)).filter((a) => a.ruleId === rule.id)).toHaveLength(0);
    await postIngest("/ingest/batch", { events: events(1, "signup_failed") }, { key });
    await flushMeter(project.id);
    await evaluateWindowRules(db, now);
    await evaluateWindowRules(db, minutesLater(now, 1));
    expect((await alertsOf(db, project.id)).filter((a) => a.ruleId === rule.id)).toHaveLength(1);
  });
});

describe("quota", () => {
  it("near (90%) and exceeded each fire once per month", async () => {
    const { key, project } = await createIngestTenant(db); // FREE: 250,000 units
    const month = currentMonth();
    const one = () => postIngest("/ingest/event", { name: "e", app: "web" }, { key });
    await setMeterUsage(project.id, month, 224_998);
    await one();
    await flushMeter(project.id);
    expect((await alertsOf(db, project.id)).map((a) => a.kind)).toEqual([]);
    await one(); // 225,000 = 90%
    await flushMeter(project.id);
    await one();
    await flushMeter(project.id);
    expect((await alertsOf(db, project.id)).map((a) => a.kind)).toEqual(["quota_near"]);

    await setMeterUsage(project.id, month, 249_999);
    await one(); // 250,000: the quota is used up
    await flushMeter(project.id);
    expect((await one()).status).toBe(429);
    await flushMeter(project.id);
    const alerts = await alertsOf(db, project.id);
    expect(alerts.map((a) => a.kind).sort()).toEqual(["quota_exceeded", "quota_near"]);
    expect(alerts.map((a) => a.dedupeKey).sort()).toEqual([`quota_exceeded:${month}`, `quota_near:${month}`]);
  });

  it("exceeded fires once per month when ingest refuses at the quota, though usage stays just under it", async () => {
    const { key, project } = await createIngestTenant(db);
    const limit = PLAN_LIMITS.FREE.monthlyUnits;
    const month = currentMonth();
    const fiveEvents = { events: Array.from({ length: 5 }, () => ({ name: "e", app: "web" })) };
    const refused = async () =>
      expectError(await postIngest("/ingest/batch", fiveEvents, { key }), 429, "quota_exceeded");
    const exceeded = async () =>
      (await alertsOf(db, project.id)).filter((a) => a.kind === "quota_exceeded").map((a) => a.dedupeKey);

    await setMeterUsage(project.id, month, limit - 1);
    await refused(); // limit − 1 + 5 > limit: refused whole, usage stays at limit − 1
    await flushMeter(project.id);
    expect(await exceeded()).toEqual([`quota_exceeded:${month}`]);
    const [alert] = (await alertsOf(db, project.id)).filter((a) => a.kind === "quota_exceeded");
    expect(alert.data).toMatchObject({ month, used: limit - 1, limit });

    await refused();
    await refused();
    await flushMeter(project.id);
    expect(await exceeded()).toHaveLength(1);

    // A flush retried: Postgres committed, but the meter never marked the refusal carried.
    await meterSql(project.id, "update quota_refusals set dirty = 1");
    await flushMeter(project.id);
    expect(await exceeded()).toHaveLength(1);

    // The next UTC month starts from zero and can be exceeded again.
    const nextMonth = nextMonthStart(Date.now()) + 60_000;
    await setMeterClock(project.id, () => nextMonth);
    await setMeterUsage(project.id, utcMonth(nextMonth), limit - 1);
    await refused();
    await flushMeter(project.id);
    expect((await exceeded()).sort()).toEqual([`quota_exceeded:${month}`, `quota_exceeded:${utcMonth(nextMonth)}`]);
  });
});

describe("the every-minute job", () => {
  it("leaves heartbeats, and /health?deep=1 reports the evaluator", async () => {
    await db.delete(jobHeartbeats).where(eq(jobHeartbeats.job, JOBS.alertEvaluator));
    const deep = async () =>
      (await (await exports.default.fetch("http://tt.test/health?deep=1")).json()) as {
        alerts: { evaluator: string; lastEvaluatedAt: string | null };
      };
    expect((await deep()).alerts.evaluator).toBe("never");
    await runAlertJobs(db, env, logger, new Date(Date.now() - 10 * 60_000));
    expect((await deep()).alerts.evaluator).toBe("stale");
    await runAlertJobs(db, env, logger, new Date());
    expect((await deep()).alerts).toMatchObject({ evaluator: "ok" });
    const beats = await db.select().from(jobHeartbeats);
    expect(beats.map((b) => b.job)).toEqual(expect.arrayContaining([JOBS.alertEvaluator, JOBS.alertDelivery]));
    expect(beats.find((b) => b.job === JOBS.alertEvaluator)?.lastError).toBeNull();
  });
});
