import { type Item, type Receiver, startReceiver } from "@telemetry-tracker/test-support";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { bundleSdk, launch, startSite } from "./chromium.ts";

type TT = typeof import("../src/index.ts");
declare const TT: TT;

let site: { url: string; stop: () => Promise<void> };
let browser: { context: BrowserContext; close: () => Promise<void> };
let receiver: Receiver;
let page: Page;

beforeAll(async () => {
  site = await startSite(await bundleSdk());
});
afterAll(async () => {
  await browser?.close();
  await site?.stop();
});
beforeEach(async () => {
  // Launched here, not in beforeAll, so a missing Chromium fails every test instead of skipping them.
  browser ??= await launch();
  receiver = await startReceiver();
  page = await browser.context.newPage();
  await page.goto(site.url);
  await page.evaluate(
    ([ingestUrl, apiKey]) => {
      localStorage.clear();
      TT.init({ ingestUrl, apiKey, app: "browser-it", release: "web@1", flushInterval: 200 });
    },
    [receiver.url, receiver.apiKey],
  );
});
afterEach(async () => {
  await page?.close();
  await receiver?.stop();
});

const named = (items: Item[], name: string) => items.filter((i) => i.name === name);

/**
 * From the next load on, the page's `pagehide` and `visibilitychange` never reach the SDK, as when the
 * tab's process is killed (no script runs) and the tab later loads the page again; the tab's
 * sessionStorage survives. The blocker is installed before the SDK's own listeners (Chromium calls a
 * target's listeners in the order they were added). Chromium's real renderer crash (CDP
 * `Page.crash`) leaves a page Playwright refuses to drive again.
 */
