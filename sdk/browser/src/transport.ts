import type { QueueStorage, SessionStore, Transport, WireItem } from "@telemetry-tracker/core";

// Captured before the fetch breadcrumb wrapper goes in, so the SDK's own requests leave no crumbs.
const nativeFetch = typeof fetch === "function" ? fetch.bind(globalThis) : undefined;

/**
 * Sends a batch without a CORS preflight: key in `?api_key=`, body as `text/plain`. When the page
 * is going away it uses `sendBeacon`, which the browser delivers after the page is gone; otherwise a
 * `keepalive` fetch (under the 64 KB keepalive allowance) so a send in flight survives navigation.
 */
export const browserTransport: Transport = async ({ url, body, apiKey, keepalive }) => {
  if (navigator.onLine === false) return { status: 0, offline: true };
  const target = `${url}?api_key=${encodeURIComponent(apiKey)}`;
  if (keepalive && navigator.sendBeacon?.(target, new Blob([body], { type: "text/plain" }))) return { status: 202 };
  const res = await (nativeFetch as typeof fetch)(target, {
    method: "POST",
    body,
    headers: { "content-type": "text/plain" },
    credentials: "omit",
    keepalive: body.length < 60_000,
  });
  const json = (await res.json().catch(() => null)) as { error?: { code?: string } } | null;
  return { status: res.status, retryAfter: res.headers.get("retry-after"), code: json?.error?.code };
};

const PREFIX = "tt_q";

/**
 * The offline queue in `localStorage`, one key per page load. Loading claims every key (also those
 * of pages that closed while offline), so nothing is stranded; the SDK only writes while items are
 * failing, which keeps two open tabs from routinely claiming each other's queue.
 */
export function localStorageQueue(max: number): QueueStorage {
  const own = `${PREFIX}${Math.random().toString(36).slice(2)}`;
  return {
    load() {
      const items: WireItem[] = [];
      const keys = Object.keys(localStorage).filter((k) => k.startsWith(PREFIX));
      for (const k of keys) {
        try {
          items.push(...JSON.parse(localStorage.getItem(k) ?? "[]"));
        } catch {}
        localStorage.removeItem(k);
      }
      return items.slice(-max);
    },
    save(items) {
      if (items.length) localStorage.setItem(own, JSON.stringify(items));
      else localStorage.removeItem(own);
    },
  };
}

/**
 * The session in progress in `sessionStorage`: per tab (another tab's live session is never taken
 * for an abandoned one) and kept across a reload or a restored tab, which is when a session that
 * vanished with its page can be closed as `abnormal`. A duplicated tab copies it, and would close the
 * original's session early: a rare cost for not mistaking every other open tab for a vanished one.
 */
export const tabSessionStore: SessionStore = {
  load: () => JSON.parse(sessionStorage.tt_s || "null"),
  save: (item) => {
    if (item) sessionStorage.tt_s = JSON.stringify(item);
    else delete sessionStorage.tt_s;
  },
};
