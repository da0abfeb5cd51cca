import { createRoute, z } from "@hono/zod-openapi";
import { requireBillingConfig } from "../billing/config.ts";
import { createStripeClient, verifyWebhook } from "../billing/stripe.ts";
import { HANDLED_EVENTS, handleStripeEvent } from "../billing/webhooks.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import { ErrorEnvelope } from "../lib/api.ts";

/** Stripe's events are a few KB; anything far larger is not from Stripe. */
const MAX_WEBHOOK_BYTES = 512 * 1024;

const Received = z
  .object({
    received: z.literal(true),
    outcome: z.enum(["applied", "duplicate", "ignored"]),
    reason: z.string().optional(),
  })
  .openapi("WebhookReceived");

const errorContent = { "application/json": { schema: ErrorEnvelope } };

const route = createRoute({
  method: "post",
  path: "/webhooks/stripe",
  tags: ["Webhooks"],
  summary: "Stripe webhook endpoint (signed with Stripe-Signature)",
  description: `Handles ${HANDLED_EVENTS.join(", ")}; other event types are acknowledged and ignored. Each event id is applied once; an event older than the state already applied is ignored.`,
  request: {
    headers: z.object({ "stripe-signature": z.string().optional() }),
  },
  responses: {
    200: { description: "Received", content: { "application/json": { schema: Received } } },
    400: { description: "Missing, invalid or stale signature (invalid_signature)", content: errorContent },
    413: { description: "Body too large", content: errorContent },
    502: { description: "Stripe could not be reached to load the subscription; Stripe retries", content: errorContent },
    503: { description: "Billing is not configured (billing_not_configured)", content: errorContent },
  },
});

export function registerWebhooks(app: App): void {
  app.openapi(route, async (c) => {
    const config = requireBillingConfig(c.env);
    const declared = Number(c.req.header("content-length") ?? 0);
    if (declared > MAX_WEBHOOK_BYTES) throw new ApiError("payload_too_large", "Webhook body too large");
    // The signature covers the exact bytes: read the raw body before anything parses it.
    const rawBody = await c.req.text();
    if (rawBody.length > MAX_WEBHOOK_BYTES) throw new ApiError("payload_too_large", "Webhook body too large");
    const stripe = createStripeClient(config);
    const event = await verifyWebhook(stripe, config, rawBody, c.req.header("stripe-signature"));
    const result = await handleStripeEvent(
      { env: c.env, db: c.var.services.db(), config, stripe, logger: c.var.services.logger },
      event,
    );
    c.var.services.logger.info("stripe event", { eventId: event.id, type: event.type, ...result });
    return c.json(
      { received: true as const, outcome: result.outcome, ...("reason" in result ? { reason: result.reason } : {}) },
      200,
    );
  });
}
