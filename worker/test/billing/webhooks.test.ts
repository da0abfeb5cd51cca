import { env } from "cloudflare:workers";
import { auditLog, processedWebhooks } from "@telemetry-tracker/db";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { suiteDatabase } from "../helpers/db.ts";
import { createIngestTenant, currentMonth, expectError, meter, postIngest, setMeterUsage } from "../helpers/ingest.ts";
import {
  deliver,
  failStripe,
  linkCustomer,
  newIds,
  nowSeconds,
  orgRow,
  PRICES,
  putStripeSubscription,
  signPayload,
  stripeEvent,
  subscription,
} from "./helpers.ts";

const db = suiteDatabase();

type Received = { received: true; outcome: string; reason?: string };
const event = () => ({ name: "page_view", app: "web" });

/** A FREE org whose Stripe customer is already linked (as the checkout route leaves it). */
async function billedTenant() {
  const tenant = await createIngestTenant(db);
  const ids = newIds();
  await linkCustomer(tenant.org.id, ids.customer);
  return { ...tenant, ids };
}

async function auditEntries(orgId: string) {
  return db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.orgId, orgId), eq(auditLog.action, "billing.subscription_change")));
}

describe("signature", () => {
  it("a valid signature is accepted; the event is applied", async () => {
    const t = await billedTenant();
    const sub = subscription({ id: t.ids.subscription, customer: t.ids.customer });
    const res = await deliver(stripeEvent("customer.subscription.created", sub));
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json<Received>()).toMatchObject({ received: true, outcome: "applied" });
    expect(await orgRow(t.org.id)).toMatchObject({ plan: "PRO", subscriptionStatus: "active" });
  });

  it("missing, invalid (wrong secret, tampered body) and stale signatures are 400 and change nothing", async () => {
    const t = await billedTenant();
    const evt = stripeEvent(
      "customer.subscription.created",
      subscription({ id: t.ids.subscription, customer: t.ids.customer }),
    );
    const missing = await expectError(await deliver(evt, { signature: null }), 400, "invalid_signature");
    expect(missing.error.details).toEqual({ reason: "missing" });
    const wrongSecret = await expectError(await deliver(evt, { secret: "whsec_not_it" }), 400, "invalid_signature");
    expect(wrongSecret.error.details).toEqual({ reason: "invalid" });
    const signedOther = await signPayload(JSON.stringify({ ...evt, id: "evt_other" }, null, 2));
    await expectError(await deliver(evt, { signature: signedOther }), 400, "invalid_signature");
    await expectError(await deliver(evt, { signature: "garbage" }), 400, "invalid_signature");
    const stale = await expectError(await deliver(evt, { timestamp: nowSeconds() - 301 }), 400, "invalid_signature");
    expect(stale.error.details).toEqual({ reason: "stale" });
    expect(await orgRow(t.org.id)).toMatchObject({ plan: "FREE", subscriptionStatus: null });
    expect(await db.select().from(processedWebhooks).where(eq(processedWebhooks.eventId, evt.id))).toEqual([]);
  });
});

describe("exactly once", () => {
  it("a duplicate delivery is acknowledged and changes nothing", async () => {
    const t = await billedTenant();
    const evt = stripeEvent(
      "customer.subscription.created",
      subscription({ id: t.ids.subscription, customer: t.ids.customer }),
    );
    expect(await (await deliver(evt)).json<Received>()).toMatchObject({ outcome: "applied" });
    const again = await deliver(evt);
    expect(again.status).toBe(200);
    expect(await again.json<Received>()).toMatchObject({ outcome: "duplicate" });
    expect(await auditEntries(t.org.id)).toHaveLength(1);
  });

  it("concurrent deliveries of one event: one applies, the others are duplicates", async () => {
    const t = await billedTenant();
    const evt = stripeEvent(
      "customer.subscription.created",
      subscription({ id: t.ids.subscription, customer: t.ids.customer, price: PRICES.BUSINESS }),
    );
    const answers = await Promise.all([0, 1, 2, 3].map(() => deliver(evt)));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200]);
    const outcomes = (await Promise.all(answers.map((a) => a.json<Received>()))).map((a) => a.outcome).sort();
    expect(outcomes).toEqual(["applied", "duplicate", "duplicate", "duplicate"]);
    expect(await auditEntries(t.org.id)).toHaveLength(1);
    expect(await db.select().from(processedWebhooks).where(eq(processedWebhooks.eventId, evt.id))).toHaveLength(1);
    expect((await orgRow(t.org.id)).plan).toBe("BUSINESS");
  });

  it("an event that fails midway is not marked processed, so Stripe's retry applies it", async () => {
    const t = await billedTenant();
    const sub = subscription({ id: t.ids.subscription, customer: t.ids.customer });
    await putStripeSubscription(sub);
    const session = {
      id: "cs_test_x",
      object: "checkout.session",
      mode: "subscription",
      customer: t.ids.customer,
      subscription: t.ids.subscription,
      client_reference_id: t.org.id,
      metadata: { org_id: t.org.id, plan: "PRO" },
    };
    const evt = stripeEvent("checkout.session.completed", session);
    await failStripe(1, 400);
    const failed = await deliver(evt);
    expect(failed.status).toBe(502);
    expect((await orgRow(t.org.id)).plan).toBe("FREE");
    const retried = await deliver(evt);
    expect(await retried.json<Received>()).toMatchObject({ outcome: "applied" });
    expect(await orgRow(t.org.id)).toMatchObject({
      plan: "PRO",
      subscriptionStatus: "active",
      stripeSubscriptionId: t.ids.subscription,
    });
  });
});

