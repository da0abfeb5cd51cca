import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../context.ts";
import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";
import { IpRateLimiter, type Surface } from "../ratelimit/client.ts";

/**
 * Requests per minute per client address when a surface's var is unset (wrangler.toml sets the
 * same). Ingest stays above the largest plan's per-project rate (BUSINESS, 500/s) so one server
 * sending for a big project is never cut by its address; sign-in allows a shared office NAT's
 * ordinary use; the dashboard API allows a busy person with a few tabs open.
 */
export const DEFAULT_PER_MINUTE: Record<Surface, number> = { ingest: 60_000, auth: 60, api: 1_200 };

const VARS = {
  ingest: "RATE_LIMIT_INGEST_PER_MINUTE",
  auth: "RATE_LIMIT_AUTH_PER_MINUTE",
  api: "RATE_LIMIT_API_PER_MINUTE",
} as const satisfies Record<Surface, keyof Bindings>;

/** The surface's limit from its var (validated by the env schema); 0 means no per-IP limit. */
export function perMinuteLimit(env: Bindings, surface: Surface): number {
  const value = env[VARS[surface]]?.trim();
  return value ? Number(value) : DEFAULT_PER_MINUTE[surface];
}

/**
 * Which surface an `/api` request counts against. "auth" is what a guesser or a flood aims at
 * without a session: every `POST /api/auth/*` (sign-in, registration, logout, the password flows;
 * most hash a password or send mail) and the invite tokens (preview and accept). Everything else under
 * `/api` is the dashboard API; the Sentry intake under `/api/:id/` is ingest and limited there.
 */
export function apiSurface(method: string, path: string): Surface {
  if (path.startsWith("/api/invites/")) return "auth";
  if (method === "POST" && path.startsWith("/api/auth/")) return "auth";
  return "api";
}

/**
 * The address a limit counts, from `CF-Connecting-IP` (set by Cloudflare on every request from the
 * internet, replacing any the client sent). An IPv6 address counts by its /64, the block one
 * subscriber gets, so rotating through it does not reset the limit. No header means the request did
 * not come through Cloudflare's edge (a service binding, the tests' direct calls): there is no
 * address to count, so no per-IP limit applies.
 */
export function limitAddress(header: string | undefined): string | null {
  const ip = header?.trim().toLowerCase();
  if (!ip) return null;
  if (!ip.includes(":")) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(ip);
  if (mapped) return mapped[1];
  const [head, tail] = ip.split("::");
  const left = head ? head.split(":") : [];
  const right = tail === undefined ? [] : tail ? tail.split(":") : [];
  // A dotted IPv4 tail ("64:ff9b::1.2.3.4") stands for two groups.
  const given = [...left, ...right].reduce((count, group) => count + (group.includes(".") ? 2 : 1), 0);
  const groups = tail === undefined ? left : [...left, ...Array(Math.max(0, 8 - given)).fill("0"), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

/**
 * Refuses a client address's request beyond its surface's per-minute limit: throws 429
 * `ip_rate_limited` with `Retry-After` (seconds until the window ends).
 */
export async function checkIpLimit(c: Context<AppEnv>, surface: Surface): Promise<void> {
  const limit = perMinuteLimit(c.env, surface);
  const address = limitAddress(c.req.header("cf-connecting-ip"));
  if (limit === 0 || !address) return;
  const decision = await new IpRateLimiter(c.env.RATE_LIMITER, c.var.services.logger).take(surface, address, limit);
  if (decision.ok) return;
  throw new ApiError(
    "ip_rate_limited",
    `More than ${limit} ${surface} requests per minute from this address; retry in ${decision.retryAfterSeconds} s`,
    {
      headers: { "Retry-After": String(decision.retryAfterSeconds) },
      details: { surface, limitPerMinute: limit, retryAfterSeconds: decision.retryAfterSeconds },
    },
  );
}

/**
 * `checkIpLimit` as middleware, to run before anything costly (body, CSRF, key lookup, password
 * hashing). Register it after the surface's CORS middleware so browsers can read the 429.
 */
export function ipRateLimit(surface: Surface | ((c: Context<AppEnv>) => Surface)): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await checkIpLimit(c, typeof surface === "function" ? surface(c) : surface);
    await next();
  };
}
