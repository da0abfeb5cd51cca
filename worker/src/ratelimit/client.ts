import { describeError, type Logger } from "../lib/logger.ts";
import { type Lease, type RateLimiter, WINDOW_MS, windowStartOf } from "./rate-limiter.ts";

/** The surfaces limited separately, each by its own `RATE_LIMIT_<SURFACE>_PER_MINUTE`. */
export type Surface = "ingest" | "auth" | "api";

export type LimitDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

/** A lease is at most this share of a window's limit, so a few isolates cannot strand most of it. */
const LEASE_SHARE = 20;
/** Leases this isolate remembers at most (one per surface and address it served this window). */
const MAX_LEASES = 10_000;

interface HeldLease {
  windowStart: number;
  /** Requests this isolate may still admit in the window without asking the Durable Object. */
  remaining: number;
  /** Leases taken in this window; each asks for twice the last, up to the share. */
  taken: number;
  /** The object said the window's limit is used up: refuse until the window ends, without asking. */
  exhausted: boolean;
  /** The lease being fetched, shared by concurrent requests; false when the object was unreachable. */
  renewing?: Promise<boolean>;
}

// Isolate-lifetime: what this isolate holds of each address's window. Losing it (a new isolate)
// only costs a call to the object; unused requests of a lost lease are never handed out again.
const held = new Map<string, HeldLease>();

function remember(key: string, lease: HeldLease, now: number): void {
  held.set(key, lease);
  if (held.size <= MAX_LEASES) return;
  const current = windowStartOf(now);
  for (const [name, value] of held) if (value.windowStart < current) held.delete(name);
  // Still full of this window's addresses: drop the oldest; its unused requests are lost, not reissued.
  while (held.size > MAX_LEASES) held.delete(held.keys().next().value as string);
}

/**
 * Per-IP limits with a fixed window per (surface, address), counted by a `RateLimiter` Durable
 * Object. The hot path does not pay a round trip per request: the isolate leases part of the
 * window's limit (1, 2, 4, … requests, at most 1/20 of the limit) and admits from it locally, and
 * once the object says the window is used up, refuses locally until the window ends. The object
 * never grants more than the limit, so no address gets more than `limit` requests per window; it may
 * be refused a little earlier when other isolates hold unused leases.
 *
 * When the object cannot be reached the request is admitted (and logged): a limiter outage must not
 * take ingest or sign-in down with it.
 */
export class IpRateLimiter {
  private readonly namespace: DurableObjectNamespace<RateLimiter>;
  private readonly logger: Logger;
  private readonly clock: () => number;

  /** `clock` is injected by tests, to cross a window's end without waiting for it. */
  constructor(namespace: DurableObjectNamespace<RateLimiter>, logger: Logger, clock: () => number = Date.now) {
    this.namespace = namespace;
    this.logger = logger;
    this.clock = clock;
  }

  async take(surface: Surface, address: string, limit: number): Promise<LimitDecision> {
    const key = `${surface}:${address}`;
    for (;;) {
      const now = this.clock();
      const windowStart = windowStartOf(now);
      let lease = held.get(key);
      if (!lease || lease.windowStart < windowStart) {
        lease = { windowStart, remaining: 0, taken: 0, exhausted: false };
        remember(key, lease, now);
      }
      if (lease.remaining > 0) {
        lease.remaining -= 1;
        return { ok: true };
      }
      if (lease.exhausted) {
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((lease.windowStart + WINDOW_MS - now) / 1000)) };
      }
      lease.renewing ??= this.renew(key, lease, limit);
      if (!(await lease.renewing)) return { ok: true };
      // Renewed (or found exhausted): take from it, or from the next window if this one ended meanwhile.
    }
  }

  private async renew(key: string, lease: HeldLease, limit: number): Promise<boolean> {
    const want = Math.min(2 ** lease.taken, Math.max(1, Math.ceil(limit / LEASE_SHARE)));
    let answer: Lease;
    try {
      const stub = this.namespace.get(this.namespace.idFromName(key));
      answer = await stub.lease({ windowStart: lease.windowStart, limit, want });
    } catch (error) {
      this.logger.warn("rate limiter unavailable; request admitted", { key, ...describeError(error) });
      return false;
    } finally {
      lease.renewing = undefined;
    }
    lease.taken += 1;
    // The object may already count a later window (this isolate's clock lags): the lease is for that one.
    lease.windowStart = Math.max(lease.windowStart, answer.windowStart);
    lease.remaining += answer.granted;
    lease.exhausted = answer.granted === 0;
    return true;
  }
}
