import {
  addBreadcrumb,
  captureException,
  getClient,
  type Level,
  normalizeRoute,
  trackEvent,
} from "@telemetry-tracker/core";
import type { BrowserOptions } from "./index.ts";

let installed = false;
// Options of the latest init: hooks are installed once, but a re-init may change what they do.
let o: BrowserOptions;
let report: (() => void) | undefined;

const crumb = (category: string, message?: string, data?: Record<string, unknown>, level?: Level) =>
  addBreadcrumb({ category, message, data, level });

/** Replaces `obj[name]` with a wrapper built from the original; wrappers must call through. */
function wrap<T extends object, K extends keyof T>(obj: T, name: K, make: (orig: T[K]) => T[K]): void {
  const orig = obj[name];
  if (typeof orig === "function") obj[name] = make(orig);
}

// Google's thresholds (web.dev/articles/vitals): good up to the first, poor above the second. The
// Worker derives the same rating again at ingest.
const LIMITS: Record<string, [number, number]> = {
  LCP: [2500, 4000],
  INP: [200, 500],
  CLS: [0.1, 0.25],
  FCP: [1800, 3000],
  TTFB: [800, 1800],
};

function vitals(): () => void {
  const v: Record<string, number> = {};
  const observe = (type: string, cb: (e: PerformanceEntry & Record<string, number>) => void, extra = {}) => {
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) cb(e as PerformanceEntry & Record<string, number>);
      }).observe({ type, buffered: true, ...extra });
    } catch {}
  };
  observe("largest-contentful-paint", (e) => {
    v.LCP = e.startTime;
  });
  observe("layout-shift", (e) => {
    if (!e.hadRecentInput) v.CLS = (v.CLS ?? 0) + e.value;
  });
  // INP approximated as the slowest interaction seen; web-vitals' p98 only differs on very busy pages.
  observe(
    "event",
    (e) => {
      if (e.interactionId) v.INP = Math.max(v.INP ?? 0, e.duration);
    },
    { durationThreshold: 40 },
  );
  observe("navigation", (e) => {
    v.TTFB = e.responseStart;
  });
  observe("paint", (e) => {
    if (e.name === "first-contentful-paint") v.FCP = e.startTime;
  });
  return () => {
    for (const name in v) {
      const value = Math.round(v[name] * 1000) / 1000;
      const [good, poor] = LIMITS[name];
      trackEvent("$web_vital", {
        name,
        value,
        rating: value <= good ? "good" : value <= poor ? "needs-improvement" : "poor",
        route: normalizeRoute(location.pathname),
      });
      delete v[name];
    }
  };
}

/** Installs the page hooks once; they talk to whichever client `init` installed last. */
export function instrument(options: BrowserOptions): void {
  o = options;
  if (o.webVitals && !report) report = vitals();
  if (installed) return;
  installed = true;
  const on = addEventListener;
  const flushOut = () => getClient()?.flush(undefined, true);

  // An error nothing on the page caught is the page's crash: fatal, so the session counts as crashed.
  const uncaught = (error: unknown, mechanism: string) =>
    o.captureErrors !== false && captureException(error, { handled: false, level: "fatal", mechanism });
  on("error", (e) => uncaught(e.error ?? e.message, "onerror"));
  on("unhandledrejection", (e) => uncaught(e.reason, "unhandledrejection"));
  on("online", () => getClient()?.flush());
  on("visibilitychange", () => {
    const hidden = document.visibilityState === "hidden";
    getClient()?.scope.suspendSession(hidden);
    if (hidden) {
      report?.();
      flushOut();
    }
  });
  on("pagehide", () => {
    report?.();
    if (o.autoSessions) getClient()?.endSession();
    flushOut();
  });
  on("pageshow", (e) => {
    if (e.persisted && o.autoSessions) getClient()?.startSession();
  });

  const page = () => {
    if (o.pageviews) trackEvent("$pageview", { title: document.title });
  };
  let last = location.href;
  const navigated = () => {
    const to = location.href;
    if (to === last) return;
    crumb("navigation", undefined, { from: last, to });
    last = to;
    page();
  };
  on("popstate", navigated);
  for (const m of ["pushState", "replaceState"] as const) {
    wrap(
      history,
      m,
      (orig) =>
        function (this: History, ...args: Parameters<History["pushState"]>) {
          const r = orig.apply(this, args);
          navigated();
          return r;
        },
    );
  }

  // Wrapping is permanent; whether a crumb is kept is decided per call by the current options.
  const crumbsOn = () => o.breadcrumbs !== false;
  for (const level of ["debug", "info", "log", "warn", "error"] as const) {
    wrap(console, level, (orig) => (...args: unknown[]) => {
      try {
        if (crumbsOn())
          crumb(
            "console",
            args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" "),
            undefined,
            level === "warn" ? "warning" : level === "log" ? "info" : level,
          );
      } catch {}
      orig.apply(console, args);
    });
  }
  wrap(globalThis, "fetch", (orig) => (input: RequestInfo | URL, init?: RequestInit) => {
    const p = orig(input, init);
    try {
      const url = new URL(String(input instanceof Request ? input.url : input), location.href).href;
      const method = (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
      if (crumbsOn() && !url.startsWith(o.ingestUrl))
        p.then(
          (r) => crumb("fetch", undefined, { method, url, status: r.status }),
          (e) => crumb("fetch", undefined, { method, url, error: String(e) }, "error"),
        );
    } catch {}
    return p;
  });
  const X = typeof XMLHttpRequest === "function" ? XMLHttpRequest.prototype : undefined;
  if (X) {
    wrap(
      X,
      "open",
      (orig) =>
        function (this: XMLHttpRequest, method: string, url: string | URL, ...rest: unknown[]) {
          this.addEventListener("loadend", () => {
            if (crumbsOn())
              crumb("xhr", undefined, { method: String(method).toUpperCase(), url: String(url), status: this.status });
          });
          return (orig as (...a: unknown[]) => void).call(this, method, url, ...rest);
        } as XMLHttpRequest["open"],
    );
  }
}
