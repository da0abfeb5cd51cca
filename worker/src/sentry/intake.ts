import type { KeyRecord } from "../auth/key-record.ts";
import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";
import { normalizeJsonText } from "../ingest/normalize.ts";
import { toBufferedRows } from "../ingest/rows.ts";
import type { Logger } from "../lib/logger.ts";
import { meterClient } from "../meter/client.ts";
import { QUOTA_CATEGORIES, RATE_CATEGORIES, sentryRateLimitHeader } from "./rate-limits.ts";
import type { Translation } from "./translate.ts";

/** The app label of everything a Sentry SDK sends with this key. */
export function sentryAppLabel(key: KeyRecord): string {
  return key.allowedApp ?? "sentry";
}

/**
 * Admits a translated envelope through the same path as /ingest: text Postgres cannot store is
 * replaced, rows are scrubbed and fingerprinted, and the project's ProjectMeter applies quota,
 * rate, idempotency and buffer limits, answering only once they are durable. Refusals become the
 * answers the Sentry SDKs understand.
 */
export async function admitTranslation(
  env: Bindings,
  logger: Logger,
  key: KeyRecord,
  translation: Translation,
): Promise<void> {
  if (translation.items.length === 0 && translation.outcomes.length === 0) return;
  const rows = await toBufferedRows(normalizeJsonText(translation.items), key);
  const result = await meterClient(env, logger).admit(key, rows, translation.outcomes);
  if (result.ok) return;
  const headers: Record<string, string> = {};
  if (result.retryAfterSeconds !== undefined) headers["Retry-After"] = String(result.retryAfterSeconds);
  if (result.code === "quota_exceeded") {
    headers["X-Sentry-Rate-Limits"] = sentryRateLimitHeader(
      result.retryAfterSeconds ?? 60,
      QUOTA_CATEGORIES,
      "project",
      "quota_exceeded",
    );
  } else if (result.code === "rate_limited") {
    headers["X-Sentry-Rate-Limits"] = sentryRateLimitHeader(
      result.retryAfterSeconds ?? 1,
      RATE_CATEGORIES,
      "project",
      "rate_limited",
    );
  }
  throw new ApiError(result.code, result.message, { headers });
}
