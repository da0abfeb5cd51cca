import { env } from "cloudflare:workers";
import { alertDeliveryAttempts, alertDestinations } from "@telemetry-tracker/db";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { DELIVERY_POLICY, retryDelayMs } from "../../src/alerts/deliver.ts";
import { formatWebhookBody } from "../../src/alerts/formats.ts";
import { unsafeUrlReason } from "../../src/alerts/outbound.ts";
import { devOutbox } from "../../src/lib/mailer.ts";
import { suiteDatabase } from "../helpers/db.ts";
import { addMember, createUser } from "../helpers/fixtures.ts";
import { createIngestTenant, flushMeter, postIngest } from "../helpers/ingest.ts";
import { addWebhook, deliveriesOf, drain, RECEIVER, received, script, uniqueName } from "./helpers.ts";

const db = suiteDatabase();

/** A project with one destination and one fired alert (a new issue) waiting in the queue. */
async function queuedAlert(options: { format?: "generic" | "slack" | "discord" | "teams" } = {}) {
  const tenant = await createIngestTenant(db);
  const hook = await addWebhook(db, tenant.project.id, options);
  await postIngest(
    "/ingest/error",
    { app: "web", type: "Error", message: `m ${crypto.randomUUID()}` },
    { key: tenant.key },
  );
  await flushMeter(tenant.project.id);
  const [delivery] = await deliveriesOf(db, tenant.project.id);
  return { ...tenant, hook, delivery };
}

const attemptsOf = (deliveryId: string) =>
  db
    .select()
    .from(alertDeliveryAttempts)
    .where(eq(alertDeliveryAttempts.deliveryId, deliveryId))
    .orderBy(asc(alertDeliveryAttempts.id));

describe("retries", () => {
  it("a failing receiver is retried with backoff and gets the alert exactly once when it recovers", async () => {
    const { project, hook, delivery } = await queuedAlert();
    await script(hook.name, [500, 503]);
    const t0 = delivery.nextAttemptAt;
    const at = (ms: number) => new Date(t0.getTime() + ms);

    expect(await drain(db, project.id, at(0))).toMatchObject({ attempted: 1, failed: 1 });
    // random() = 0.5 puts the jitter at its midpoint: exactly 30 s, then 60 s.
    expect(await drain(db, project.id, at(29_000))).toMatchObject({ attempted: 0 });
    expect(await drain(db, project.id, at(30_000))).toMatchObject({ attempted: 1, failed: 1 });
    expect(await drain(db, project.id, at(89_000))).toMatchObject({ attempted: 0 });
    expect(await drain(db, project.id, at(90_000))).toMatchObject({ attempted: 1, delivered: 1 });
    expect(await drain(db, project.id, at(24 * 3600_000))).toMatchObject({ attempted: 0 });

    const requests = await received(hook.name);
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => JSON.parse(r.body).id)).size).toBe(1);
    expect((await attemptsOf(delivery.id)).map((a) => a.statusCode)).toEqual([500, 503, 200]);
    const [after] = await deliveriesOf(db, project.id);
    expect(after).toMatchObject({ status: "delivered", attempts: 3 });
    const [destination] = await db
      .select()
      .from(alertDestinations)
      .where(eq(alertDestinations.id, hook.destination.id));
    expect(destination.consecutiveFailures).toBe(0);
  });

  it("backoff is exponential, capped and jittered", () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(30_000);
    expect(retryDelayMs(2, () => 0.5)).toBe(60_000);
    expect(retryDelayMs(5, () => 0.5)).toBe(480_000);
    expect(retryDelayMs(30, () => 0.5)).toBe(DELIVERY_POLICY.maxRetryMs);
    expect(retryDelayMs(1, () => 0)).toBe(22_500);
    expect(retryDelayMs(1, () => 1)).toBe(37_500);
  });

  it("gives up after 24 hours: the delivery is dead, every attempt logged", async () => {
    const { project, hook, delivery } = await queuedAlert();
    await script(hook.name, Array(40).fill(500));
    let now = delivery.nextAttemptAt;
    for (let run = 0; run < 40; run++) {
      await drain(db, project.id, now);
      const [state] = await deliveriesOf(db, project.id);
      if (state.status !== "pending") break;
      now = state.nextAttemptAt;
    }
    const [dead] = await deliveriesOf(db, project.id);
    expect(dead.status).toBe("dead");
    const attempts = await attemptsOf(delivery.id);
    expect(attempts.length).toBe(dead.attempts);
    expect(attempts.length).toBeGreaterThan(10);
    const span = attempts.at(-1)!.attemptedAt.getTime() - delivery.createdAt.getTime();
    expect(span).toBeLessThanOrEqual(DELIVERY_POLICY.giveUpAfterMs);
    expect(span).toBeGreaterThan(DELIVERY_POLICY.giveUpAfterMs - DELIVERY_POLICY.maxRetryMs * 1.25);
  });

  it("a destination failing 20 times in a row is disabled and its owners are mailed", async () => {
    const { project, org, hook, delivery } = await queuedAlert();
    const owner = await createUser(db);
    await addMember(db, org.id, owner.id, "OWNER");
    await db
      .update(alertDestinations)
      .set({ consecutiveFailures: DELIVERY_POLICY.disableAfterFailures - 1 })
      .where(eq(alertDestinations.id, hook.destination.id));
    await script(hook.name, [500]);
    const before = devOutbox.length;
    await drain(db, project.id, delivery.nextAttemptAt);
    const [destination] = await db
      .select()
      .from(alertDestinations)
      .where(eq(alertDestinations.id, hook.destination.id));
    expect(destination).toMatchObject({ enabled: false, consecutiveFailures: 20 });
    expect(destination.disabledReason).toContain("20 deliveries failed");
    const mails = devOutbox.slice(before).filter((mail) => mail.to === owner.email);
    expect(mails).toHaveLength(1);
    expect(mails[0].subject).toContain(hook.name);
    // Its pending delivery is not sent any more: the next run ends it as dead.
    const [pending] = await deliveriesOf(db, project.id);
    await drain(db, project.id, pending.nextAttemptAt);
    expect((await deliveriesOf(db, project.id))[0]).toMatchObject({
      status: "dead",
      lastError: "destination disabled",
    });
    expect(await received(hook.name)).toHaveLength(1);
  });
});

