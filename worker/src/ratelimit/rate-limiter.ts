import { DurableObject } from "cloudflare:workers";
import type { Bindings } from "../env.ts";

/** Every per-IP limit counts requests in fixed windows of this length, aligned to the clock. */
export const WINDOW_MS = 60_000;

/** The start of the window `now` falls in. */
export const windowStartOf = (now: number) => Math.floor(now / WINDOW_MS) * WINDOW_MS;

export interface LeaseRequest {
  /** The window the caller's clock is in (`windowStartOf`). */
  windowStart: number;
  /** Requests allowed per window for this surface. */
  limit: number;
  /** How many requests the caller would like to admit without asking again. */
  want: number;
}

export interface Lease {
  /** The window the grant belongs to: the caller's, or a later one if this object has seen it already. */
  windowStart: number;
  /** Requests the caller may admit in that window; 0 once the window's limit is used up. */
  granted: number;
}

interface WindowState {
  windowStart: number;
  used: number;
}

/**
 * One per (surface, client IP): the authority on how many requests that address may still make in
 * the current window. Isolates do not ask it per request; they lease a share of the limit
 * (ratelimit/client.ts), so the grants it hands out never add up to more than the limit.
 *
 * Time comes from the caller (the window it names), so one clock decides the window and the
 * Retry-After it implies; a caller whose clock lags gets the later window this object already
 * counts. The state is one small value in the object's SQLite-backed KV (so an eviction mid-window
 * does not reset the count); the alarm at the window's end deletes it, so an address that stops
 * sending leaves nothing stored.
 */
export class RateLimiter extends DurableObject<Bindings> {
  async lease(request: LeaseRequest): Promise<Lease> {
    const kv = this.ctx.storage.kv;
    const stored = kv.get<WindowState>("window");
    const current =
      stored && stored.windowStart >= request.windowStart ? stored : { windowStart: request.windowStart, used: 0 };
    const granted = Math.max(0, Math.min(request.want, request.limit - current.used));
    if (granted > 0 || current !== stored) kv.put("window", { ...current, used: current.used + granted });
    if (current !== stored) await this.ctx.storage.setAlarm(current.windowStart + WINDOW_MS);
    return { windowStart: current.windowStart, granted };
  }

  async alarm(): Promise<void> {
    const stored = this.ctx.storage.kv.get<WindowState>("window");
    // A window opened after this alarm was set (a caller whose clock runs ahead of ours) is kept.
    if (stored && stored.windowStart + WINDOW_MS > Date.now()) {
      await this.ctx.storage.setAlarm(stored.windowStart + WINDOW_MS);
      return;
    }
    await this.ctx.storage.deleteAll();
  }
}
