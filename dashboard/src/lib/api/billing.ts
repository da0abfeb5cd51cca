import { action, query } from "@solidjs/router";
import { mutate, read, worker } from "../server/worker";
import type { Billing } from "../types";

/**
 * Plan, limits and usage, whether or not Stripe is set up: without it `billing.configured` is false
 * and only checkout and portal are unavailable.
 */
export const getBilling = query(async (orgId: string) => {
  "use server";
  const billing: Billing = await read(worker().GET("/api/orgs/{orgId}/billing", { params: { path: { orgId } } }));
  return billing;
}, "billing");

/**
 * Checkout and portal answer Stripe's URL instead of redirecting: the page leaves with a full
 * navigation (Stripe's pages are another site), and `returnUrl` is the page the person is on, which
 * the Worker accepts only on an allowed dashboard origin.
 */
export const startCheckout = action(async (orgId: string, plan: "PRO" | "BUSINESS", returnUrl?: string) => {
  "use server";
  return await mutate(
    worker().POST("/api/orgs/{orgId}/billing/checkout", {
      params: { path: { orgId } },
      body: returnUrl ? { plan, returnUrl } : { plan },
    }),
  );
}, "start-checkout");

export const openBillingPortal = action(async (orgId: string, returnUrl?: string) => {
  "use server";
  return await mutate(
    worker().POST("/api/orgs/{orgId}/billing/portal", {
      params: { path: { orgId } },
      body: returnUrl ? { returnUrl } : {},
    }),
  );
}, "billing-portal");