async function pageWillVanish(tab: Page): Promise<void> {
  await tab.addInitScript(() => {
    for (const type of ["pagehide", "visibilitychange"])
      addEventListener(type, (event) => event.stopImmediatePropagation(), { capture: true });
  });
  await tab.reload();
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("browser SDK in Chromium", () => {
  it("captures an uncaught error and a rejected promise with breadcrumbs, without a preflight", async () => {
    await page.evaluate(async () => {
      console.log("before the crash", { step: 1 });
      await fetch("/ping");
      history.pushState({}, "", "/checkout");
      setTimeout(() => {
        throw new TypeError("boom from a timer");
      });
      Promise.reject(new Error("rejected on purpose"));
    });
    await receiver.waitFor((items) => items.filter((i) => i.type === "error").length >= 2, 10_000);
    const errors = receiver.accepted.filter((i) => i.type === "error");
    const boom = errors.find((e) => e.message === "boom from a timer");
    const rejected = errors.find((e) => e.message === "rejected on purpose");
    expect(boom).toMatchObject({
      error_type: "TypeError",
      handled: false,
      app: "browser-it",
      release: "web@1",
      platform: "web",
    });
    expect(rejected).toMatchObject({ error_type: "Error", handled: false });
    expect(String(boom?.url)).toBe(`${site.url}/checkout`);
    expect(boom?.frames).toEqual(
      expect.arrayContaining([expect.objectContaining({ line: expect.any(Number), in_app: true })]),
    );
    const crumbs = boom?.breadcrumbs as { category: string; message?: string; data?: Record<string, unknown> }[];
    expect(crumbs.find((c) => c.category === "console")?.message).toBe('before the crash {"step":1}');
    expect(crumbs.find((c) => c.category === "fetch")?.data).toMatchObject({
      method: "GET",
      status: 200,
      url: `${site.url}/ping`,
    });
    expect(crumbs.find((c) => c.category === "navigation")?.data).toMatchObject({ to: `${site.url}/checkout` });
    expect(rejected?.breadcrumbs).toEqual(expect.arrayContaining([expect.objectContaining({ category: "console" })]));
    // the SDK's own requests leave no fetch breadcrumbs
    expect(crumbs.some((c) => String(c.data?.url).startsWith(receiver.url))).toBe(false);
    expect(receiver.requests.every((r) => r.auth === "query" && r.contentType === "text/plain")).toBe(true);
    expect(receiver.preflights).toBe(0);
    expect(receiver.accepted.find((i) => i.type === "session")).toMatchObject({ action: "start", status: "ok" });
    expect(named(receiver.accepted, "$pageview").length).toBeGreaterThanOrEqual(2); // load + pushState
    // Nothing on the page caught them: the page's crash, so fatal, and the session crashed.
    expect(boom).toMatchObject({ level: "fatal" });
    const session = receiver.accepted.find((i) => i.type === "session" && i.action === "update");
    expect(session?.status).toBe("crashed");
  });

  it("a handled error makes the session errored; it ends errored with the page", async () => {
    const sid = await page.evaluate(() => {
      TT.captureException(new Error("caught by the app"));
      return TT.getClient()?.scope.session?.session_id;
    });
    await page.goto("about:blank");
    await receiver.waitFor((items) => items.some((i) => i.type === "session" && i.action === "end"), 10_000);
    const end = receiver.accepted.find((i) => i.type === "session" && i.action === "end");
    expect(end).toMatchObject({ session_id: sid, status: "errored", release: "web@1" });
  });

  it("a page that vanished while in use has its session closed as abnormal when the tab loads the app again", async () => {
    const init = (release: string) =>
      page.evaluate(
        ([ingestUrl, apiKey, release]) => {
          TT.init({ ingestUrl, apiKey, app: "browser-it", release, flushInterval: 200 });
          return TT.getClient()?.scope.session?.session_id;
        },
        [receiver.url, receiver.apiKey, release],
      );
    await pageWillVanish(page);
    const sid = await init("web@1");
    await page.reload();
    const next = await init("web@2");
    await receiver.waitFor(
      (items) =>
        items.some((i) => i.session_id === sid && i.action === "end") && items.some((i) => i.session_id === next),
      10_000,
    );
    const closed = receiver.accepted.find((i) => i.session_id === sid && i.action === "end");
    // The session belongs to the release that ran it, not to the one that closed it.
    expect(closed).toMatchObject({ status: "abnormal", release: "web@1", app: "browser-it" });
    expect(typeof closed?.ended_at).toBe("string");
    const fresh = receiver.accepted.find((i) => i.session_id === next && i.action === "start");
    expect(fresh).toMatchObject({ status: "ok", release: "web@2" });
  });

  it("queues while offline (persisting to localStorage) and delivers each item exactly once when back online", async () => {
    await receiver.waitFor((items) => named(items, "$pageview").length === 1);
    await browser.context.setOffline(true);
    const ids = await page.evaluate(() => {
      const ids = [TT.trackEvent("offline-1"), TT.trackEvent("offline-2"), TT.trackEvent("offline-3")];
      void TT.flush();
      return ids;
    });
    await sleep(3000); // long enough for the retry backoff to grow past a second
    expect(receiver.accepted.filter((i) => ids.includes(i.event_id))).toHaveLength(0);
    const stored = await page.evaluate(() =>
      Object.keys(localStorage)
        .filter((k) => k.startsWith("tt_q"))
        .flatMap((k) => JSON.parse(localStorage.getItem(k) ?? "[]").map((i: { name: string }) => i.name)),
    );
    expect(stored).toEqual(["offline-1", "offline-2", "offline-3"]);

    await browser.context.setOffline(false);
    const back = Date.now();
    await receiver.waitFor((items) => ids.every((id) => items.some((i) => i.event_id === id)), 10_000);
    // Sent on the `online` event, not whenever the backoff timer happens to fire.
    expect(Date.now() - back).toBeLessThan(1000);
    await sleep(1500); // room for any duplicate to arrive
    for (const id of ids) expect(receiver.accepted.filter((i) => i.event_id === id)).toHaveLength(1);
    const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("tt_q")).length);
    expect(left).toBe(0);
  });

  it("ends the session with a beacon when the page goes away", async () => {
    const sid = await page.evaluate(() => TT.getClient()?.scope.session?.session_id);
    await page.evaluate(() => TT.trackEvent("last-words"));
    await page.goto("about:blank");
    await receiver.waitFor((items) => items.some((i) => i.type === "session" && i.action === "end"), 10_000);
    const end = receiver.accepted.find((i) => i.type === "session" && i.action === "end");
    expect(end).toMatchObject({ session_id: sid, status: "ok" });
    expect(typeof end?.ended_at).toBe("string");
    expect(named(receiver.accepted, "last-words")).toHaveLength(1);
  });
});

