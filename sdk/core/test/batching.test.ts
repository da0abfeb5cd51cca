import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fakeTransport, makeClient, names } from "./helpers.ts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("batching", () => {
  it("sends nothing before 10 items, then one batch of 10 at once", async () => {
    const { client, calls } = makeClient();
    for (let i = 0; i < 9; i++) client.trackEvent(`e${i}`);
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(0);
    client.trackEvent("e9");
    await vi.advanceTimersByTimeAsync(0);
    expect(calls).toHaveLength(1);
    expect(calls[0].items).toHaveLength(10);
    expect(calls[0].url).toBe("https://ingest.test/ingest/batch");
  });

  it("sends a lone item after flushInterval (5 s), not before", async () => {
    const { client, calls } = makeClient();
    client.trackEvent("lonely");
    await vi.advanceTimersByTimeAsync(4999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
  });

  it("honours batchSize and flushInterval options, capping batches at 100", async () => {
    const { client, calls } = makeClient({ batchSize: 500, flushInterval: 100 });
    for (let i = 0; i < 250; i++) client.trackEvent(`e${i}`);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls.map((c) => c.items.length)).toEqual([100, 100, 50]);
  });

  it("flush() sends everything at once and resolves true when empty", async () => {
    const { client, sent } = makeClient();
    client.trackEvent("a");
    client.trackEvent("b");
    await expect(client.flush()).resolves.toBe(true);
    expect(names(sent())).toEqual(["a", "b"]);
  });

  it("gives every item a distinct v4 event_id and the contract's fields", async () => {
    const { client, sent } = makeClient();
    client.identify("u1");
    client.trackEvent("signup", { plan: "pro" });
    client.captureException(new TypeError("bad"));
    client.startSession();
    await client.flush();
    const items = sent();
    expect(items).toHaveLength(4);
    expect(new Set(items.map((i) => i.event_id)).size).toBe(4);
    for (const i of items) expect(i.event_id).toMatch(UUID);
    const ev = items[1];
    expect(ev).toMatchObject({
      type: "event",
      name: "signup",
      app: "shop",
      release: "1.2.3",
      environment: "test",
      platform: "node",
      user_id: "u1",
      properties: { plan: "pro" },
    });
    expect(typeof ev.anonymous_id).toBe("string");
    expect(new Date(String(ev.timestamp)).toISOString()).toBe(ev.timestamp);
    expect(items[2]).toMatchObject({
      type: "error",
      error_type: "TypeError",
      message: "bad",
      handled: true,
      level: "error",
    });
    expect((items[2].frames as unknown[]).length).toBeGreaterThan(0);
    expect(items[3]).toMatchObject({ type: "session", action: "start", status: "ok", app: "shop", user_id: "u1" });
  });
});

describe("transport answers", () => {
  it("drops a batch refused with 400/401/403/415 without retrying, counting the reason", async () => {
    for (const status of [400, 401, 403, 415]) {
      const t = fakeTransport(() => ({ status }));
      const { client, calls } = makeClient({}, t);
      client.trackEvent("x");
      client.trackEvent("y");
      await client.flush();
      await vi.advanceTimersByTimeAsync(600_000);
      expect(calls).toHaveLength(1);
      expect(client.stats.dropped[`http_${status}`]).toBe(2);
      expect(client.pending).toBe(0);
    }
  });

  it("never lets a throwing transport escape, and retries the batch later", async () => {
    let n = 0;
    const { client } = makeClient({
      transport: () => {
        if (n++ === 0) throw new Error("sync boom");
        return Promise.resolve({ status: 202 });
      },
    });
    client.trackEvent("x");
    await expect(client.flush()).resolves.toBe(false);
    expect(client.pending).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(client.pending).toBe(0);
  });
});
