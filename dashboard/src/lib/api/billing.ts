import { action, query, redirect } from "@solidjs/router";
import { mutate, settle, WorkerError, worker } from "../server/worker";
import type { Billing } from "../types";

/** Billing answers 503 billing_not_configured until Stripe is set up: that is a state, not an error. */
export const getBilling = query(async (orgId: string) => {
  "use server";
  try {
    const wire = await settle(worker().GET("/api/orgs/{orgId}/billing", { params: { path: { orgId } } }));
    const billing: Billing = { configured: true, ...wire };
    return billing;
  } catch (error) {
    // A 404 means this Worker has no billing routes at all, which for the page is the same state.
    if (error instanceof WorkerError && (error.code === "billing_not_configured" || error.status === 404)) {
      const billing: Billing = { configured: false, message: error.message };
      return billing;
    }
    if (error instanceof WorkerError && error.status === 401) throw redirect("/login");
    throw new Error(error instanceof Error ? error.message : String(error));
  }
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
