import type { Plan } from "@telemetry-tracker/db";
import { effectivePlan } from "../plans.ts";
import { type BillingConfig, type PaidPlan, planForPrice } from "./config.ts";

/**
 * The fields of a Stripe subscription that billing reads. Typed loosely on purpose: the webhook
 * payload's shape follows the endpoint's API version, not this library's, so both the current
 * shape (period end on the items) and older ones (period end on the subscription) are read.
 */
export interface StripeSubscriptionLike {
  id: string;
  customer: string | { id: string };
  status: string;
  created: number;
  metadata?: Record<string, string> | null;
  current_period_end?: number | null;
  items?: { data?: Array<{ price?: { id?: string } | null; current_period_end?: number | null }> } | null;
}

/** What one Stripe subscription says about an organization's plan. */
export interface SubscriptionSnapshot {
  subscriptionId: string;
  customerId: string;
  status: string;
  /** From the price (what is billed; a portal plan switch changes it), else our metadata; null: unknown. */
  plan: PaidPlan | null;
  periodEnd: Date | null;
  createdAt: Date;
  /** `metadata.org_id` as set at checkout, for finding the org when the customer is not linked yet. */
  orgId: string | null;
}

const seconds = (value: number | null | undefined) => (typeof value === "number" ? new Date(value * 1000) : null);

export function snapshotOf(subscription: StripeSubscriptionLike, config: BillingConfig): SubscriptionSnapshot {
  const items = subscription.items?.data ?? [];
  const pricedPlan = items.map((item) => planForPrice(config, item.price?.id)).find((plan) => plan !== null) ?? null;
  const metadataPlan = subscription.metadata?.plan;
  const periodEnds = items
    .map((item) => item.current_period_end)
    .filter((end): end is number => typeof end === "number");
  return {
    subscriptionId: subscription.id,
    customerId: typeof subscription.customer === "string" ? subscription.customer : subscription.customer.id,
    status: subscription.status,
    plan: pricedPlan ?? (metadataPlan === "PRO" || metadataPlan === "BUSINESS" ? metadataPlan : null),
    periodEnd: periodEnds.length > 0 ? seconds(Math.max(...periodEnds)) : seconds(subscription.current_period_end),
    createdAt: new Date(subscription.created * 1000),
    orgId: subscription.metadata?.org_id ?? null,
  };
}

/** A subscription in this state no longer pays for its tier (see effectivePlan). */
export function isLapsed(status: string | null): boolean {
  return status !== null && effectivePlan({ plan: "PRO", subscriptionStatus: status }) === "FREE";
}

export interface StoredSubscription {
  plan: Plan;
  stripeSubscriptionId: string | null;
  subscriptionStatus: string | null;
  subscriptionStateAt: Date | null;
}

export type Decision =
  | { apply: true }
  /** Same subscription, same second: the payloads cannot be ordered, so ask Stripe for the current state. */
  | { apply: false; reason: "tie" }
  | { apply: false; reason: "stale" | "other_subscription_lapsed" };

/**
 * Whether a subscription state observed at `observedAt` (the event's creation time, which is when
 * Stripe took this snapshot of the subscription) may replace what the org has. Deliveries arrive
 * in any order, so an older state never overwrites a newer one; and the end of some other
 * subscription (an old one, canceled after a new one started) never cancels the current one.
 */
export function decide(stored: StoredSubscription, incoming: SubscriptionSnapshot, observedAt: Date): Decision {
  const storedAt = stored.subscriptionStateAt?.getTime();
  const at = observedAt.getTime();
  if (storedAt !== undefined && at < storedAt) return { apply: false, reason: "stale" };
  const sameSubscription =
    stored.stripeSubscriptionId === null || stored.stripeSubscriptionId === incoming.subscriptionId;
  if (sameSubscription) return storedAt === at ? { apply: false, reason: "tie" } : { apply: true };
  if (storedAt === at) return { apply: false, reason: "stale" };
  if (isLapsed(incoming.status) && !isLapsed(stored.subscriptionStatus)) {
    return { apply: false, reason: "other_subscription_lapsed" };
  }
  return { apply: true };
}
