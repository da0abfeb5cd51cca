/** Outbound request limits (README "Alerts"). */
export const OUTBOUND = { timeoutMs: 10_000 } as const;

function ipv4Parts(host: string): number[] | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part))) return null;
  const numbers = parts.map(Number);
  return numbers.every((n) => n <= 255) ? numbers : null;
}

/** Loopback, private, link-local, shared (CGNAT), unspecified, multicast and reserved IPv4. */
function isPrivateIpv4([a, b]: number[]): boolean {
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) ||
    (a === 198 && (b === 18 || b === 19)) ||
    a >= 224
  );
}

function isPrivateIpv6(host: string): boolean {
  const address = host.replace(/^\[|\]$/g, "").toLowerCase();
  if (address === "::" || address === "::1") return true;
  // IPv4-mapped (::ffff:a.b.c.d, which URL normalises to ::ffff:xxxx:xxxx).
  const mapped = address.match(/^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
  if (mapped) {
    const high = Number.parseInt(mapped[1], 16);
    const low = Number.parseInt(mapped[2], 16);
    return isPrivateIpv4([high >> 8, high & 255, low >> 8, low & 255]);
  }
  if (address.startsWith("::ffff:")) return true;
  const first = Number.parseInt(address.split(":")[0] || "0", 16);
  // fc00::/7 unique local, fe80::/10 link-local, ff00::/8 multicast.
  return (first & 0xfe00) === 0xfc00 || (first & 0xffc0) === 0xfe80 || (first & 0xff00) === 0xff00;
}

/**
 * Why a webhook URL may not be used, or null when it may. In production: https only, and no host
 * that names this machine or a private network (SSRF). Outside production http and loopback are
 * allowed, so local receivers and the tests work. Checked when a destination is saved and again
 * before every request (rules can change between the two).
 */
export function unsafeUrlReason(raw: string, production: boolean): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "not a valid URL";
  }
  if (url.username || url.password) return "credentials in the URL are not allowed";
  if (production ? url.protocol !== "https:" : url.protocol !== "https:" && url.protocol !== "http:") {
    return production ? "must be https" : "must be http or https";
  }
  if (!production) return null;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal")) {
    return "host is not public";
  }
  const v4 = ipv4Parts(host);
  if (v4 && isPrivateIpv4(v4)) return "address is private, loopback or link-local";
  if (host.startsWith("[") && isPrivateIpv6(host)) return "address is private, loopback or link-local";
  if (!host.includes(".") && !host.startsWith("[")) return "host is not public";
  return null;
}

export interface SendResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** One POST: no redirects followed (a 3xx is a failure), aborted after `timeoutMs`. */
export async function postJson(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { production: boolean; timeoutMs?: number },
): Promise<SendResult> {
  const started = Date.now();
  const refused = unsafeUrlReason(url, options.production);
  if (refused) return { ok: false, statusCode: null, error: `refused: ${refused}`, durationMs: 0 };
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "TelemetryTracker-Alerts/1", ...headers },
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(options.timeoutMs ?? OUTBOUND.timeoutMs),
    });
    // The body is not needed; cancel it so the connection is released at once.
    await response.body?.cancel().catch(() => {});
    const durationMs = Date.now() - started;
    if (response.status >= 300 && response.status < 400) {
      return { ok: false, statusCode: response.status, error: "redirect not followed", durationMs };
    }
    return {
      ok: response.ok,
      statusCode: response.status,
      error: response.ok ? null : `HTTP ${response.status}`,
      durationMs,
    };
  } catch (error) {
    const name = (error as Error)?.name;
    const message =
      name === "TimeoutError" || name === "AbortError" ? "timed out" : String((error as Error)?.message ?? error);
    return { ok: false, statusCode: null, error: message.slice(0, 500), durationMs: Date.now() - started };
  }
}
