import type { Transport } from "./types.ts";

/**
 * Milliseconds a `Retry-After` header asks for (delta-seconds or an HTTP date); `undefined` when
 * absent or unreadable, so the caller picks its own default.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/**
 * The universal transport: `fetch` with a bearer key and a JSON body. Used by Node, Workers and
 * React Native; the browser sends `text/plain` instead to avoid a CORS preflight.
 *
 * @example
 * const client = new Client({ ...options, transport: fetchTransport });
 */
export const fetchTransport: Transport = async ({ url, body, apiKey, keepalive }) => {
  const res = await fetch(url, {
    method: "POST",
    body,
    keepalive: keepalive || undefined,
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey}` },
  });
  // Read the body either way: an unread body holds the connection open in undici.
  const json = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
  return { status: res.status, retryAfter: res.headers.get("retry-after"), code: json?.error?.code };
};
