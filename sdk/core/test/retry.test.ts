import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { WireItem } from "../src/index.ts";
import { fakeTransport, makeClient, names } from "./helpers.ts";

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

/** Times (ms since start) of every transport call. */
const times = (calls: { at: number }[]) => calls.map((c) => c.at);

describe("retry with exponential backoff and jitter", () => {
  it("doubles the wait from 1 s up to the 60 s cap on 5xx (jitter at its maximum)", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999999);
    const { client, calls } = makeClient(
      { maxRetries: 20 },
      fakeTransport(() => ({ status: 503 })),
    );
    client.trackEvent("x");
    await client.flush();
    await vi.advanceTimersByTimeAsync(200_000);
    const gaps = times(calls).map((t, i, a) => (i ? t - a[i - 1] : t));
    expect(gaps.slice(0, 9).map((g) => Math.round(g / 1000))).toEqual([0, 1, 2, 4, 8, 16, 32, 60, 60]);
  });

  it("waits only half the backoff at jitter's minimum, so clients spread out", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { client, calls } = makeClient(
      {},
      fakeTransport(() => new Error("ECONNRESET")),
    );
    client.trackEvent("x");
    await client.flush();
    await vi.advanceTimersByTimeAsync(3_600);
    expect(times(calls)).toEqual([0, 500, 1500, 3500]);
  });

  it("retries network errors, 408 and 5xx, then delivers once the server recovers", async () => {
    const script = [new Error("offline"), { status: 408 }, { status: 500 }, { status: 502 }, { status: 202 }];
    const t = fakeTransport((_items, n) => script[n - 1]);
    const { client, calls, sent } = makeClient({}, t);
    client.trackEvent("a");
    client.trackEvent("b");
    await client.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toHaveLength(5);
    expect(names(sent().slice(-2))).toEqual(["a", "b"]);
    expect(client.stats.sent).toBe(2);
    expect(client.pending).toBe(0);
  });

  it("honours a 503's Retry-After when it is longer than the backoff", async () => {
    const t = fakeTransport((_i, n) => (n === 1 ? { status: 503, retryAfter: "30" } : { status: 202 }));
    const { client, calls } = makeClient({}, t);
    client.trackEvent("x");
    await client.flush();
    await vi.advanceTimersByTimeAsync(29_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
  });

  it("does not hammer a failing server when items keep arriving during the backoff", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0.999999);
    const { client, calls } = makeClient(
      { batchSize: 2 },
      fakeTransport(() => ({ status: 503 })),
    );
    client.trackEvent("a");
    client.trackEvent("b");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    for (let i = 0; i < 20; i++) client.trackEvent(`more${i}`);
    await vi.advanceTimersByTimeAsync(900);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(2);
  });

  it("drops items after maxRetries failed attempts, counting the reason", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const { client, calls } = makeClient(
      { maxRetries: 2 },
      fakeTransport(() => ({ status: 500 })),
    );
    client.trackEvent("x");
    await client.flush();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(calls).toHaveLength(3);
    expect(client.stats.dropped.retries_exhausted).toBe(1);
    expect(client.pending).toBe(0);
  });

  it("does not use up retries while the platform reports it is offline", async () => {
    let offline = true;
    const t = fakeTransport(() => (offline ? { status: 0, offline: true } : { status: 202 }));
    const { client } = makeClient({ maxRetries: 1 }, t);
    client.trackEvent("x");
    for (let i = 0; i < 5; i++) await client.flush();
    expect(client.stats.dropped.retries_exhausted).toBeUndefined();
    offline = false;
    await client.flush();
    expect(client.stats.sent).toBe(1);
  });

  it("explicit flush() ignores the backoff (a process about to exit gets one more try)", async () => {
    const t = fakeTransport((_i, n) => (n === 1 ? { status: 503 } : { status: 202 }));
    const { client, calls } = makeClient({}, t);
    client.trackEvent("x");
    await client.flush();
    await expect(client.flush()).resolves.toBe(true);
    expect(calls).toHaveLength(2);
  });
});

