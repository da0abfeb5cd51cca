/**
 * `X-Sentry-Rate-Limits: <seconds>:<categories ;-separated>:<scope>:<reason>` — what the Sentry
 * SDKs read to stop sending one kind of data for a while. Naming the categories matters: an empty
 * list means "all", which would also silence client reports and session updates.
 */

/** What costs units and stops over quota: errors, transactions and spans (new sessions too, but
 * session updates are free and keep flowing, so `session` is not named). */
export const QUOTA_CATEGORIES = ["error", "default", "transaction", "span", "security"] as const;

/** The per-project request rate applies to every envelope that stores something. */
export const RATE_CATEGORIES = [...QUOTA_CATEGORIES, "session"] as const;

export function sentryRateLimitHeader(
  seconds: number,
  categories: readonly string[],
  scope: "key" | "project" | "organization",
  reason: string,
): string {
  return `${Math.max(1, Math.ceil(seconds))}:${categories.join(";")}:${scope}:${reason}`;
}
