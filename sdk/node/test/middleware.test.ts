import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client, setClient, type WireItem } from "@telemetry-tracker/core";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { telemetry } from "../src/hono.ts";
import { errorHandler, requestHandler } from "../src/index.ts";

let sent: WireItem[];
let client: Client;
beforeEach(() => {
  sent = [];
  client = new Client({
    ingestUrl: "http://unused",
    apiKey: "k",
    app: "mw",
    transport: async (req) => {
      sent.push(...JSON.parse(req.body).events);
      return { status: 202 };
    },
  });
  setClient(client);
});
afterEach(() => setClient(undefined));

const requests = () => sent.filter((i) => i.name === "$request").map((i) => i.properties);

describe("requestHandler on node:http", () => {
  let server: Server;
  afterEach(() => server?.close());

  it("records method, path, status and duration once per request", async () => {
    const track = requestHandler();
    server = createServer((req, res) => {
      track(req, res);
      setTimeout(() => {
        res.statusCode = req.url?.startsWith("/missing") ? 404 : 200;
        res.end("ok");
      }, 20);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await (await fetch(`${base}/orders/7?x=1`)).text();
    await (await fetch(`${base}/missing`, { method: "POST" })).text();
    await client.flush();
    const [a, b] = requests() as { method: string; path: string; status: number; duration_ms: number }[];
    expect(a).toMatchObject({ method: "GET", path: "/orders/:id", route: "/orders/:id", status: 200 });
    expect(a.duration_ms).toBeGreaterThanOrEqual(15);
    expect(b).toMatchObject({ method: "POST", path: "/missing", status: 404 });
    expect(requests()).toHaveLength(2);
  });
});

describe("Express-style middleware", () => {
  it("uses the matched route pattern and captures errors through errorHandler", async () => {
    const listeners: Record<string, () => void> = {};
    const res = { statusCode: 500, once: (e: string, l: () => void) => (listeners[e] = l) };
    const req: Record<string, unknown> = { method: "GET", originalUrl: "/api/users/42?full=1", baseUrl: "/api" };
    let nextCalls = 0;
    requestHandler()(req, res, () => nextCalls++);
    req.route = { path: "/users/:id" }; // Express sets it when the route matches
    let passed: unknown;
    errorHandler()(new Error("db down"), req, res, (e) => (passed = e));
    listeners.finish();
    listeners.close(); // both fire in real life; recorded once
    await client.flush();
    expect(nextCalls).toBe(1);
    expect((passed as Error).message).toBe("db down");
    expect(requests()).toEqual([
      expect.objectContaining({ route: "/api/users/:id", path: "/api/users/:id", status: 500 }),
    ]);
    expect(sent.find((i) => i.type === "error")).toMatchObject({
      message: "db down",
      handled: false,
      context: { request: { path: "/api/users/42" } },
    });
  });
});

describe("Hono middleware (Node)", () => {
  it("records the matched route and captures 5xx errors, not HTTPExceptions below 500", async () => {
    const app = new Hono();
    app.use(telemetry());
    app.get("/users/:id", (c) => c.json({ id: c.req.param("id") }));
    app.get("/boom", () => {
      throw new Error("handler failed");
    });
    app.get("/denied", () => {
      throw new HTTPException(403, { message: "no" });
    });
    expect((await app.request("/users/5")).status).toBe(200);
    expect((await app.request("/boom")).status).toBe(500);
    expect((await app.request("/denied")).status).toBe(403);
    await client.flush();
    expect(requests()).toEqual([
      expect.objectContaining({ method: "GET", route: "/users/:id", path: "/users/:id", status: 200 }),
      expect.objectContaining({ route: "/boom", status: 500 }),
      expect.objectContaining({ route: "/denied", status: 403 }),
    ]);
    const errors = sent.filter((i) => i.type === "error");
    expect(errors.map((e) => e.message)).toEqual(["handler failed"]);
  });
});
