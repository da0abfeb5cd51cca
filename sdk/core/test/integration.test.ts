import { startReceiver, startTarget } from "@telemetry-tracker/test-support";
import { afterEach, describe, expect, it } from "vitest";
import { Client, fetchTransport } from "../src/index.ts";

// Real HTTP through the universal fetch transport. `startTarget()` is the local receiver today and
// the real Worker + Postgres once test-support's swap point is flipped.
describe("core over HTTP (integration)", () => {
  const stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.splice(0)) await s();
  });

  it("stores events, errors and sessions with the contract's fields", async () => {
    const target = await startTarget();
    stops.push(target.stop);
    const client = new Client({
      ingestUrl: target.ingestUrl,
      apiKey: target.apiKey,
      app: "core-it",
      release: "9.9.9",
      platform: "node",
      sdk: { name: "@telemetry-tracker/core", version: "0.1.0" },
      transport: fetchTransport,
    });
    const sid = client.startSession();
    client.identify("user-1");
    client.addBreadcrumb({ category: "test", message: "step 1" });
    const evId = client.trackEvent("it_event", { n: 1 });
    const errId = client.captureException(new RangeError("it failed"), { tags: { k: "v" } });
    client.endSession();
    expect(await client.flush()).toBe(true);
    const stored = await target.stored(
      (items) =>
        [evId, errId].every((id) => items.some((i) => i.event_id === id)) &&
        items.some((i) => i.type === "session" && i.session_id === sid && i.ended_at),
    );
    const ev = stored.find((i) => i.event_id === evId);
    const err = stored.find((i) => i.event_id === errId);
    expect(ev).toMatchObject({
      type: "event",
      name: "it_event",
      app: "core-it",
      user_id: "user-1",
      session_id: sid,
      properties: { n: 1 },
    });
    expect(err).toMatchObject({
      type: "error",
      message: "it failed",
      error_type: "RangeError",
      tags: { k: "v" },
      breadcrumbs: [{ category: "test", message: "step 1" }],
      sdk: { name: "@telemetry-tracker/core", version: "0.1.0" },
    });
    const sessions = stored.filter((i) => i.type === "session");
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ session_id: sid, app: "core-it", status: "errored", user_id: "user-1" });
    expect(typeof sessions[0].started_at).toBe("string");
    expect(typeof sessions[0].ended_at).toBe("string");
  });

  it("a batch whose answer was lost is retried and stored once", async () => {
    const target = await startTarget();
    stops.push(target.stop);
    let first = true;
    const client = new Client({
      ingestUrl: target.ingestUrl,
      apiKey: target.apiKey,
      app: "core-it",
      transport: async (req) => {
        const res = await fetchTransport(req);
        if (!first) return res;
        first = false;
        return { status: 0 }; // delivered, but the client never heard back: it must retry
      },
    });
    const ids = [client.trackEvent("lost-answer-1"), client.trackEvent("lost-answer-2")];
    expect(await client.flush()).toBe(false);
    expect(await client.flush()).toBe(true);
    const stored = await target.stored((items) => ids.every((id) => items.some((i) => i.event_id === id)));
    for (const id of ids) expect(stored.filter((i) => i.event_id === id)).toHaveLength(1);
  });

  it("a batch retried after 503 is stored once", async () => {
    const r = await startReceiver();
    stops.push(r.stop);
    r.reply({ status: 503, retryAfter: "0" });
    const client = new Client({ ingestUrl: r.url, apiKey: r.apiKey, app: "core-it", transport: fetchTransport });
    const id = client.trackEvent("retry-me");
    expect(await client.flush()).toBe(false);
    expect(await client.flush()).toBe(true);
    expect(r.requests.map((q) => q.status)).toEqual([503, 202]);
    expect(r.accepted.filter((i) => i.event_id === id)).toHaveLength(1);
  });

  it("splits on a real 413 and holds a category on a real 429 with Retry-After", async () => {
    const r = await startReceiver();
    stops.push(r.stop);
    r.maxItems = 4;
    const client = new Client({
      ingestUrl: r.url,
      apiKey: r.apiKey,
      app: "core-it",
      batchSize: 10,
      transport: fetchTransport,
    });
    for (let i = 0; i < 10; i++) client.trackEvent(`e${i}`);
    await client.flush();
    expect(r.accepted.map((i) => i.name)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`));
    expect(r.requests.filter((q) => q.status === 413).length).toBeGreaterThan(0);

    r.reply({ status: 429, retryAfter: "3600", code: "rate_limited" });
    client.captureException(new Error("held"));
    await client.flush();
    client.trackEvent("still-flows");
    await client.flush();
    expect(r.accepted.at(-1)?.name).toBe("still-flows");
    expect(client.pending).toBe(1);
  });

  it("sends Authorization: Bearer with JSON (server SDKs)", async () => {
    const r = await startReceiver();
    stops.push(r.stop);
    const client = new Client({ ingestUrl: r.url, apiKey: r.apiKey, app: "core-it", transport: fetchTransport });
    client.trackEvent("x");
    await client.flush();
    expect(r.requests[0]).toMatchObject({ auth: "bearer", contentType: "application/json", status: 202 });
  });
});
