import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, createWorld, json, ORIGIN } from "../api/helpers.ts";
import { withDatabase } from "../helpers/db.ts";
import { failStripe, linkCustomer, orgRow, PRICES, stripeRequests } from "./helpers.ts";

type Err = { error: { code: string; details?: unknown } };
const world = (plan: "FREE" | "PRO" | "BUSINESS" = "FREE") => withDatabase((db) => createWorld(db, { plan }));

describe("POST /api/orgs/:orgId/billing/checkout", () => {
  it("creates the customer once, tagged with the org, and a subscription checkout for the plan's price", async () => {
    const w = await world();
    const res = await call(`/api/orgs/${w.org.id}/billing/checkout`, {
      cookie: w.members.OWNER.cookie,
      body: { plan: "PRO" },
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const { url } = await json<{ url: string }>(res);
    expect(url).toMatch(/^https:\/\/checkout\.stripe\.test\/c\/pay\/cs_test_/);

    const customers = await stripeRequests(
      (r) => r.path === "/v1/customers" && r.form["metadata[org_id]"] === w.org.id,
    );
    expect(customers).toHaveLength(1);
    expect(customers[0].method).toBe("POST");
    expect(customers[0].authorization).toBe(`Bearer ${env.STRIPE_SECRET_KEY}`);
    expect(customers[0].form.email).toBe(w.members.OWNER.email);
    expect(customers[0].idempotencyKey).toBe(`tt-customer-${w.org.id}`);
    const customerId = (await orgRow(w.org.id)).stripeCustomerId;
    expect(customerId).toMatch(/^cus_/);

    const sessions = await stripeRequests(
      (r) => r.path === "/v1/checkout/sessions" && r.form["metadata[org_id]"] === w.org.id,
    );
    expect(sessions).toHaveLength(1);
    expect(sessions[0].form).toMatchObject({
      mode: "subscription",
      customer: customerId,
      client_reference_id: w.org.id,
      "line_items[0][price]": PRICES.PRO,
      "line_items[0][quantity]": "1",
      "metadata[plan]": "PRO",
      "subscription_data[metadata][org_id]": w.org.id,
      "subscription_data[metadata][plan]": "PRO",
      success_url: `${ORIGIN}/?checkout=success`,
      cancel_url: `${ORIGIN}/?checkout=canceled`,
    });

    // A second checkout (BUSINESS this time) reuses the customer.
    const again = await call(`/api/orgs/${w.org.id}/billing/checkout`, {
      cookie: w.members.OWNER.cookie,
      body: { plan: "BUSINESS", returnUrl: `${ORIGIN}/projects/${w.project.id}/settings/billing` },
    });
    expect(again.status).toBe(200);
    expect(
      await stripeRequests((r) => r.path === "/v1/customers" && r.form["metadata[org_id]"] === w.org.id),
    ).toHaveLength(1);
    const second = await stripeRequests(
      (r) => r.path === "/v1/checkout/sessions" && r.form["metadata[org_id]"] === w.org.id,
    );
    expect(second).toHaveLength(2);
    expect(second[1].form).toMatchObject({
      customer: customerId,
      "line_items[0][price]": PRICES.BUSINESS,
      "subscription_data[metadata][plan]": "BUSINESS",
      success_url: `${ORIGIN}/projects/${w.project.id}/settings/billing?checkout=success`,
    });
  });

  it("two concurrent first checkouts make one customer", async () => {
    const w = await world();
    const results = await Promise.all(
      [0, 1, 2].map(() =>
        call(`/api/orgs/${w.org.id}/billing/checkout`, { cookie: w.members.OWNER.cookie, body: { plan: "PRO" } }),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    const stored = (await orgRow(w.org.id)).stripeCustomerId;
    const sessions = await stripeRequests(
      (r) => r.path === "/v1/checkout/sessions" && r.form["metadata[org_id]"] === w.org.id,
    );
    expect(new Set(sessions.map((s) => s.form.customer))).toEqual(new Set([stored]));
  });

  it("only the OWNER: EDITOR and VIEWER 403, no cookie 401, another org 404; nothing reaches Stripe", async () => {
    const w = await world();
    const path = `/api/orgs/${w.org.id}/billing/checkout`;
    const cases: Array<[string | undefined, number, string]> = [
      [w.members.EDITOR.cookie, 403, "forbidden"],
      [w.members.VIEWER.cookie, 403, "forbidden"],
      [undefined, 401, "unauthorized"],
      [w.members.OUTSIDER.cookie, 404, "not_found"],
    ];
    for (const [cookie, status, code] of cases) {
      const res = await call(path, { cookie, body: { plan: "PRO" } });
      expect(res.status).toBe(status);
      expect((await json<Err>(res)).error.code).toBe(code);
    }
    expect(
      await stripeRequests((r) => Object.values(r.form).includes(w.org.id)),
      "no Stripe call for a refused caller",
    ).toEqual([]);
  });

  it("refuses a plan that is not sold, a foreign return URL, and a second subscription", async () => {
    const w = await world();
    const cookie = w.members.OWNER.cookie;
    const path = `/api/orgs/${w.org.id}/billing/checkout`;
    expect((await call(path, { cookie, body: { plan: "FREE" } })).status).toBe(400);
    const foreign = await call(path, { cookie, body: { plan: "PRO", returnUrl: "https://evil.example/steal" } });
    expect(foreign.status).toBe(400);
    expect((await json<Err>(foreign)).error.code).toBe("validation_failed");

    await withDatabase(async (db) => {
      const { organizations } = await import("@telemetry-tracker/db");
      const { eq } = await import("drizzle-orm");
      await db
        .update(organizations)
        .set({
          plan: "PRO",
          stripeCustomerId: `cus_${crypto.randomUUID().slice(0, 8)}`,
          stripeSubscriptionId: "sub_live",
          subscriptionStatus: "active",
        })
        .where(eq(organizations.id, w.org.id));
    });
    const twice = await call(path, { cookie, body: { plan: "BUSINESS" } });
    expect(twice.status).toBe(409);
    expect((await json<Err>(twice)).error.code).toBe("already_subscribed");
  });

  it("a Stripe failure is a 502 billing_provider_error, not a 500", async () => {
    const w = await world();
    await failStripe(1, 400);
    const res = await call(`/api/orgs/${w.org.id}/billing/checkout`, {
      cookie: w.members.OWNER.cookie,
      body: { plan: "PRO" },
    });
    expect(res.status).toBe(502);
    expect((await json<Err>(res)).error.code).toBe("billing_provider_error");
    expect((await orgRow(w.org.id)).stripeCustomerId).toBeNull();
  });
});

describe("POST /api/orgs/:orgId/billing/portal", () => {
  it("400 no_billing_customer before any checkout; then a portal session for the org's customer", async () => {
    const w = await world();
    const path = `/api/orgs/${w.org.id}/billing/portal`;
    const none = await call(path, { cookie: w.members.OWNER.cookie, body: {} });
    expect(none.status).toBe(400);
    expect((await json<Err>(none)).error.code).toBe("no_billing_customer");

    const customer = `cus_${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
    await linkCustomer(w.org.id, customer);
    const res = await call(path, { cookie: w.members.OWNER.cookie, body: {} });
    expect(res.status).toBe(200);
    expect((await json<{ url: string }>(res)).url).toMatch(/^https:\/\/billing\.stripe\.test\/p\/session\/bps_/);
    const sent = await stripeRequests((r) => r.path === "/v1/billing_portal/sessions" && r.form.customer === customer);
    expect(sent).toHaveLength(1);
    expect(sent[0].form).toEqual({ customer, return_url: `${ORIGIN}/` });
  });

  it("only the OWNER", async () => {
    const w = await world();
    const customer = `cus_${crypto.randomUUID().replaceAll("-", "").slice(0, 14)}`;
    await linkCustomer(w.org.id, customer);
    const path = `/api/orgs/${w.org.id}/billing/portal`;
    const statuses = [];
    for (const cookie of [w.members.EDITOR.cookie, w.members.VIEWER.cookie, undefined, w.members.OUTSIDER.cookie]) {
      statuses.push((await call(path, { cookie, body: {} })).status);
    }
    expect(statuses).toEqual([403, 403, 401, 404]);
    expect(await stripeRequests((r) => r.form.customer === customer)).toEqual([]);
  });
});

describe("GET /api/orgs/:orgId/billing", () => {
  it("any member reads plan, effective plan, status, period end and usage per project", async () => {
    const w = await world("PRO");
    const periodEnd = new Date(Date.UTC(2030, 0, 1));
    await withDatabase(async (db) => {
      const { organizations, usageMonthly } = await import("@telemetry-tracker/db");
      const { eq } = await import("drizzle-orm");
      await db
        .update(organizations)
        .set({ subscriptionStatus: "past_due", subscriptionPeriodEnd: periodEnd })
        .where(eq(organizations.id, w.org.id));
      await db
        .insert(usageMonthly)
        .values({ projectId: w.project.id, month: new Date().toISOString().slice(0, 7), units: 1234 });
    });
    const res = await call(`/api/orgs/${w.org.id}/billing`, { cookie: w.members.VIEWER.cookie });
    expect(res.status).toBe(200);
    const body = await json<Record<string, unknown>>(res);
    expect(body).toMatchObject({
      plan: "PRO",
      purchasedPlan: "PRO",
      status: "past_due",
      periodEnd: periodEnd.toISOString(),
      warning: { code: "past_due" },
      hasCustomer: false,
      billing: { configured: true },
      projects: [{ id: w.project.id, units: 1234, quota: 5_000_000 }],
    });

    // A lapsed subscription: the purchased plan stays visible, the effective one is FREE.
    await withDatabase(async (db) => {
      const { organizations } = await import("@telemetry-tracker/db");
      const { eq } = await import("drizzle-orm");
      await db.update(organizations).set({ subscriptionStatus: "unpaid" }).where(eq(organizations.id, w.org.id));
    });
    const lapsed = await json<Record<string, unknown>>(
      await call(`/api/orgs/${w.org.id}/billing`, { cookie: w.members.OWNER.cookie }),
    );
    expect(lapsed).toMatchObject({ plan: "FREE", purchasedPlan: "PRO", warning: null, projects: [{ quota: 250_000 }] });

    expect((await call(`/api/orgs/${w.org.id}/billing`)).status).toBe(401);
    expect((await call(`/api/orgs/${w.org.id}/billing`, { cookie: w.members.OUTSIDER.cookie })).status).toBe(404);
  });
});
