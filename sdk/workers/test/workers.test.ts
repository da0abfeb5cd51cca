import { type Receiver, startReceiver } from "@telemetry-tracker/test-support";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type TelemetryVariables, telemetry } from "../src/hono.ts";
import { type ExecutionContextLike, withTelemetry } from "../src/index.ts";

/** A stand-in ExecutionContext that records what was handed to waitUntil. */
function fakeCtx() {
  const pending: Promise<unknown>[] = [];
  const ctx: ExecutionContextLike = { waitUntil: (p) => void pending.push(p) };
  return { ctx, settle: () => Promise.all(pending), pending };
}

interface Env {
  INGEST: string;
  KEY: string;
}

let r: Receiver;
let env: Env;
beforeEach(async () => {
  r = await startReceiver();
  env = { INGEST: r.url, KEY: r.apiKey };
});
afterEach(() => r.stop());
const options = (e: Env) => ({
  ingestUrl: e.INGEST,
  apiKey: e.KEY,
  app: "edge",
  release: "w@1",
  environment: "production",
});

describe("withTelemetry (fetch/scheduled wrapper)", () => {
  const worker = withTelemetry(options, {
    async fetch(request, _env, ctx) {
      const name = new URL(request.url).searchParams.get("name") ?? "none";
      ctx.telemetry.trackEvent("work", { name });
      if (name === "fail") throw new Error(`failed for ${name}`);
      await new Promise((res) => setTimeout(res, 5));
      return new Response("ok", { status: 201 });
    },
    async scheduled(controller) {
      if (controller.cron === "bad") throw new Error("cron failed");
    },
  });

  it("records $request, flushes through waitUntil only, one batch per invocation, never shared", async () => {
    const a = fakeCtx();
    const b = fakeCtx();
    const [ra, rb] = await Promise.all([
      worker.fetch?.(new Request("https://edge.test/x?name=a"), env, a.ctx),
      worker.fetch?.(new Request("https://edge.test/y?name=b"), env, b.ctx),
    ]);
    expect([ra?.status, rb?.status]).toEqual([201, 201]);
    expect(a.pending).toHaveLength(1);
    expect(b.pending).toHaveLength(1);
    await Promise.all([a.settle(), b.settle()]);
    expect(r.requests).toHaveLength(2);
    for (const req of r.requests) {
      // each batch holds exactly one invocation's work event and that same invocation's $request
      expect(req.items.map((i) => i.name)).toEqual(["work", "$request"]);
      const [work, request] = req.items.map((i) => i.properties as { name?: string; path?: string });
      expect(request.path).toBe(work.name === "a" ? "/x" : "/y");
    }
    const reqA = r.accepted.find((i) => i.name === "$request" && (i.properties as { path: string }).path === "/x");
    expect(reqA).toMatchObject({
      platform: "cloudflare-workers",
      url: "https://edge.test/x",
      properties: { method: "GET", status: 201 },
    });
    expect(reqA?.properties).toMatchObject({ duration_ms: expect.any(Number) });
    expect(r.requests.every((q) => q.auth === "bearer")).toBe(true);
  });

  it("records the path as a route with ids replaced and the query dropped", async () => {
    const c = fakeCtx();
    await worker.fetch?.(new Request("https://edge.test/orders/123/items/9f86d081884c?name=n"), env, c.ctx);
    await c.settle();
    expect(r.accepted.find((i) => i.name === "$request")?.properties).toMatchObject({
      method: "GET",
      route: "/orders/:id/items/:id",
      path: "/orders/:id/items/:id",
      status: 201,
    });
  });

  it("captures a thrown error, rethrows it, and still flushes", async () => {
    const c = fakeCtx();
    await expect(worker.fetch?.(new Request("https://edge.test/?name=fail"), env, c.ctx)).rejects.toThrow(
      "failed for fail",
    );
    await c.settle();
    expect(r.accepted.find((i) => i.type === "error")).toMatchObject({
      message: "failed for fail",
      handled: false,
      app: "edge",
      release: "w@1",
      environment: "production",
    });
    expect(r.accepted.find((i) => i.name === "$request")?.properties).toMatchObject({ status: 500 });
  });

  it("wraps scheduled: $scheduled per run, errors captured with the cron tag", async () => {
    const ok = fakeCtx();
    await worker.scheduled?.({ cron: "*/5 * * * *", scheduledTime: 0 }, env, ok.ctx);
    const bad = fakeCtx();
    await expect(worker.scheduled?.({ cron: "bad", scheduledTime: 0 }, env, bad.ctx)).rejects.toThrow("cron failed");
    await Promise.all([ok.settle(), bad.settle()]);
    expect(r.accepted.filter((i) => i.name === "$scheduled").map((i) => i.properties)).toEqual([
      expect.objectContaining({ cron: "*/5 * * * *", ok: true }),
      expect.objectContaining({ cron: "bad", ok: false }),
    ]);
    expect(r.accepted.find((i) => i.type === "error")).toMatchObject({ message: "cron failed", tags: { cron: "bad" } });
  });

  it("a dead ingest server never breaks the response, and the flush is bounded", async () => {
    const dead = withTelemetry(
      { ingestUrl: "http://127.0.0.1:9", apiKey: "k", app: "edge", flushTimeout: 300 },
      { fetch: () => new Response("fine") },
    );
    const c = fakeCtx();
    const res = await dead.fetch?.(new Request("https://edge.test/"), env, c.ctx);
    expect(await res?.text()).toBe("fine");
    const t = Date.now();
    await c.settle();
    expect(Date.now() - t).toBeLessThan(2000);
  });
});

