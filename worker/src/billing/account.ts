import { type Database, type Organization, organizations, projects, usageMonthly } from "@telemetry-tracker/db";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import type Stripe from "stripe";
import type { Bindings } from "../env.ts";
import type { Logger } from "../lib/logger.ts";
import { meterClient } from "../meter/client.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { callStripe } from "./stripe.ts";
import { isLapsed } from "./subscription.ts";

/**
 * The org's Stripe customer, created on first need and tagged with the org id. Two concurrent first
 * checkouts send the same idempotency key, so Stripe makes one customer; the conditional update keeps
 * whichever id landed first.
 */
export async function ensureCustomer(
  db: Database,
  stripe: Stripe,
  org: Organization,
  email: string | undefined,
): Promise<string> {
  if (org.stripeCustomerId) return org.stripeCustomerId;
  const customer = await callStripe("create the customer", () =>
    stripe.customers.create(
      { name: org.name, email, metadata: { org_id: org.id } },
      { idempotencyKey: `tt-customer-${org.id}` },
    ),
  );
  const [stored] = await db
    .update(organizations)
    .set({ stripeCustomerId: customer.id, updatedAt: new Date() })
    .where(and(eq(organizations.id, org.id), isNull(organizations.stripeCustomerId)))
    .returning({ id: organizations.stripeCustomerId });
  if (stored?.id) return stored.id;
  const [current] = await db
    .select({ id: organizations.stripeCustomerId })
    .from(organizations)
    .where(eq(organizations.id, org.id));
  return current?.id ?? customer.id;
}

/** A subscription that still pays for a tier: a second checkout would bill twice. */
export function hasLiveSubscription(org: Organization): boolean {
  return Boolean(org.stripeSubscriptionId && org.subscriptionStatus && !isLapsed(org.subscriptionStatus));
}

const currentMonth = () => new Date().toISOString().slice(0, 7);

/**
 * The billing page's data. Usage per project is the larger of what the meters have flushed to
 * Postgres and what they count live (the meter is ahead by at most one flush).
 */
export async function billingOverview(env: Bindings, db: Database, logger: Logger, org: Organization) {
  const plan = effectivePlan(org);
  const month = currentMonth();
  const quota = PLAN_LIMITS[plan].monthlyUnits;
  const list = await db
    .select({ id: projects.id, name: projects.name, slug: projects.slug })
    .from(projects)
    .where(and(eq(projects.orgId, org.id), isNull(projects.deletedAt)))
    .orderBy(asc(projects.createdAt));
  const flushed =
    list.length === 0
      ? []
      : await db
          .select({ projectId: usageMonthly.projectId, units: usageMonthly.units })
          .from(usageMonthly)
          .where(
            and(
              inArray(
                usageMonthly.projectId,
                list.map((p) => p.id),
              ),
              eq(usageMonthly.month, month),
            ),
          );
  const flushedBy = new Map(flushed.map((row) => [row.projectId, row.units]));
  // A meter that cannot be reached counts 0 here, so the flushed count from Postgres stands.
  const meters = meterClient(env, logger);
  const live = await Promise.all(
    list.map(async (project) => (await meters.usage(project.id))?.find((u) => u.month === month)?.units ?? 0),
  );
  const pastDue = org.subscriptionStatus === "past_due";
  return {
    plan,
    purchasedPlan: org.plan,
    status: org.subscriptionStatus,
    periodEnd: org.subscriptionPeriodEnd?.toISOString() ?? null,
    warning: pastDue
      ? {
          code: "past_due" as const,
          message: "The last payment failed. The plan stays active while Stripe retries; update the payment method.",
        }
      : null,
    hasCustomer: Boolean(org.stripeCustomerId),
    hasSubscription: hasLiveSubscription(org),
    limits: { ...PLAN_LIMITS[plan] },
    month,
    projects: list.map((project, index) => {
      const units = Math.max(flushedBy.get(project.id) ?? 0, live[index]);
      return { ...project, units, quota, fraction: quota > 0 ? units / quota : 0 };
    }),
  };
}
