import Stripe from "stripe";
import { ApiError } from "../errors.ts";
import type { BillingConfig } from "./config.ts";

// Isolate-lifetime: the crypto provider is stateless (WebCrypto), one per isolate is enough.
const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** How old a webhook signature may be (seconds); Stripe's own default, so replays are refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

/** A Stripe client for Workers: fetch for HTTP, pointed at STRIPE_API_BASE when set (tests, mocks). */
export function createStripeClient(config: BillingConfig): Stripe {
  const base = config.apiBase;
  return new Stripe(config.secretKey, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 1,
    timeout: 10_000,
    ...(base
      ? {
          protocol: base.protocol === "http:" ? "http" : "https",
          host: base.hostname,
          port: base.port || (base.protocol === "http:" ? 80 : 443),
        }
      : {}),
  });
}

export type SignatureFailure = "missing" | "invalid" | "stale";

/**
 * Verifies `Stripe-Signature` over the raw body (HMAC-SHA256 of `t.payload` with the endpoint
 * secret, `t` within the tolerance) and returns the event. Throws 400 invalid_signature otherwise.
 */
export async function verifyWebhook(
  stripe: Stripe,
  config: BillingConfig,
  rawBody: string,
  signature: string | undefined,
): Promise<Stripe.Event> {
  const fail = (reason: SignatureFailure, message: string) =>
    new ApiError("invalid_signature", message, { details: { reason } });
  if (!signature) throw fail("missing", "The Stripe-Signature header is missing");
  try {
    return await stripe.webhooks.constructEventAsync(
      rawBody,
      signature,
      config.webhookSecret,
      WEBHOOK_TOLERANCE_SECONDS,
      cryptoProvider,
    );
  } catch (error) {
    const message = (error as Error).message ?? "";
    if (/tolerance/i.test(message)) throw fail("stale", "The webhook signature is too old");
    throw fail("invalid", "The webhook signature does not match");
  }
}

/** Stripe API failures become a 502 the client can retry; the cause stays in the logs. */
export async function callStripe<T>(operation: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ApiError) throw error;
    const stripeError = error as { type?: string; statusCode?: number; code?: string; message?: string };
    throw new ApiError("billing_provider_error", `Stripe could not ${operation}; try again shortly`, {
      details: {
        type: stripeError.type,
        status: stripeError.statusCode,
        code: stripeError.code,
        message: stripeError.message,
      },
    });
  }
}
