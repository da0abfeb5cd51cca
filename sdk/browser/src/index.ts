import { Client, getClient, type Options, setClient, uuid } from "@telemetry-tracker/core";
import { instrument } from "./instrument.ts";
import { browserTransport, localStorageQueue, tabSessionStore } from "./transport.ts";

export * from "@telemetry-tracker/core/public";
export { browserTransport, localStorageQueue } from "./transport.ts";

export interface BrowserOptions extends Options {
  /** Capture `error` and `unhandledrejection`. Default true. */
  captureErrors?: boolean;
  /** Breadcrumbs for console, fetch/XHR and navigation. Default true. */
  breadcrumbs?: boolean;
  /**
   * Start a session now, end it on `pagehide`, start a new one on return. A session whose page
   * vanished without `pagehide` (the tab crashed or was killed while visible) is sent as `abnormal`
   * when the tab loads the app again; one left hidden ends normally as of when it was hidden.
   * Default true.
   */
  autoSessions?: boolean;
  /** `$pageview` on load and on history navigation. Default true. */
  pageviews?: boolean;
  /**
   * `$web_vital` events (LCP, INP, CLS, FCP, TTFB) when the page is hidden: `{ name, value, rating,
   * route }` (milliseconds; CLS unitless; `route` the normalised path). Default false.
   */
  webVitals?: boolean;
  /** Keep undelivered items in localStorage and resend them later. Default true. */
  offlineQueue?: boolean;
}

export const SDK = { name: "@telemetry-tracker/browser", version: "0.1.0" };

function read(key: string, make: () => string): string {
  try {
    const v = localStorage.getItem(key) || make();
    localStorage.setItem(key, v);
    return v;
  } catch {
    return make();
  }
}

function device(): Record<string, string | undefined> {
  const ua = navigator.userAgent;
  return {
    browser: /(Edg|OPR|Firefox|Chrome|Safari)\/\d+/.exec(ua)?.[0],
    os: /Windows|Android|iPhone|iPad|Mac OS X|CrOS|Linux/.exec(ua)?.[0],
  };
}

/**
 * Starts Telemetry Tracker in the page: error capture, breadcrumbs, sessions, page views and the
 * offline queue. Calling it again replaces the client; the page hooks are installed once.
 *
 * @example
 * import { init, trackEvent } from "@telemetry-tracker/browser";
 * init({ ingestUrl: "https://ingest.example.com", apiKey: "tt_live_…", app: "web" });
 * trackEvent("signup", { plan: "pro" });
 */
export function init(options: BrowserOptions): Client | undefined {
  try {
    void getClient()?.shutdown();
    const o = { autoSessions: true, pageviews: true, offlineQueue: true, ...options };
    const client = new Client({
      platform: "web",
      ...o,
      transport: o.transport ?? browserTransport,
      sdk: SDK,
      anonymousId: read("tt_anon", uuid),
      url: () => location.href,
      device: device(),
      storage: o.offlineQueue ? localStorageQueue(o.maxQueueSize ?? 500) : undefined,
      sessionStore: o.sessionStore ?? tabSessionStore,
    });
    setClient(client);
    instrument(o);
    if (o.autoSessions) client.startSession();
    if (o.pageviews)
      client.trackEvent("$pageview", { referrer: document.referrer || undefined, title: document.title });
    return client;
  } catch {
    return undefined;
  }
}
