import { parseRetryAfter } from "./transport.ts";
import type { Category, TransportResponse } from "./types.ts";

/** Backoff after transient failures: 1 s doubling to 60 s, each wait jittered to 50–100%. */
export const BACKOFF_BASE = 1000;
export const BACKOFF_MAX = 60_000;
/** How long a 429 without `Retry-After` holds its categories. */
export const DEFAULT_HOLD = 60_000;

/**
 * What to do with a batch after the server (or the network) answered:
 * - `sent`: delivered;
 * - `split`: 413, send it in halves (a single item is dropped as `too_large`);
 * - `hold`: 429, requeue; its categories wait (`holds` says until when), other categories go on;
 * - `retry`: network error, 408 or 5xx, requeue and stop sending until the backoff has passed;
 * - `drop`: any other 4xx, the same batch would get the same answer again.
 */
export type Verdict = "sent" | "split" | "hold" | "retry" | "drop";

/**
 * The send policy, the part of sentry-javascript's base transport that reads answers: per-category
 * holds from `Retry-After` (its rate limits) and exponential backoff after transient failures.
 */
export class SendPolicy {
  /** Until when (epoch ms) each category must not be sent. */
  private readonly holds: Partial<Record<Category, number>> = {};
  private failures = 0;
  /** No send at all before this moment (epoch ms), after a transient failure. */
  retryAt = 0;

  isHeld(category: Category, now = Date.now()): boolean {
    return (this.holds[category] ?? 0) > now;
  }

  /** When the earliest of `categories` may be sent again (0 when one may go now). */
  releaseAt(categories: Category[]): number {
    let at = Number.POSITIVE_INFINITY;
    for (const category of categories) at = Math.min(at, this.holds[category] ?? 0);
    return at;
  }

  /** Applies an answer to the policy's state and says what becomes of the batch. */
  judge(response: TransportResponse, categories: Category[]): Verdict {
    const status = response.status;
    if (status >= 200 && status < 300) {
      this.failures = 0;
      this.retryAt = 0;
      return "sent";
    }
    if (status === 413) return "split";
    const wait = parseRetryAfter(response.retryAfter);
    if (status === 429) {
      const until = Date.now() + (wait ?? DEFAULT_HOLD);
      // Ending or updating a session is free and allowed over quota: don't hold sessions behind events.
      const spareSessions = response.code === "quota_exceeded" && categories.some((c) => c !== "session");
      for (const category of categories) if (!(spareSessions && category === "session")) this.holds[category] = until;
      return "hold";
    }
    if (status === 0 || status === 408 || status >= 500) {
      const backoff = Math.min(BACKOFF_MAX, BACKOFF_BASE * 2 ** this.failures++);
      this.retryAt = Date.now() + Math.max(wait ?? 0, backoff * (0.5 + Math.random() / 2));
      return "retry";
    }
    return "drop";
  }
}
