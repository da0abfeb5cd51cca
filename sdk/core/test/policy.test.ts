import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Client, normalize, parseStack, type WireItem } from "../src/index.ts";
import { fakeTransport, makeClient, names } from "./helpers.ts";

beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe("sampling", () => {
  it("applies separate rates to events and errors, never to sessions", async () => {
    const { client, sent } = makeClient({ sampleRate: { events: 0, errors: 1 } });
    client.startSession();
    client.trackEvent("dropped");
    client.captureException(new Error("kept"));
    await client.flush();
    expect(sent().map((i) => i.type)).toEqual(["session", "error", "session"]); // start, error, update(errored)
    expect(client.stats.dropped.sample_rate).toBe(1);
  });

  it("keeps items whose random draw is under a numeric rate", async () => {
    const draws = [0.1, 0.9, 0.49, 0.5];
    vi.spyOn(Math, "random").mockImplementation(() => draws.shift() ?? 0);
    const { client, sent } = makeClient({ sampleRate: 0.5 });
    for (const n of ["a", "b", "c", "d"]) client.trackEvent(n);
    vi.restoreAllMocks();
    await client.flush();
    expect(names(sent())).toEqual(["a", "c"]);
    expect(client.stats.dropped.sample_rate).toBe(2);
  });
});

describe("beforeSend", () => {
  it("may edit, drop, or fail (a failure drops the item rather than send unfiltered data)", async () => {
    const { client, sent } = makeClient({
      beforeSend: (item) => {
        if (item.name === "drop") return null;
        if (item.name === "boom") throw new Error("user bug");
        return { ...item, properties: { ...(item.properties as object), edited: true } };
      },
    });
    client.trackEvent("keep", { a: 1 });
    client.trackEvent("drop");
    client.trackEvent("boom");
    await client.flush();
    expect(sent()).toHaveLength(1);
    expect(sent()[0].properties).toEqual({ a: 1, edited: true });
    expect(client.stats.dropped).toMatchObject({ before_send: 1, before_send_error: 1 });
  });

  it("survives a beforeSend that puts unserialisable data back in", async () => {
    const { client, sent } = makeClient({
      beforeSend: (item) => {
        const evil: Record<string, unknown> = { n: 10n };
        evil.self = evil;
        return {
          ...item,
          properties: evil,
          toJSON: () => {
            throw new Error("nope");
          },
        } as WireItem;
      },
    });
    client.trackEvent("x");
    await client.flush();
    expect(sent()[0].properties).toEqual({ n: "10", self: "[Circular]" });
  });
});

describe("never throws into the host app", () => {
  const hostile = () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.me = cyclic;
    const getter = Object.defineProperty({}, "bad", {
      enumerable: true,
      get() {
        throw new Error("getter");
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("trap");
        },
      },
    );
    return { cyclic, getter, proxy, big: 1n, fn() {}, sym: Symbol("s"), nan: Number.NaN, date: new Date(0) };
  };

  it("serialises cyclic objects, throwing getters, proxies and BigInt", async () => {
    const { client, sent } = makeClient();
    client.trackEvent("hostile", hostile());
    await client.flush();
    expect(sent()[0].properties).toEqual({
      cyclic: { a: 1, me: "[Circular]" },
      getter: { bad: "[Throws]" },
      proxy: "[Unserializable]",
      big: "1",
      nan: "NaN",
      date: "1970-01-01T00:00:00.000Z",
    });
  });

  it("accepts anything thrown: null, strings, objects with throwing getters, cycles", async () => {
    const { client, sent } = makeClient();
    const evilError = Object.defineProperty({}, "message", {
      get() {
        throw new Error("no");
      },
    });
    const cyclicError = new Error("cyc") as Error & { self?: unknown };
    cyclicError.self = cyclicError;
    for (const thrown of [null, undefined, "plain string", 42, { message: { deep: true } }, evilError, cyclicError]) {
      expect(() => client.captureException(thrown, hostile())).not.toThrow();
    }
    await client.flush();
    const msgs = sent()
      .filter((i) => i.type === "error")
      .map((i) => i.message);
    expect(msgs).toEqual(["Error", "Error", "plain string", "42", '{"deep":true}', "Object", "cyc"]);
  });

  it("module-level and client calls with garbage arguments do not throw", () => {
    const { client } = makeClient();
    const c = client as unknown as Record<string, (...a: unknown[]) => unknown>;
    for (const m of [
      "trackEvent",
      "captureMessage",
      "identify",
      "screen",
      "setTags",
      "setContext",
      "addBreadcrumb",
      "endSession",
    ]) {
      expect(() => c[m](Symbol("x"), hostile().proxy)).not.toThrow();
      expect(() => c[m](undefined, undefined)).not.toThrow();
    }
  });

  it("a client built with a broken ingestUrl still never throws or rejects", async () => {
    const client = new Client({
      ingestUrl: undefined as unknown as string,
      apiKey: "k",
      app: "a",
      transport: fakeTransport().transport,
    });
    client.trackEvent("x");
    await expect(client.flush()).resolves.toBe(false);
  });

  it("normalize bounds depth, string length and key count", () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 20; i++) deep = { d: deep };
    expect(JSON.stringify(normalize(deep))).toContain("[Object]");
    expect(String(normalize("x".repeat(10_000))).length).toBeLessThan(8200);
    const wide = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
    expect(Object.keys(normalize(wide) as object)).toHaveLength(100);
  });
});