describe("outbound requests", () => {
  it("time out (a receiver that never answers is a failed attempt)", async () => {
    const { project, hook, delivery } = await queuedAlert();
    await script(hook.name, ["timeout"]);
    expect(await drain(db, project.id, delivery.nextAttemptAt, { timeoutMs: 300 })).toMatchObject({ failed: 1 });
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt).toMatchObject({ statusCode: null, error: "timed out" });
    expect(attempt.durationMs).toBeLessThan(5_000);
  });

  it("follow no redirects", async () => {
    const { project, hook, delivery } = await queuedAlert();
    await script(hook.name, ["redirect"]);
    await drain(db, project.id, delivery.nextAttemptAt);
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt).toMatchObject({ statusCode: 302, error: "redirect not followed" });
    expect(await received(`${hook.name}-redirected`)).toEqual([]);
  });

  it("in production refuse loopback and private addresses, and plain http", async () => {
    const { project, hook, delivery } = await queuedAlert();
    const production = { ...env, APP_ENV: "production" as const };
    await drain(db, project.id, delivery.nextAttemptAt, { env: production });
    const [attempt] = await attemptsOf(delivery.id);
    expect(attempt.error).toMatch(/^refused: must be https/);
    expect(await received(hook.name)).toEqual([]);

    const refused = [
      "http://example.com/hook",
      "https://127.0.0.1/hook",
      "https://localhost/hook",
      "https://10.1.2.3/",
      "https://172.16.0.1/",
      "https://192.168.1.1/",
      "https://169.254.169.254/latest/meta-data",
      "https://100.64.0.1/",
      "https://0.0.0.0/",
      "https://2130706433/", // 127.0.0.1 as a number
      "https://0x7f.1/",
      "https://[::1]/",
      "https://[fe80::1]/",
      "https://[fd00::1]/",
      "https://[::ffff:127.0.0.1]/",
      "https://metadata.google.internal/",
      "https://printer.local/",
      "https://intranet/",
      "https://user:pass@example.com/",
      "ftp://example.com/",
    ];
    for (const url of refused) expect(unsafeUrlReason(url, true), url).not.toBeNull();
    expect(unsafeUrlReason("https://hooks.slack.com/services/T/B/x", true)).toBeNull();
    expect(unsafeUrlReason("https://[2606:4700::1111]/", true)).toBeNull();
    // Outside production, a local receiver is fine.
    expect(unsafeUrlReason("http://127.0.0.1:9999/hook", false)).toBeNull();
    expect(unsafeUrlReason("ftp://127.0.0.1/", false)).not.toBeNull();
  });
});

