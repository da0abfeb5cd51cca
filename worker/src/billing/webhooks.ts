import { auditLog, type Database, type Organization, organizations, processedWebhooks } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import type Stripe from "stripe";
import type { Bindings } from "../env.ts";
import type { Logger } from "../lib/logger.ts";
import { effectivePlan } from "../plans.ts";
import type { BillingConfig } from "./config.ts";
import { pushPlanToOrg } from "./plan-sync.ts";
import { callStripe } from "./stripe.ts";
import { decide, type StripeSubscriptionLike, type SubscriptionSnapshot, snapshotOf } from "./subscription.ts";

export const HANDLED_EVENTS = [
  "checkout.session.completed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
] as const;

export type WebhookOutcome =
  | { outcome: "applied"; orgId: string; plan: string; status: string }
  | { outcome: "duplicate" }
  | { outcome: "ignored"; reason: string; orgId?: string };

export interface WebhookDeps {
  env: Bindings;
  db: Database;
  config: BillingConfig;
  stripe: Stripe;
  logger: Logger;
}

interface CheckoutSessionLike {
  mode?: string;
  customer?: string | { id: string } | null;
  subscription?: string | { id: string } | null;
  client_reference_id?: string | null;
  metadata?: Record<string, string> | null;
}

const idOf = (value: string | { id: string } | null | undefined) => (typeof value === "string" ? value : value?.id);

function retrieveSubscription(deps: WebhookDeps, id: string): Promise<SubscriptionSnapshot> {
  return callStripe("load the subscription", async () =>
    snapshotOf((await deps.stripe.subscriptions.retrieve(id)) as unknown as StripeSubscriptionLike, deps.config),
  );
}

/**
 * Applies one verified Stripe event. Exactly once per event id: the id goes into processed_webhooks
 * in the same transaction as the org update, so a duplicate (even a concurrent one, which waits on
 * the primary key) finds it and changes nothing; a failure rolls both back and Stripe retries.
 */
export async function handleStripeEvent(deps: WebhookDeps, event: Stripe.Event): Promise<WebhookOutcome> {
  if (!(HANDLED_EVENTS as readonly string[]).includes(event.type)) {
    return { outcome: "ignored", reason: "event_type_not_handled" };
  }
  const observedAt = new Date(event.created * 1000);

  let snapshot: SubscriptionSnapshot;
  let orgHint: string | null;
  if (event.type === "checkout.session.completed") {
    const session = event.data.object as unknown as CheckoutSessionLike;
    const subscriptionId = idOf(session.subscription);
    if (session.mode !== "subscription" || !subscriptionId) return { outcome: "ignored", reason: "not_a_subscription" };
    // The session does not carry the subscription's state; Stripe has it.
    snapshot = await retrieveSubscription(deps, subscriptionId);
    orgHint = session.metadata?.org_id ?? session.client_reference_id ?? snapshot.orgId;
  } else {
    snapshot = snapshotOf(event.data.object as unknown as StripeSubscriptionLike, deps.config);
    orgHint = snapshot.orgId;
  }

  return deps.db.transaction(async (tx) => {
    const [claimed] = await tx
      .insert(processedWebhooks)
      .values({ eventId: event.id, type: event.type })
      .onConflictDoNothing()
      .returning({ eventId: processedWebhooks.eventId });
    if (!claimed) return { outcome: "duplicate" as const };

    // The customer we created is the link; metadata only helps when it was never stored.
    let [org]: Array<Organization | undefined> = await tx
      .select()
      .from(organizations)
      .where(eq(organizations.stripeCustomerId, snapshot.customerId))
      .for("update");
    if (!org && orgHint && /^[0-9a-f-]{36}$/i.test(orgHint)) {
      [org] = await tx.select().from(organizations).where(eq(organizations.id, orgHint)).for("update");
      if (org?.stripeCustomerId && org.stripeCustomerId !== snapshot.customerId) org = undefined;
    }
    if (!org) {
      deps.logger.warn("stripe event for an unknown customer", { eventId: event.id, customer: snapshot.customerId });
      return { outcome: "ignored" as const, reason: "unknown_customer" };
    }

    let decision = decide(org, snapshot, observedAt);
    if (!decision.apply && decision.reason === "tie") {
      snapshot = await retrieveSubscription(deps, snapshot.subscriptionId);
      decision = { apply: true };
    }
    if (!decision.apply) return { outcome: "ignored" as const, reason: decision.reason, orgId: org.id };

    if (!snapshot.plan) {
      deps.logger.warn("subscription with a price this install does not sell; plan kept", {
        eventId: event.id,
        subscription: snapshot.subscriptionId,
      });
    }
    const plan = snapshot.plan ?? org.plan;
    const before = effectivePlan(org);
    const after = effectivePlan({ plan, subscriptionStatus: snapshot.status });
    await tx
      .update(organizations)
      .set({
        plan,
        stripeCustomerId: org.stripeCustomerId ?? snapshot.customerId,
        stripeSubscriptionId: snapshot.subscriptionId,
        subscriptionStatus: snapshot.status,
        subscriptionPeriodEnd: snapshot.periodEnd,
        subscriptionStateAt: observedAt,
        updatedAt: new Date(),
      })
      .where(eq(organizations.id, org.id));
    await tx.insert(auditLog).values({
      orgId: org.id,
      actorUserId: null,
      action: "billing.subscription_change",
      targetType: "subscription",
      targetId: snapshot.subscriptionId,
      metadata: { eventId: event.id, eventType: event.type, plan, status: snapshot.status, from: before, to: after },
    });
    // Inside the transaction, under the org's row lock: concurrent events for one org reach the
    // meters in commit order, and a meter that cannot be told rolls the event back for a retry.
    if (after !== before) await pushPlanToOrg(deps.env, tx, org.id, after);
    return { outcome: "applied" as const, orgId: org.id, plan: after, status: snapshot.status };
  });
}