describe("Hono middleware for Workers", () => {
  it("gives each request its own client on c.var.telemetry and flushes through executionCtx.waitUntil", async () => {
    const app = new Hono<{ Bindings: Env; Variables: TelemetryVariables }>();
    app.use(telemetry(options));
    app.get("/items/:id", (c) => {
      c.var.telemetry.trackEvent("viewed", { id: c.req.param("id") });
      return c.text("ok");
    });
    app.get("/crash", () => {
      throw new Error("route crashed");
    });
    app.get("/gone", () => {
      throw new HTTPException(410);
    });
    const ctxs = [fakeCtx(), fakeCtx(), fakeCtx()];
    const paths = ["/items/3", "/crash", "/gone"];
    const statuses = [];
    for (const [i, p] of paths.entries()) {
      statuses.push((await app.request(p, {}, env, ctxs[i].ctx as never)).status);
    }
    expect(statuses).toEqual([200, 500, 410]);
    for (const c of ctxs) expect(c.pending).toHaveLength(1);
    await Promise.all(ctxs.map((c) => c.settle()));
    expect(r.requests).toHaveLength(3);
    expect(r.accepted.filter((i) => i.name === "$request").map((i) => i.properties)).toEqual([
      expect.objectContaining({ route: "/items/:id", path: "/items/:id", status: 200 }),
      expect.objectContaining({ route: "/crash", status: 500 }),
      expect.objectContaining({ route: "/gone", status: 410 }),
    ]);
    expect(r.accepted.filter((i) => i.type === "error").map((i) => i.message)).toEqual(["route crashed"]);
    expect(r.accepted.find((i) => i.name === "viewed")?.properties).toEqual({ id: "3" });
  });

  it("without an ExecutionContext (Node, tests) it flushes before answering", async () => {
    const app = new Hono<{ Bindings: Env; Variables: TelemetryVariables }>();
    app.use(telemetry(options));
    app.get("/", (c) => c.text("ok"));
    expect((await app.request("/", {}, env)).status).toBe(200);
    expect(r.accepted.map((i) => i.name)).toEqual(["$request"]);
  });
});

describe("workers SDK against the ingest target", () => {
  it("an invocation's request event and error are stored", async () => {
    const { startTarget } = await import("@telemetry-tracker/test-support");
    const target = await startTarget();
    try {
      const worker = withTelemetry(
        { ingestUrl: target.ingestUrl, apiKey: target.apiKey, app: "edge-target" },
        {
          fetch() {
            throw new Error("edge failure");
          },
        },
      );
      const c = fakeCtx();
      await expect(worker.fetch?.(new Request("https://edge.test/p"), {}, c.ctx)).rejects.toThrow("edge failure");
      await c.settle();
      const stored = await target.stored((items) => items.length >= 2);
      expect(stored.find((i) => i.type === "error")).toMatchObject({ message: "edge failure", app: "edge-target" });
      expect(stored.find((i) => i.name === "$request")).toMatchObject({ properties: { path: "/p", status: 500 } });
    } finally {
      await target.stop();
    }
  });
});
