import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { allowedOrigins } from "../auth/csrf.ts";
import { requireOrgRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import { billingOverview, ensureCustomer, hasLiveSubscription } from "../billing/account.ts";
import { readBillingConfig, requireBillingConfig } from "../billing/config.ts";
import { callStripe, createStripeClient } from "../billing/stripe.ts";
import type { App, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, OrgParams } from "../lib/api.ts";
import { recordAudit } from "../services/audit.ts";

const Plan = z.enum(["FREE", "PRO", "BUSINESS"]);
const tags = ["Billing"];

const Url = z.object({ url: z.url() }).openapi("RedirectUrl");
const ReturnUrl = z
  .url()
  .max(2000)
  .optional()
  .openapi({ description: "Where Stripe sends the user back; must be on an allowed dashboard origin" });

const BillingSchema = z
  .object({
    billing: z
      .object({ configured: z.boolean() })
      .openapi({ description: "Whether Stripe is set up on this server; without it checkout and portal answer 503" }),
    plan: Plan.openapi({ description: "The plan whose limits apply now (a lapsed subscription counts as FREE)" }),
    purchasedPlan: Plan,
    status: z.string().nullable().openapi({ description: "Stripe subscription status; null without one" }),
    periodEnd: z.string().nullable(),
    warning: z
      .object({ code: z.literal("past_due"), message: z.string() })
      .nullable()
      .openapi({ description: "past_due keeps the paid tier while Stripe retries the payment" }),
    hasCustomer: z.boolean().openapi({ description: "Whether the billing portal can be opened" }),
    hasSubscription: z.boolean().openapi({ description: "A live subscription: change it in the portal" }),
    limits: z.record(z.string(), z.number()),
    month: z.string().openapi({ example: "2026-11" }),
    projects: z.array(
      z.object({
        id: z.uuid(),
        name: z.string(),
        slug: z.string(),
        units: z.number().int(),
        quota: z.number().int(),
        fraction: z.number(),
      }),
    ),
  })
  .openapi("Billing");

const getRoute = createRoute({
  method: "get",
  path: "/api/orgs/{orgId}/billing",
  tags,
  security: cookieAuth,
  summary: "Plan, subscription state and this month's usage per project (VIEWER+)",
  description:
    "Answers with or without Stripe: a self-hosted install without it still sees the plan in effect, its limits and usage against quota, with billing.configured false.",
  request: { params: OrgParams },
  responses: { 200: jsonContent(BillingSchema), ...commonErrors },
});
const checkoutRoute = createRoute({
  method: "post",
  path: "/api/orgs/{orgId}/billing/checkout",
  tags,
  security: cookieAuth,
  summary: "Start a Stripe Checkout for a paid plan (OWNER); answers the URL to send the browser to",
  description:
    "Creates the org's Stripe customer on first use. 409 already_subscribed when a subscription is live: plan changes go through the portal.",
  request: { params: OrgParams, body: jsonBody(z.object({ plan: z.enum(["PRO", "BUSINESS"]), returnUrl: ReturnUrl })) },
  responses: { 200: jsonContent(Url), 502: commonErrors[503], ...commonErrors },
});
const portalRoute = createRoute({
  method: "post",
  path: "/api/orgs/{orgId}/billing/portal",
  tags,
  security: cookieAuth,
  summary: "Open the Stripe customer portal (OWNER); 400 no_billing_customer before the first checkout",
  request: { params: OrgParams, body: jsonBody(z.object({ returnUrl: ReturnUrl })) },
  responses: { 200: jsonContent(Url), 502: commonErrors[503], ...commonErrors },
});

/** Stripe sends the browser back to the dashboard that asked, never to an arbitrary site. */
function returnUrl(c: Context<AppEnv>, requested: string | undefined): URL {
  const origins = allowedOrigins(c.env.DASHBOARD_ORIGINS);
  if (requested) {
    const url = new URL(requested);
    if (!origins.includes(url.origin)) {
      throw new ApiError("validation_failed", "returnUrl must be on an allowed dashboard origin", {
        details: [{ path: "returnUrl", message: "origin not allowed" }],
      });
    }
    return url;
  }
  const origin = c.req.header("origin");
  return new URL("/", origin && origins.includes(origin) ? origin : (origins[0] ?? new URL(c.req.url).origin));
}

function withParam(url: URL, name: string, value: string): string {
  const copy = new URL(url);
  copy.searchParams.set(name, value);
  return copy.toString();
}

export function registerBilling(app: App): void {
  app.openapi(getRoute, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    const overview = await billingOverview(c.env, c.var.services.db(), c.var.services.logger, org);
    return c.json({ ...overview, billing: { configured: "config" in readBillingConfig(c.env) } }, 200);
  });

  app.openapi(checkoutRoute, async (c) => {
    const { org, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    const config = requireBillingConfig(c.env);
    const body = c.req.valid("json");
    if (hasLiveSubscription(org)) {
      throw new ApiError(
        "already_subscribed",
        "This organization already has a subscription; change it in the billing portal",
      );
    }
    const back = returnUrl(c, body.returnUrl);
    const db = c.var.services.db();
    const stripe = createStripeClient(config);
    const customer = await ensureCustomer(db, stripe, org, auth.user.email);
    const tagsForStripe = { org_id: org.id, plan: body.plan };
    const session = await callStripe("start the checkout", () =>
      stripe.checkout.sessions.create({
        mode: "subscription",
        customer,
        client_reference_id: org.id,
        line_items: [{ price: config.prices[body.plan], quantity: 1 }],
        metadata: tagsForStripe,
        subscription_data: { metadata: tagsForStripe },
        success_url: withParam(back, "checkout", "success"),
        cancel_url: withParam(back, "checkout", "canceled"),
      }),
    );
    if (!session.url) throw new ApiError("billing_provider_error", "Stripe answered a checkout without a URL");
    await recordAudit(db, {
      orgId: org.id,
      actorUserId: auth.user.id,
      action: "billing.checkout_start",
      targetType: "checkout_session",
      targetId: session.id,
      metadata: { plan: body.plan },
      ip: clientIp(c),
    });
    return c.json({ url: session.url }, 200);
  });

  app.openapi(portalRoute, async (c) => {
    const { org, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    const config = requireBillingConfig(c.env);
    if (!org.stripeCustomerId) {
      throw new ApiError("no_billing_customer", "This organization has no billing account yet; start a checkout first");
    }
    const customer = org.stripeCustomerId;
    const stripe = createStripeClient(config);
    const back = returnUrl(c, c.req.valid("json").returnUrl);
    const session = await callStripe("open the billing portal", () =>
      stripe.billingPortal.sessions.create({ customer, return_url: back.toString() }),
    );
    await recordAudit(c.var.services.db(), {
      orgId: org.id,
      actorUserId: auth.user.id,
      action: "billing.portal_open",
      ip: clientIp(c),
    });
    return c.json({ url: session.url }, 200);
  });
}