describe("429 and Retry-After per category", () => {
  it("holds only the refused category for Retry-After seconds; others keep flowing", async () => {
    const t = fakeTransport((items) =>
      items.some((i) => i.type === "error") && Date.now() < 10_000
        ? { status: 429, retryAfter: "10", code: "rate_limited" }
        : { status: 202 },
    );
    const { client, calls, sent } = makeClient({}, t);
    client.captureException(new Error("e1"));
    await client.flush();
    client.trackEvent("ev1");
    await client.flush();
    expect(names(sent())).toEqual(["e1", "ev1"]); // e1 was refused once, ev1 went alone
    expect(calls[1].items.map((i) => i.type)).toEqual(["event"]);
    client.captureException(new Error("e2"));
    await client.flush();
    expect(calls).toHaveLength(2); // errors still held: nothing sent
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(3);
    expect(names(calls[2].items)).toEqual(["e1", "e2"]);
    expect(client.pending).toBe(0);
  });

  it("holds for 60 s when a 429 has no Retry-After", async () => {
    const t = fakeTransport((_i, n) => (n === 1 ? { status: 429 } : { status: 202 }));
    const { client, calls } = makeClient({}, t);
    client.trackEvent("x");
    await client.flush();
    await vi.advanceTimersByTimeAsync(59_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
  });

  it("accepts an HTTP-date Retry-After", async () => {
    const when = new Date(20_000).toUTCString();
    const t = fakeTransport((_i, n) => (n === 1 ? { status: 429, retryAfter: when } : { status: 202 }));
    const { client, calls } = makeClient({}, t);
    client.trackEvent("x");
    await client.flush();
    await vi.advanceTimersByTimeAsync(19_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
  });

  it("lets session updates through when the monthly quota is exhausted (they are free)", async () => {
    const t = fakeTransport((items) =>
      items.some((i) => i.type !== "session")
        ? { status: 429, retryAfter: "86400", code: "quota_exceeded" }
        : { status: 202 },
    );
    const { client, calls } = makeClient({}, t);
    client.startSession();
    client.trackEvent("x");
    client.endSession();
    await client.flush();
    expect(calls).toHaveLength(2);
    expect(calls[1].items.map((i) => i.action)).toEqual(["start", "end"]);
    expect(client.pending).toBe(1); // the event waits for the quota to reset
  });
});

describe("413 splits the batch", () => {
  it("halves until each part fits, delivering every item exactly once", async () => {
    const t = fakeTransport((items) => (items.length > 3 ? { status: 413 } : { status: 202 }));
    const { client, calls } = makeClient({ batchSize: 10 }, t);
    for (let i = 0; i < 10; i++) client.trackEvent(`e${i}`);
    await client.flush();
    expect(calls.map((c) => c.items.length)).toEqual([10, 5, 2, 3, 5, 2, 3]);
    const delivered = calls.filter((c) => c.items.length <= 3).flatMap((c) => c.items);
    expect(names(delivered)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    expect(client.stats.sent).toBe(10);
  });

  it("drops a single item the server still finds too large, counting it", async () => {
    const t = fakeTransport((items) =>
      items.some((i) => (i.properties as { big?: string } | undefined)?.big) ? { status: 413 } : { status: 202 },
    );
    const { client } = makeClient({}, t);
    client.trackEvent("small1");
    client.trackEvent("huge", { big: "x".repeat(5000) });
    client.trackEvent("small2");
    await client.flush();
    expect(client.stats.dropped.too_large).toBe(1);
    expect(client.stats.sent).toBe(2);
  });

  it("keeps the unsent half when a split part then fails transiently", async () => {
    const t = fakeTransport((items, n) =>
      items.length > 2 ? { status: 413 } : n === 2 ? { status: 503 } : { status: 202 },
    );
    const { client } = makeClient({}, t);
    for (let i = 0; i < 4; i++) client.trackEvent(`e${i}`);
    await client.flush();
    expect(client.pending).toBe(4);
    await client.flush();
    expect(client.stats.sent).toBe(4);
    expect(client.pending).toBe(0);
  });
});

describe("bounded queue", () => {
  it("drops the oldest beyond maxQueueSize with a counted reason", async () => {
    let serverUp = false;
    const t = fakeTransport(() => ({ status: serverUp ? 202 : 503 }));
    const { client } = makeClient({ maxQueueSize: 5, batchSize: 100 }, t);
    for (let i = 0; i < 8; i++) client.trackEvent(`e${i}`);
    expect(client.pending).toBe(5);
    expect(client.stats.dropped.queue_overflow).toBe(3);
    serverUp = true;
    await client.flush();
    expect(names(t.sent())).toEqual(["e3", "e4", "e5", "e6", "e7"]);
  });

  it("stays bounded when thousands of items arrive while the server is down", async () => {
    const { client } = makeClient(
      { maxQueueSize: 100 },
      fakeTransport(() => new Error("down")),
    );
    for (let i = 0; i < 5000; i++) client.trackEvent(`e${i}`);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(client.pending).toBeLessThanOrEqual(100);
    expect(client.stats.dropped.queue_overflow).toBeGreaterThanOrEqual(4900);
  });
});

describe("offline storage", () => {
  it("loads stored items at start, saves what failed, clears after delivery", async () => {
    const saved: WireItem[][] = [];
    const stored = [
      { type: "event", event_id: "00000000-0000-4000-8000-000000000001", name: "from-last-time", app: "shop" },
    ] as WireItem[];
    let up = false;
    const t = fakeTransport(() => (up ? { status: 202 } : new Error("offline")));
    const { client, sent } = makeClient({ storage: { load: () => stored, save: (i) => saved.push(i) } }, t);
    client.trackEvent("new");
    await client.flush();
    expect(names(saved.at(-1) ?? [])).toEqual(["from-last-time", "new"]);
    up = true;
    await client.flush();
    expect(names(sent().slice(-2))).toEqual(["from-last-time", "new"]);
    expect(saved.at(-1)).toEqual([]);
  });

  it("survives a storage that throws", async () => {
    const { client, sent } = makeClient({
      storage: {
        load: () => {
          throw new Error("quota");
        },
        save: () => {
          throw new Error("quota");
        },
      },
    });
    client.trackEvent("x");
    await client.flush();
    expect(names(sent())).toEqual(["x"]);
  });
});
