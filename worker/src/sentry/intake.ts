import type { KeyRecord } from "../auth/api-keys.ts";
import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";
import { toBufferedRows } from "../ingest/rows.ts";
import { describeError, type Logger } from "../lib/logger.ts";
import { meterFor } from "../meter/client.ts";
import { type AdmitResult, prepareAdmission } from "../meter/project-meter.ts";
import { QUOTA_CATEGORIES, RATE_CATEGORIES, sentryRateLimitHeader } from "./rate-limits.ts";
import type { Translation } from "./translate.ts";

/** The app label of everything a Sentry SDK sends with this key. */
export function sentryAppLabel(key: KeyRecord): string {
  return key.allowedApp ?? "sentry";
}

/**
 * Admits a translated envelope through the same path as /ingest: rows (scrubbed, fingerprinted)
 * into the project's ProjectMeter, which applies quota, rate and buffer limits and answers only
 * once they are durable. Refusals become the answers the Sentry SDKs understand.
 */
export async function admitTranslation(
  env: Bindings,
  logger: Logger,
  key: KeyRecord,
  translation: Translation,
): Promise<void> {
  if (translation.items.length === 0 && translation.outcomes.length === 0) return;
  const rows = await toBufferedRows(translation.items, key);
  let result: AdmitResult;
  try {
    result = await meterFor(env, key.projectId).admit(prepareAdmission(rows, key));
  } catch (error) {
    logger.warn("meter unavailable", describeError(error));
    throw new ApiError("backend_unavailable", "Ingest is temporarily unavailable; retry shortly", {
      headers: { "Retry-After": "5" },
    });
  }
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