describe("formats and email", () => {
  it.each(["slack", "discord", "teams"] as const)("%s gets its provider's webhook shape", async (format) => {
    const { project, hook, delivery } = await queuedAlert({ format });
    await drain(db, project.id, delivery.nextAttemptAt);
    const [request] = await received(hook.name);
    const body = JSON.parse(request.body);
    if (format === "slack") {
      expect(body.text).toContain("New issue: Error");
      expect(body.blocks[0].type).toBe("section");
    } else if (format === "discord") {
      expect(body.content).toContain("New issue: Error");
      expect(body.embeds[0].title).toContain("New issue");
    } else {
      expect(body.type).toBe("message");
      expect(body.attachments[0].contentType).toBe("application/vnd.microsoft.card.adaptive");
      expect(body.attachments[0].content.type).toBe("AdaptiveCard");
    }
  });

  it("clips Discord's content to its 2,000 characters", () => {
    const body = formatWebhookBody("discord", {
      id: "x",
      kind: "new_issue",
      projectId: "p",
      projectName: "P",
      ruleId: null,
      title: "t".repeat(5000),
      text: "x",
      url: null,
      data: {},
      firedAt: new Date().toISOString(),
    }) as { content: string; embeds: Array<{ title: string }> };
    expect(body.content.length).toBe(2000);
    expect(body.embeds[0].title.length).toBe(256);
  });

  it("email alerts go through the mailer to the chosen members (fake mail API)", async () => {
    const tenant = await createIngestTenant(db);
    const [chosen, other] = [await createUser(db), await createUser(db)];
    await addMember(db, tenant.org.id, chosen.id, "VIEWER");
    await addMember(db, tenant.org.id, other.id, "VIEWER");
    await db.insert(alertDestinations).values({
      projectId: tenant.project.id,
      name: "On-call",
      kind: "email",
      userIds: [chosen.id],
    });
    await postIngest("/ingest/error", { app: "web", type: "RangeError", message: "too far" }, { key: tenant.key });
    await flushMeter(tenant.project.id);
    const inbox = uniqueName("mail");
    const production = {
      ...env,
      APP_ENV: "production" as const,
      MAIL_API_URL: `${RECEIVER}/mail/${inbox}`,
      MAIL_API_KEY: "mail-key",
      MAIL_FROM: "alerts@example.test",
    };
    expect(await drain(db, tenant.project.id, new Date(), { env: production })).toMatchObject({ delivered: 1 });
    const mails = await received(inbox);
    expect(mails).toHaveLength(1);
    expect(mails[0].headers.authorization).toBe("Bearer mail-key");
    const mail = JSON.parse(mails[0].body);
    expect(mail).toMatchObject({ from: "alerts@example.test", to: chosen.email });
    expect(mail.subject).toContain("New issue: RangeError: too far");
    expect(mail.text).toContain(`/projects/${tenant.project.id}/issues/`);

    // A mail API that refuses is a failed attempt, retried like a webhook.
    await script(inbox, [500]);
    await postIngest("/ingest/error", { app: "web", type: "RangeError", message: "another one" }, { key: tenant.key });
    await flushMeter(tenant.project.id);
    expect(await drain(db, tenant.project.id, new Date(), { env: production })).toMatchObject({ failed: 1 });
  });
});
