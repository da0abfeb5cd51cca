import type { Plan } from "@telemetry-tracker/db";
import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";

export type PaidPlan = Exclude<Plan, "FREE">;

export interface BillingConfig {
  secretKey: string;
  webhookSecret: string;
  prices: Record<PaidPlan, string>;
  /** Where the Stripe client sends API calls; undefined means api.stripe.com. */
  apiBase: URL | undefined;
}

const REQUIRED = ["STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PRICE_PRO", "STRIPE_PRICE_BUSINESS"] as const;

/**
 * Billing is optional: a self-hosted install without Stripe keeps every organization on its stored
 * plan. Returns the config, or the names of the settings that are missing.
 */
export function readBillingConfig(env: Bindings): { config: BillingConfig } | { missing: string[] } {
  const missing = REQUIRED.filter((name) => !env[name]?.trim());
  if (missing.length > 0) return { missing };
  let apiBase: URL | undefined;
  if (env.STRIPE_API_BASE?.trim()) {
    try {
      apiBase = new URL(env.STRIPE_API_BASE.trim());
    } catch {
      return { missing: ["STRIPE_API_BASE (not a URL)"] };
    }
  }
  return {
    config: {
      secretKey: (env.STRIPE_SECRET_KEY as string).trim(),
      webhookSecret: (env.STRIPE_WEBHOOK_SECRET as string).trim(),
      prices: { PRO: (env.STRIPE_PRICE_PRO as string).trim(), BUSINESS: (env.STRIPE_PRICE_BUSINESS as string).trim() },
      apiBase,
    },
  };
}

/** The config, or the 503 every billing route answers while Stripe is not set up. */
export function requireBillingConfig(env: Bindings): BillingConfig {
  const result = readBillingConfig(env);
  if ("config" in result) return result.config;
  throw new ApiError("billing_not_configured", "Billing is not configured on this server", {
    details: { missing: result.missing },
  });
}

/** The paid plan a Stripe price id stands for, or null for a price this install does not sell. */
export function planForPrice(config: BillingConfig, priceId: string | null | undefined): PaidPlan | null {
  if (!priceId) return null;
  if (priceId === config.prices.PRO) return "PRO";
  if (priceId === config.prices.BUSINESS) return "BUSINESS";
  return null;
}