describe("ordering", () => {
  it("an older update delivered after a newer one is ignored", async () => {
    const t = await billedTenant();
    const base = nowSeconds() - 600;
    const sub = (price: string, status = "active") =>
      subscription({ id: t.ids.subscription, customer: t.ids.customer, price, status, created: base - 3600 });
    const newer = stripeEvent("customer.subscription.updated", sub(PRICES.BUSINESS), base + 20);
    const older = stripeEvent("customer.subscription.updated", sub(PRICES.PRO, "past_due"), base + 10);
    expect(await (await deliver(newer)).json<Received>()).toMatchObject({ outcome: "applied" });
    expect(await (await deliver(older)).json<Received>()).toMatchObject({ outcome: "ignored", reason: "stale" });
    expect(await orgRow(t.org.id)).toMatchObject({ plan: "BUSINESS", subscriptionStatus: "active" });
    expect((await orgRow(t.org.id)).subscriptionStateAt?.getTime()).toBe((base + 20) * 1000);
  });

  it("two states in the same second are settled by asking Stripe for the subscription", async () => {
    const t = await billedTenant();
    const at = nowSeconds() - 60;
    const sub = (price: string) => subscription({ id: t.ids.subscription, customer: t.ids.customer, price });
    await deliver(stripeEvent("customer.subscription.updated", sub(PRICES.BUSINESS), at));
    await putStripeSubscription(sub(PRICES.BUSINESS));
    const tie = await deliver(stripeEvent("customer.subscription.updated", sub(PRICES.PRO), at));
    expect(await tie.json<Received>()).toMatchObject({ outcome: "applied" });
    expect((await orgRow(t.org.id)).plan).toBe("BUSINESS");
  });

  it("the end of an old subscription does not cancel the current one", async () => {
    const t = await billedTenant();
    const at = nowSeconds() - 100;
    const old = subscription({ id: `${t.ids.subscription}_old`, customer: t.ids.customer, created: at - 86_400 });
    const current = subscription({
      id: t.ids.subscription,
      customer: t.ids.customer,
      price: PRICES.BUSINESS,
      created: at - 10,
    });
    await deliver(stripeEvent("customer.subscription.created", current, at));
    const res = await deliver(stripeEvent("customer.subscription.deleted", { ...old, status: "canceled" }, at + 5));
    expect(await res.json<Received>()).toMatchObject({ outcome: "ignored", reason: "other_subscription_lapsed" });
    expect(await orgRow(t.org.id)).toMatchObject({
      plan: "BUSINESS",
      subscriptionStatus: "active",
      stripeSubscriptionId: t.ids.subscription,
    });
  });

  it("an event for a customer no org has is acknowledged (Stripe stops retrying) and ignored", async () => {
    const ids = newIds();
    const res = await deliver(
      stripeEvent("customer.subscription.updated", subscription({ id: ids.subscription, customer: ids.customer })),
    );
    expect(res.status).toBe(200);
    expect(await res.json<Received>()).toMatchObject({ outcome: "ignored", reason: "unknown_customer" });
  });

  it("event types billing does not handle are acknowledged and ignored", async () => {
    const res = await deliver(stripeEvent("invoice.paid", { id: "in_1", object: "invoice" }));
    expect(await res.json<Received>()).toMatchObject({ outcome: "ignored", reason: "event_type_not_handled" });
  });
});

