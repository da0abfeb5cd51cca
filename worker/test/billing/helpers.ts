import { env, exports } from "cloudflare:workers";
import { organizations } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { withDatabase } from "../helpers/db.ts";
// A type only, erased from the bundle: the fake itself is Node code and never runs in workerd.
import type { RecordedRequest } from "../setup/fake-stripe.ts";

export const PRICES = { PRO: env.STRIPE_PRICE_PRO as string, BUSINESS: env.STRIPE_PRICE_BUSINESS as string };

const control = (path: string) => `${env.STRIPE_API_BASE}/__control/${path}`;

/** Requests the fake Stripe API received, optionally only those matching `filter`. */
export async function stripeRequests(filter: (r: RecordedRequest) => boolean = () => true): Promise<RecordedRequest[]> {
  const res = await fetch(control("requests"));
  const body = (await res.json()) as { requests: RecordedRequest[] };
  return body.requests.filter(filter);
}

/** Makes GET /v1/subscriptions/:id on the fake answer this object. */
export async function putStripeSubscription(subscription: Record<string, unknown>): Promise<void> {
  await fetch(control("subscriptions"), { method: "POST", body: JSON.stringify(subscription) });
}

/** The next `count` Stripe API calls fail with a Stripe error of this HTTP status. */
export async function failStripe(count: number, status = 400): Promise<void> {
  await fetch(control("fail"), { method: "POST", body: JSON.stringify({ count, status }) });
}

const rid = (prefix: string) => `${prefix}_${crypto.randomUUID().replaceAll("-", "").slice(0, 20)}`;
export const newIds = () => ({ customer: rid("cus"), subscription: rid("sub") });
export const nowSeconds = () => Math.floor(Date.now() / 1000);

export interface SubscriptionOptions {
  id: string;
  customer: string;
  status?: string;
  price?: string;
  created?: number;
  periodEnd?: number;
  metadata?: Record<string, string>;
}

/** A subscription object in the shape of Stripe's current API (period end on the items). */
export function subscription(options: SubscriptionOptions) {
  const created = options.created ?? nowSeconds() - 3600;
  return {
    id: options.id,
    object: "subscription",
    customer: options.customer,
    status: options.status ?? "active",
    created,
    start_date: created,
    livemode: false,
    metadata: options.metadata ?? {},
    items: {
      object: "list",
      data: [
        {
          id: rid("si"),
          object: "subscription_item",
          price: { id: options.price ?? PRICES.PRO, object: "price" },
          quantity: 1,
          current_period_start: created,
          current_period_end: options.periodEnd ?? created + 30 * 86_400,
        },
      ],
    },
  };
}

export function stripeEvent(type: string, object: unknown, created = nowSeconds(), id = rid("evt")) {
  return {
    id,
    object: "event",
    api_version: "2026-10-28.endive",
    created,
    type,
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

async function hmacHex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    new TextEncoder().encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Stripe's scheme: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>`. */
export async function signPayload(payload: string, options: { secret?: string; timestamp?: number } = {}) {
  const t = options.timestamp ?? nowSeconds();
  return `t=${t},v1=${await hmacHex(options.secret ?? (env.STRIPE_WEBHOOK_SECRET as string), `${t}.${payload}`)}`;
}

export interface DeliverOptions {
  /** Signature header to send instead of a valid one; null sends none. */
  signature?: string | null;
  secret?: string;
  timestamp?: number;
}

/** Delivers an event to the Worker as Stripe would: the exact JSON bytes, signed. */
export async function deliver(event: unknown, options: DeliverOptions = {}): Promise<Response> {
  const payload = JSON.stringify(event, null, 2);
  const signature =
    options.signature === undefined
      ? await signPayload(payload, { secret: options.secret, timestamp: options.timestamp })
      : options.signature;
  return exports.default.fetch("http://tt.test/webhooks/stripe", {
    method: "POST",
    headers: { "content-type": "application/json", ...(signature === null ? {} : { "stripe-signature": signature }) },
    body: payload,
  });
}

export async function orgRow(orgId: string) {
  return withDatabase(async (db) => {
    const [org] = await db.select().from(organizations).where(eq(organizations.id, orgId));
    return org;
  });
}

export async function linkCustomer(orgId: string, customerId: string): Promise<void> {
  await withDatabase((db) =>
    db.update(organizations).set({ stripeCustomerId: customerId }).where(eq(organizations.id, orgId)),
  );
}
