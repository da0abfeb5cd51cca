import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
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
  it("billing routes answer 503 billing_not_configured; the rest of the product works", async () => {
    const w = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
    const cookie = w.members.OWNER.cookie;
    const o = `/api/orgs/${w.org.id}`;
    for (const [path, body] of [
      [`${o}/billing`, undefined],
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
    // Still only for members: the config check comes after the auth check.
    expect((await call(`${o}/billing`, { env: NO_STRIPE })).status).toBe(401);

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

  it("a partial configuration names what is missing", async () => {
    const w = await withDatabase((db) => createWorld(db));
    const res = await call(`/api/orgs/${w.org.id}/billing`, {
      cookie: w.members.VIEWER.cookie,
      env: { STRIPE_PRICE_BUSINESS: "" },
    });
    expect(res.status).toBe(503);
    expect((await json<Err>(res)).error.details?.missing).toEqual(["STRIPE_PRICE_BUSINESS"]);
  });
});
