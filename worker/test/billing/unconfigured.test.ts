import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { projects, usageMonthly } from "@telemetry-tracker/db";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { PLAN_LIMITS } from "../../src/plans.ts";
import { call, createWorld, json } from "../api/helpers.ts";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { nowSeconds, signPayload, stripeEvent } from "./helpers.ts";

/** A self-hosted install: no Stripe settings at all. */
const NO_STRIPE = {
  STRIPE_SECRET_KEY: undefined,
  STRIPE_WEBHOOK_SECRET: undefined,
  STRIPE_PRICE_PRO: undefined,
  STRIPE_PRICE_BUSINESS: undefined,
  STRIPE_API_BASE: undefined,
};

async function fetchWith(overrides: Partial<typeof env>, path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://tt.test${path}`, init),
    { ...env, ...overrides } as typeof env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

type Err = { error: { code: string; details?: { missing?: string[] } } };

describe("without Stripe configured", () => {
  it("the billing summary answers 200: plan in effect, its limits, usage per project, configured false", async () => {
    const w = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
    const month = new Date().toISOString().slice(0, 7);
    // A second project whose usage is only in Postgres (flushed), beside the first one counted live by its meter.
    const flushedOnly = await withDatabase(async (db) => {
      const [project] = await db
        .insert(projects)
        .values({ orgId: w.org.id, name: "Flushed", slug: `f-${crypto.randomUUID().slice(0, 8)}` })
        .returning();
      await db.insert(usageMonthly).values({ projectId: project.id, month, units: 1_000_000 });
      return project;
    });
    const { key } = await withDatabase((db) => createApiKey(db, w.project.id));
    for (let i = 0; i < 3; i++) {
      const ingest = await fetchWith(NO_STRIPE, "/ingest/event", {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        body: JSON.stringify({ name: "signup", app: "web" }),
      });
      expect(ingest.status).toBe(202);
    }

    const path = `/api/orgs/${w.org.id}/billing`;
    const res = await call(path, { cookie: w.members.VIEWER.cookie, env: NO_STRIPE });
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({
      billing: { configured: false },
      plan: "PRO",
      purchasedPlan: "PRO",
      status: null,
      periodEnd: null,
      warning: null,
      hasCustomer: false,
      hasSubscription: false,
      limits: { ...PLAN_LIMITS.PRO },
      month,
      projects: [
        {
          id: w.project.id,
          name: w.project.name,
          slug: w.project.slug,
          units: 3,
          quota: 5_000_000,
          fraction: 3 / 5_000_000,
        },
        {
          id: flushedOnly.id,
          name: "Flushed",
          slug: flushedOnly.slug,
          units: 1_000_000,
          quota: 5_000_000,
          fraction: 0.2,
        },
      ],
    });
    for (const role of ["EDITOR", "OWNER"] as const) {
      expect((await call(path, { cookie: w.members[role].cookie, env: NO_STRIPE })).status, role).toBe(200);
    }
    // Still only for members of this org.
    expect((await call(path, { env: NO_STRIPE })).status).toBe(401);
    const outsider = await call(path, { cookie: w.members.OUTSIDER.cookie, env: NO_STRIPE });
    expect(outsider.status).toBe(404);
    expect((await json<Err>(outsider)).error.code).toBe("not_found");
  });

  it("checkout, portal and webhooks answer 503 billing_not_configured; the rest of the product works", async () => {
    const w = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
    const cookie = w.members.OWNER.cookie;
    const o = `/api/orgs/${w.org.id}`;
    for (const [path, body] of [
      [`${o}/billing/checkout`, { plan: "PRO" }],
      [`${o}/billing/portal`, {}],
    ] as const) {
      const res = await call(path, { cookie, body, env: NO_STRIPE });
      expect(res.status, path).toBe(503);
      const error = (await json<Err>(res)).error;
      expect(error.code).toBe("billing_not_configured");
      expect(error.details?.missing).toEqual([
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "STRIPE_PRICE_PRO",
        "STRIPE_PRICE_BUSINESS",
      ]);
    }
    // The role check comes before the config check: a VIEWER learns nothing about the server's setup.
    expect(
      (await call(`${o}/billing/checkout`, { cookie: w.members.VIEWER.cookie, body: { plan: "PRO" }, env: NO_STRIPE }))
        .status,
    ).toBe(403);

    const payload = JSON.stringify(stripeEvent("customer.subscription.updated", {}));
    const hook = await fetchWith(NO_STRIPE, "/webhooks/stripe", {
      method: "POST",
      headers: { "stripe-signature": await signPayload(payload, { timestamp: nowSeconds() }) },
      body: payload,
    });
    expect(hook.status).toBe(503);
    expect((await json<Err>(hook)).error.code).toBe("billing_not_configured");

    // The org keeps its stored plan, and everything else answers as usual.
    const org = await call(o, { cookie, env: NO_STRIPE });
    expect(org.status).toBe(200);
    expect(await json(org)).toMatchObject({ plan: "PRO" });
    const { key } = await withDatabase((db) => createApiKey(db, w.project.id));
    const ingest = await fetchWith(NO_STRIPE, "/ingest/event", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ name: "signup", app: "web" }),
    });
    expect(ingest.status).toBe(202);
    expect(ingest.headers.get("x-quota-limit")).toBe("5000000");
    expect((await fetchWith(NO_STRIPE, "/health", {})).status).toBe(200);
  });

  it("a partial configuration counts as not configured, and checkout names what is missing", async () => {
    const w = await withDatabase((db) => createWorld(db));
    const partial = { STRIPE_PRICE_BUSINESS: "" };
    const summary = await call(`/api/orgs/${w.org.id}/billing`, { cookie: w.members.VIEWER.cookie, env: partial });
    expect(summary.status).toBe(200);
    expect(await json(summary)).toMatchObject({ billing: { configured: false }, plan: "FREE" });
    const res = await call(`/api/orgs/${w.org.id}/billing/checkout`, {
      cookie: w.members.OWNER.cookie,
      body: { plan: "PRO" },
      env: partial,
    });
    expect(res.status).toBe(503);
    expect((await json<Err>(res)).error.details?.missing).toEqual(["STRIPE_PRICE_BUSINESS"]);
  });
});