describe("browser SDK in Chromium: opt-ins", () => {
  it("reports Web Vitals as $web_vital events when the page is hidden, and XHR breadcrumbs", async () => {
    await page.goto(`${site.url}/?vitals`);
    await page.evaluate(
      async ([ingestUrl, apiKey]) => {
        TT.init({ ingestUrl, apiKey, app: "browser-it", webVitals: true, flushInterval: 200 });
        await new Promise<void>((resolve) => {
          const x = new XMLHttpRequest();
          x.open("GET", "/ping");
          x.onloadend = () => resolve();
          x.send();
        });
        TT.captureMessage("after xhr");
      },
      [receiver.url, receiver.apiKey],
    );
    await page.goto("about:blank");
    await receiver.waitFor((items) => named(items, "$web_vital").length > 0, 10_000);
    const vitals = named(receiver.accepted, "$web_vital").map(
      (i) => i.properties as { name: string; value: number; rating: string; route: string },
    );
    const ttfb = vitals.find((v) => v.name === "TTFB");
    expect(ttfb?.value).toBeGreaterThanOrEqual(0);
    // A local page answers well within Google's 800 ms for a good TTFB.
    expect(ttfb?.rating).toBe("good");
    expect(vitals.find((v) => v.name === "FCP")?.value).toBeGreaterThan(0);
    for (const v of vitals) {
      expect(["LCP", "INP", "CLS", "FCP", "TTFB"]).toContain(v.name);
      expect(["good", "needs-improvement", "poor"]).toContain(v.rating);
      expect(v.route).toBe("/");
    }
    const msg = receiver.accepted.find((i) => i.message === "after xhr");
    expect(msg?.breadcrumbs).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ category: "xhr", data: expect.objectContaining({ method: "GET", status: 200 }) }),
      ]),
    );
  });
});

describe("browser SDK against the ingest target", () => {
  it("a page's events and uncaught error are stored; its session crashed; a vanished one is abnormal", async () => {
    const { startTarget } = await import("@telemetry-tracker/test-support");
    const target = await startTarget();
    try {
      await page.goto(`${site.url}/?target`);
      const [id, crashedId] = await page.evaluate(
        ([ingestUrl, apiKey]) => {
          TT.init({
            ingestUrl,
            apiKey,
            app: "browser-target",
            release: "web@7",
            environment: "prod",
            flushInterval: 100,
          });
          setTimeout(() => {
            throw new Error("page error for the target");
          });
          return [TT.trackEvent("target-event", { ok: true }), TT.getClient()?.scope.session?.session_id];
        },
        [target.ingestUrl, target.apiKey],
      );
      const stored = await target.stored(
        (items) => items.some((i) => i.type === "error") && items.some((i) => i.event_id === id),
      );
      expect(stored.find((i) => i.event_id === id)).toMatchObject({
        name: "target-event",
        app: "browser-target",
        properties: { ok: true },
      });
      expect(stored.find((i) => i.type === "error")).toMatchObject({
        message: "page error for the target",
        handled: false,
        level: "fatal",
        release: "web@7",
        environment: "prod",
      });
      const crashed = await target.stored((items) =>
        items.some((i) => i.session_id === crashedId && i.status === "crashed"),
      );
      expect(crashed.find((i) => i.type === "session" && i.session_id === crashedId)).toMatchObject({
        status: "crashed",
        release: "web@7",
        environment: "prod",
      });

      // The tab's next page vanishes while in use; loading the app again closes that session abnormal.
      await pageWillVanish(page);
      const init = (release: string) =>
        page.evaluate(
          ([ingestUrl, apiKey, release]) => {
            TT.init({ ingestUrl, apiKey, app: "browser-target", release, environment: "prod", flushInterval: 100 });
            return TT.getClient()?.scope.session?.session_id;
          },
          [target.ingestUrl, target.apiKey, release],
        );
      const vanished = await init("web@7");
      await page.reload();
      await init("web@8");
      const after = await target.stored((items) =>
        items.some((i) => i.session_id === vanished && i.status === "abnormal"),
      );
      expect(after.find((i) => i.type === "session" && i.session_id === vanished)).toMatchObject({
        status: "abnormal",
        release: "web@7",
        ended_at: expect.any(String),
      });
    } finally {
      await target.stop();
    }
  });
});