describe("plans reach the edge at once", () => {
  it("upgrade: an ingest refused at the FREE quota is accepted right after the webhook", async () => {
    const t = await billedTenant();
    expect((await postIngest("/ingest/event", event(), { key: t.key })).status).toBe(202);
    const cachedPlan = async () =>
      (await env.KEYS.get<{ plan: string }>(`keyByPublicId:${t.keyRow.publicId}`, "json"))?.plan;
    expect(await cachedPlan()).toBe("FREE");
    await setMeterUsage(t.project.id, currentMonth(), 250_000);
    await expectError(await postIngest("/ingest/event", event(), { key: t.key }), 429, "quota_exceeded");

    const res = await deliver(
      stripeEvent("customer.subscription.created", subscription({ id: t.ids.subscription, customer: t.ids.customer })),
    );
    expect(await res.json<Received>()).toMatchObject({ outcome: "applied" });

    const after = await postIngest("/ingest/event", event(), { key: t.key });
    expect(after.status).toBe(202);
    expect(after.headers.get("x-quota-limit")).toBe("5000000");
    expect((await meter(t.project.id).stats()).plan).toBe("PRO");
    // Cached key records carry the plan: they were dropped, so that ingest reloaded the key.
    expect(await cachedPlan()).toBe("PRO");
  });

  it("checkout.session.completed alone activates the plan (subscription loaded from Stripe)", async () => {
    const t = await billedTenant();
    await setMeterUsage(t.project.id, currentMonth(), 250_000);
    await expectError(await postIngest("/ingest/event", event(), { key: t.key }), 429, "quota_exceeded");
    const periodEnd = nowSeconds() + 20 * 86_400;
    await putStripeSubscription(
      subscription({ id: t.ids.subscription, customer: t.ids.customer, price: PRICES.BUSINESS, periodEnd }),
    );
    const res = await deliver(
      stripeEvent("checkout.session.completed", {
        id: "cs_test_y",
        object: "checkout.session",
        mode: "subscription",
        customer: t.ids.customer,
        subscription: t.ids.subscription,
        metadata: { org_id: t.org.id, plan: "BUSINESS" },
      }),
    );
    expect(await res.json<Received>()).toMatchObject({ outcome: "applied" });
    expect(await orgRow(t.org.id)).toMatchObject({
      plan: "BUSINESS",
      subscriptionPeriodEnd: new Date(periodEnd * 1000),
    });
    expect((await postIngest("/ingest/event", event(), { key: t.key })).status).toBe(202);
  });

  it("downgrade (BUSINESS → PRO in the portal) lowers the quota at the next ingest", async () => {
    const t = await billedTenant();
    const at = nowSeconds() - 120;
    const sub = (price: string) => subscription({ id: t.ids.subscription, customer: t.ids.customer, price });
    await deliver(stripeEvent("customer.subscription.created", sub(PRICES.BUSINESS), at));
    await setMeterUsage(t.project.id, currentMonth(), 5_000_000);
    expect((await postIngest("/ingest/event", event(), { key: t.key })).status).toBe(202);

    await deliver(stripeEvent("customer.subscription.updated", sub(PRICES.PRO), at + 30));
    const over = await expectError(await postIngest("/ingest/event", event(), { key: t.key }), 429, "quota_exceeded");
    expect(over.error.message).toContain("5000000");
    expect((await orgRow(t.org.id)).plan).toBe("PRO");
  });

  it("canceled → FREE: the FREE quota applies at the next ingest", async () => {
    const t = await billedTenant();
    const at = nowSeconds() - 120;
    const sub = subscription({ id: t.ids.subscription, customer: t.ids.customer });
    await deliver(stripeEvent("customer.subscription.created", sub, at));
    await setMeterUsage(t.project.id, currentMonth(), 300_000);
    expect((await postIngest("/ingest/event", event(), { key: t.key })).status).toBe(202);

    const res = await deliver(stripeEvent("customer.subscription.deleted", { ...sub, status: "canceled" }, at + 60));
    expect(await res.json<Received>()).toMatchObject({ outcome: "applied" });
    await expectError(await postIngest("/ingest/event", event(), { key: t.key }), 429, "quota_exceeded");
    expect(await orgRow(t.org.id)).toMatchObject({ plan: "PRO", subscriptionStatus: "canceled" });
    expect((await meter(t.project.id).stats()).plan).toBe("FREE");
  });

  it("past_due keeps the paid tier", async () => {
    const t = await billedTenant();
    const at = nowSeconds() - 120;
    const sub = (status: string) => subscription({ id: t.ids.subscription, customer: t.ids.customer, status });
    await deliver(stripeEvent("customer.subscription.created", sub("active"), at));
    await deliver(stripeEvent("customer.subscription.updated", sub("past_due"), at + 1));
    await setMeterUsage(t.project.id, currentMonth(), 300_000);
    expect((await postIngest("/ingest/event", event(), { key: t.key })).status).toBe(202);
    expect((await meter(t.project.id).stats()).plan).toBe("PRO");
  });
});
