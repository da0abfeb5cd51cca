import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BACKOFF_BASE, DEFAULT_HOLD, normalizeRoute, Queue, Scope, SendPolicy, type WireItem } from "../src/index.ts";

// The client's parts on their own; the client's behaviour as a whole is in the other files.

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(1_000_000);
});
afterEach(() => vi.useRealTimers());

const item = (type: WireItem["type"], name = "x"): WireItem => ({ type, event_id: name, name });

describe("SendPolicy", () => {
  it("judges each kind of answer", () => {
    const policy = new SendPolicy();
    expect(policy.judge({ status: 202 }, ["event"])).toBe("sent");
    expect(policy.judge({ status: 413 }, ["event"])).toBe("split");
    expect(policy.judge({ status: 400 }, ["event"])).toBe("drop");
    expect(policy.judge({ status: 401 }, ["event"])).toBe("drop");
    for (const status of [0, 408, 500, 503]) expect(new SendPolicy().judge({ status }, ["event"])).toBe("retry");
    expect(policy.judge({ status: 429 }, ["event"])).toBe("hold");
  });

  it("holds only the answered categories, for Retry-After or the default", () => {
    const policy = new SendPolicy();
    policy.judge({ status: 429, retryAfter: "7" }, ["error"]);
    expect(policy.isHeld("error")).toBe(true);
    expect(policy.isHeld("event")).toBe(false);
    expect(policy.releaseAt(["error"])).toBe(Date.now() + 7000);
    policy.judge({ status: 429 }, ["event"]);
    expect(policy.releaseAt(["event"])).toBe(Date.now() + DEFAULT_HOLD);
    expect(policy.releaseAt(["event", "session"])).toBe(0);
  });

  it("spares sessions when a mixed batch is over quota", () => {
    const policy = new SendPolicy();
    policy.judge({ status: 429, code: "quota_exceeded" }, ["event", "session"]);
    expect(policy.isHeld("event")).toBe(true);
    expect(policy.isHeld("session")).toBe(false);
  });

  it("backs off exponentially with jitter and resets on success", () => {
    vi.spyOn(Math, "random").mockReturnValue(1); // no jitter: the full backoff
    const policy = new SendPolicy();
    policy.judge({ status: 503 }, ["event"]);
    expect(policy.retryAt - Date.now()).toBe(BACKOFF_BASE);
    policy.judge({ status: 503 }, ["event"]);
    expect(policy.retryAt - Date.now()).toBe(2 * BACKOFF_BASE);
    policy.judge({ status: 503, retryAfter: "30" }, ["event"]);
    expect(policy.retryAt - Date.now()).toBe(30_000);
    policy.judge({ status: 202 }, ["event"]);
    expect(policy.retryAt).toBe(0);
    policy.judge({ status: 503 }, ["event"]);
    expect(policy.retryAt - Date.now()).toBe(BACKOFF_BASE);
  });
});

describe("Queue", () => {
  it("drops the oldest beyond the bound and takes around held categories", () => {
    const queue = new Queue();
    expect(queue.push(item("event", "a"), 3)).toBe(0);
    queue.push(item("error", "b"), 3);
    queue.push(item("event", "c"), 3);
    expect(queue.push(item("session", "d"), 3)).toBe(1);
    const batch = queue.take(10, (category) => category === "error");
    expect(batch.map((entry) => entry.item.name)).toEqual(["c", "d"]);
    expect(queue.categories()).toEqual(["error"]);
    queue.putBack(batch);
    expect(queue.entries.map((entry) => entry.item.name)).toEqual(["c", "d", "b"]);
  });

  it("mirrors what waits to storage, and clears it once when empty", () => {
    const saved: string[][] = [];
    const storage = {
      load: () => [item("event", "old")],
      save: (items: WireItem[]) => saved.push(items.map((i) => i.event_id)),
    };
    const queue = new Queue(storage);
    expect(queue.length).toBe(1);
    queue.take(10, () => false);
    queue.persist();
    queue.persist();
    expect(saved).toEqual([[]]);
  });
});

describe("Scope", () => {
  const options = {
    ingestUrl: "https://i.test",
    apiKey: "k",
    app: "web",
    release: "1.0",
    environment: "prod",
    transport: async () => ({ status: 202 }),
  };

  it("stamps items with the user, the session and the app's release and environment", () => {
    const scope = new Scope(options);
    scope.userId = "u1";
    const start = scope.startSession();
    const event = scope.item("event", { name: "e" });
    expect(event).toMatchObject({
      app: "web",
      release: "1.0",
      environment: "prod",
      user_id: "u1",
      session_id: start.session_id,
    });
    expect(start).toMatchObject({
      type: "session",
      action: "start",
      status: "ok",
      release: "1.0",
      environment: "prod",
    });
  });

  it("worsens the session's status once, never back from crashed, and ends it", () => {
    const scope = new Scope(options);
    expect(scope.markSession("errored")).toBeUndefined(); // no session
    scope.startSession();
    expect(scope.markSession("errored")).toMatchObject({ action: "update", status: "errored" });
    expect(scope.markSession("errored")).toBeUndefined();
    expect(scope.markSession("crashed")).toMatchObject({ status: "crashed" });
    expect(scope.markSession("errored")).toBeUndefined();
    expect(scope.endSession()).toMatchObject({ action: "end", status: "crashed" });
    expect(scope.session).toBeUndefined();
  });

  it("keeps the newest breadcrumbs up to the bound", () => {
    const scope = new Scope({ ...options, maxBreadcrumbs: 2 });
    for (const message of ["a", "b", "c"]) scope.addBreadcrumb({ message });
    expect(scope.breadcrumbs.map((crumb) => crumb.message)).toEqual(["b", "c"]);
  });
});

describe("normalizeRoute", () => {
  it("drops the query and fragment and turns numeric, UUID and hex segments into :id", () => {
    expect(normalizeRoute("/orders/42?tab=2#top")).toBe("/orders/:id");
    expect(normalizeRoute("/u/3f1c9a2e-5b7d-4e0a-9c1b-2d3e4f5a6b7c/files/deadbeef01")).toBe("/u/:id/files/:id");
    expect(normalizeRoute("/users/:id/settings")).toBe("/users/:id/settings");
    // Words and short hex-looking names are kept: only 8+ hex characters count as an id.
    expect(normalizeRoute("/cafe/beef/v2/abc123")).toBe("/cafe/beef/v2/abc123");
    expect(normalizeRoute("")).toBe("/");
    expect(normalizeRoute("?only=query")).toBe("/");
  });
});
