import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { organizations } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { API_BODY_LIMITS } from "../../src/middleware/body-limit.ts";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { BASE, call, createWorld, json, ORIGIN, sessionCookieFor } from "./helpers.ts";

type World = Awaited<ReturnType<typeof createWorld>>;
let world: World;
const owner = () => world.members.OWNER.cookie;

beforeAll(async () => {
  world = await withDatabase((db) => createWorld(db));
});

async function expectValidationFailed(response: Response) {
  expect(response.status).toBe(400);
  expect((await json<{ error: { code: string } }>(response)).error.code).toBe("validation_failed");
}

describe("text Postgres cannot hold is a 400, not a 500", () => {
  it.each([
    "/events/names?app=%00",
    "/issues?q=%00",
    "/sessions?userId=%00",
    "/events?propertyKey=%00",
    "/events?propertyKey=k&propertyValue=a%00b",
  ])("GET …%s", async (query) => {
    await expectValidationFailed(await call(`/api/projects/${world.project.id}${query}`, { cookie: owner() }));
  });

  it.each([
    ["PATCH", "/api/auth/me", { displayName: "a\u0000b" }],
    ["POST", "/api/orgs", { name: "a\u0000b" }],
    ["PATCH", "org", { name: "a\u0000b" }],
    ["POST", "org/projects", { name: "a\u0000b" }],
    ["PATCH", "project", { name: "a\u0000b" }],
    ["PATCH", "project", { piiDenyKeys: ["ok", "a\u0000b"] }],
    ["POST", "project/keys", { name: "a\u0000b" }],
    ["POST", "project/keys", { name: "key", allowedApp: "a\u0000" }],
    ["PATCH", "/api/auth/me", { displayName: "lone \ud800 surrogate" }],
  ] as const)("%s %s with %j", async (method, target, body) => {
    const path = target
      .replace(/^org/, `/api/orgs/${world.org.id}`)
      .replace(/^project/, `/api/projects/${world.project.id}`);
    await expectValidationFailed(await call(path, { method, body, cookie: owner() }));
  });
});

/** Calls the Worker in this isolate, so the test can watch how much of a streamed body is read. */
async function callDirect(path: string, init: RequestInit): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(new Request(`${BASE}${path}`, init), env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

/** A body of `total` bytes that counts what the server pulls from it. */
function countedBody(total: number, chunk = 64 * 1024) {
  const pulled = { bytes: 0 };
  const piece = new TextEncoder().encode("x".repeat(chunk));
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= total) return controller.close();
      pulled.bytes += piece.byteLength;
      controller.enqueue(piece);
    },
  });
  return { stream, pulled };
}

describe("body limit on /api", () => {
  const headers = { origin: ORIGIN, "content-type": "application/json", "cf-connecting-ip": "10.9.9.9" };

  it("50 MB to POST /api/auth/login without a length: 413 after reading about the limit, never the rest", async () => {
    const { stream, pulled } = countedBody(50 * 1024 * 1024);
    const response = await callDirect("/api/auth/login", {
      method: "POST",
      headers,
      body: stream,
      // @ts-expect-error: duplex is required by the fetch spec for streamed bodies, not yet in the types
      duplex: "half",
    });
    expect(response.status).toBe(413);
    expect((await json<{ error: { code: string } }>(response)).error.code).toBe("payload_too_large");
    expect(pulled.bytes).toBeLessThan(API_BODY_LIMITS.bytes + 4 * 64 * 1024);
  });

  it("50 MB to POST /api/orgs (signed in): 413", async () => {
    const big = `{"name":"${"x".repeat(50 * 1024 * 1024)}"}`;
    const tooBig = await callDirect("/api/orgs", {
      method: "POST",
      headers: { ...headers, cookie: owner() },
      body: big,
    });
    expect(tooBig.status).toBe(413);
  });

  it("a 50,000-deep nested array inside an otherwise valid body: 400 before parsing, nothing created", async () => {
    // A valid org body with the deep array under a key the schema would strip: without the depth
    // bound this is parsed in full and answered 201.
    const name = `deep-${crypto.randomUUID()}`;
    const deep = `{"name":"${name}","extra":${"[".repeat(50_000)}${"]".repeat(50_000)}}`;
    const response = await callDirect("/api/orgs", {
      method: "POST",
      headers: { ...headers, cookie: owner() },
      body: deep,
    });
    expect(response.status).toBe(400);
    const body = await json<{ error: { code: string; message: string } }>(response);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(/nested deeper than/);
    const created = await withDatabase((db) => db.select().from(organizations).where(eq(organizations.name, name)));
    expect(created).toHaveLength(0);
  });

  it("nesting within the bound still reaches validation", async () => {
    const response = await call("/api/orgs", { method: "POST", cookie: owner(), body: { name: [[["x"]]] } });
    await expectValidationFailed(response);
  });
});

describe("Cache-Control: no-store on every /api answer", () => {
  it("on success, on errors, on unknown /api paths", async () => {
    for (const response of [
      await call("/api/auth/me", { cookie: owner() }),
      await call("/api/auth/me"),
      await call("/api/no-such-thing", { cookie: owner() }),
      await call("/api/orgs", { method: "POST", cookie: owner(), body: { name: "" } }),
    ]) {
      expect(response.headers.get("cache-control")).toBe("no-store");
    }
  });
});

describe("CSRF: bodiless requests need only the Origin", () => {
  it("curl -X DELETE with cookie and an allowed Origin revokes the key", async () => {
    const { row } = await withDatabase((db) => createApiKey(db, world.project.id));
    const response = await callDirect(`/api/projects/${world.project.id}/keys/${row.id}`, {
      method: "DELETE",
      headers: { origin: ORIGIN, cookie: owner() },
    });
    expect(response.status).toBe(200);
  });

  it("the same DELETE from a foreign Origin is 403 csrf_rejected", async () => {
    const { row } = await withDatabase((db) => createApiKey(db, world.project.id));
    const response = await callDirect(`/api/projects/${world.project.id}/keys/${row.id}`, {
      method: "DELETE",
      headers: { origin: "https://evil.example", cookie: owner() },
    });
    expect(response.status).toBe(403);
    expect((await json<{ error: { code: string } }>(response)).error.code).toBe("csrf_rejected");
  });

  it("a POST with an empty body where the route takes none (sign out) is accepted", async () => {
    const cookie = await withDatabase((db) => sessionCookieFor(db, world.members.VIEWER.id));
    const response = await callDirect("/api/auth/logout", { method: "POST", headers: { origin: ORIGIN, cookie } });
    expect(response.status).toBe(200);
  });

  it("a body of another type is still 415", async () => {
    const response = await callDirect("/api/orgs", {
      method: "POST",
      headers: { origin: ORIGIN, cookie: owner(), "content-type": "text/plain" },
      body: JSON.stringify({ name: "Form" }),
    });
    expect(response.status).toBe(415);
  });
});