describe("scope: breadcrumbs, tags, context, sessions", () => {
  it("attaches the last maxBreadcrumbs breadcrumbs, tags and context to errors", async () => {
    const { client, sent } = makeClient({ maxBreadcrumbs: 3 });
    for (let i = 0; i < 5; i++) client.addBreadcrumb({ category: "ui", message: `click ${i}` });
    client.setTags({ region: "eu" });
    client.setContext("cart", { items: 3 });
    client.captureException(new Error("x"), {
      tags: { area: "pay" },
      orderId: 7,
      level: "fatal",
      handled: false,
      fingerprint: ["pay"],
    });
    await client.flush();
    const err = sent()[0] as WireItem & { breadcrumbs: { message: string; timestamp: string }[] };
    expect(err.breadcrumbs.map((b) => b.message)).toEqual(["click 2", "click 3", "click 4"]);
    expect(typeof err.breadcrumbs[0].timestamp).toBe("string");
    expect(err).toMatchObject({
      tags: { region: "eu", area: "pay" },
      context: { cart: { items: 3 }, orderId: 7 },
      level: "fatal",
      handled: false,
      fingerprint: ["pay"],
    });
  });

  it("session start, errored update once, end with ended_at; items carry the session id", async () => {
    const { client, sent } = makeClient();
    const id = client.startSession();
    client.trackEvent("in-session");
    client.captureException(new Error("a"));
    client.captureException(new Error("b"));
    client.endSession();
    await client.flush();
    const sessions = sent().filter((i) => i.type === "session");
    expect(sessions.map((s) => [s.action, s.status])).toEqual([
      ["start", "ok"],
      ["update", "errored"],
      ["end", "errored"],
    ]);
    expect(sessions.every((s) => s.session_id === id)).toBe(true);
    expect(typeof sessions[2].ended_at).toBe("string");
    expect(sent().find((i) => i.name === "in-session")?.session_id).toBe(id);
  });

  it("an unhandled fatal error marks the session crashed", async () => {
    const { client, sent } = makeClient();
    client.startSession();
    client.captureException(new Error("die"), { handled: false, level: "fatal" });
    await client.flush();
    expect(sent().at(-1)).toMatchObject({ type: "session", action: "update", status: "crashed" });
  });

  it("captureMessage, screen and identify produce their items", async () => {
    const { client, sent } = makeClient();
    client.captureMessage("slow", "warning");
    client.screen("Home");
    client.identify("u9", { plan: "pro" });
    await client.flush();
    expect(sent()).toMatchObject([
      { type: "error", message: "slow", level: "warning", error_type: "Message" },
      { type: "event", name: "$screen", properties: { name: "Home" } },
      { type: "event", name: "$identify", user_id: "u9", properties: { plan: "pro" } },
    ]);
  });
});

describe("shutdown and flush bounds", () => {
  it("flush(timeout) resolves false when the transport hangs", async () => {
    const { client } = makeClient({ transport: () => new Promise(() => {}) });
    client.trackEvent("x");
    const p = client.flush(100);
    await vi.advanceTimersByTimeAsync(100);
    await expect(p).resolves.toBe(false);
  });

  it("shutdown flushes, then ignores later calls", async () => {
    const { client, sent } = makeClient();
    client.trackEvent("before");
    await expect(client.shutdown()).resolves.toBe(true);
    client.trackEvent("after");
    await client.flush();
    expect(names(sent())).toEqual(["before"]);
  });
});

describe("stack parsing", () => {
  it("reads V8 and Gecko frames and marks library frames not in-app", () => {
    const v8 = `Error: x
    at handler (/app/src/routes.ts:10:5)
    at /app/node_modules/hono/dist/compose.js:3:9
    at node:internal/process/task_queues:95:5`;
    expect(parseStack(v8)).toEqual([
      { file: "/app/src/routes.ts", function: "handler", line: 10, column: 5, in_app: true },
      { file: "/app/node_modules/hono/dist/compose.js", function: undefined, line: 3, column: 9, in_app: false },
      { file: "node:internal/process/task_queues", function: undefined, line: 95, column: 5, in_app: false },
    ]);
    expect(parseStack("onClick@https://shop.test/app.js:1:200\n@https://shop.test/app.js:2:3")).toEqual([
      { file: "https://shop.test/app.js", function: "onClick", line: 1, column: 200, in_app: true },
      { file: "https://shop.test/app.js", function: undefined, line: 2, column: 3, in_app: true },
    ]);
  });
});
