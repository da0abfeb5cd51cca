import { sql } from "drizzle-orm";
import { check, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { softDelete, timestamps } from "./columns.ts";

export const organizations = pgTable(
  "organizations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    /** The plan paid for; the effective plan also depends on `subscriptionStatus`. */
    plan: text("plan", { enum: ["FREE", "PRO", "BUSINESS"] })
      .notNull()
      .default("FREE"),
    stripeCustomerId: text("stripe_customer_id").unique(),
    stripeSubscriptionId: text("stripe_subscription_id"),
    /** Stripe's subscription status as last seen (active, past_due, canceled, …); null without one. */
    subscriptionStatus: text("subscription_status"),
    subscriptionPeriodEnd: timestamp("subscription_period_end", { withTimezone: true }),
    /** Timestamp of the Stripe state applied last, so an out-of-order webhook never moves us back. */
    subscriptionStateAt: timestamp("subscription_state_at", { withTimezone: true }),
    ...timestamps,
    ...softDelete,
  },
  (t) => [check("organizations_plan_check", sql`${t.plan} in ('FREE', 'PRO', 'BUSINESS')`)],
);

export type Organization = typeof organizations.$inferSelect;
