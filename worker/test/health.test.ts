import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import worker from "../src/index.ts";

const SELF = exports.default;

/** Calls the Worker with a modified env, as the runtime would. */
async function fetchWithEnv(request: Request, modifiedEnv: Partial<typeof env>): Promise<Response> {
  const ctx = createExecutionContext();
  const response = await worker.fetch(request, modifiedEnv as typeof env, ctx);
  await waitOnExecutionContext(ctx);
  return response;
}

describe("GET /health", () => {
  it("answers without touching the database", async () => {
    const res = await SELF.fetch("http://tt.test/health");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok", database: "not_checked" });
    expect(res.headers.get("x-request-id")).toMatch(/.+/);
  });

  it("?deep=1 runs a query against Postgres", async () => {
    const res = await SELF.fetch("http://tt.test/health?deep=1");
    expect(res.status).toBe(200);
    const body = await res.json<{ status: string; database: string; databaseLatencyMs: number }>();
    expect(body.status).toBe("ok");
    expect(body.database).toBe("ok");
    expect(body.databaseLatencyMs).toBeGreaterThanOrEqual(0);
  });

  it("?deep=1 answers 503 when the database is down", async () => {
    // Port 9 (discard) on loopback: nothing listens, so the connection is refused.
    const down = { ...env, DATABASE_URL: "postgres://postgres@127.0.0.1:9/postgres" };
    const res = await fetchWithEnv(new Request("http://tt.test/health?deep=1"), down);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: "degraded", database: "unreachable" });
  });

  it("rejects a malformed deep flag with the error envelope", async () => {
    const res = await SELF.fetch("http://tt.test/health?deep=maybe");
    expect(res.status).toBe(400);
    const body = await res.json<{ error: { code: string; requestId: string; details: unknown[] } }>();
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.requestId).toMatch(/.+/);
    expect(body.error.details).toHaveLength(1);
  });
});

describe("the envelope", () => {
  it("unknown routes answer a JSON 404", async () => {
    const res = await SELF.fetch("http://tt.test/no/such/route", { method: "POST" });
    expect(res.status).toBe(404);
    const body = await res.json<{ error: { code: string; message: string; requestId: string } }>();
    expect(body.error.code).toBe("not_found");
    expect(body.error.message).toContain("/no/such/route");
    expect(body.error.requestId).toBe(res.headers.get("x-request-id"));
  });

  it("a missing binding gives a structured 500 naming it", async () => {
    const { DATABASE_URL: _omitted, ...withoutDatabase } = env;
    const res = await fetchWithEnv(new Request("http://tt.test/health"), withoutDatabase);
    expect(res.status).toBe(500);
    const body = await res.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.message).toContain("DATABASE_URL");
  });

  it("serves the OpenAPI document", async () => {
    const res = await SELF.fetch("http://tt.test/openapi.json");
    expect(res.status).toBe(200);
    const doc = await res.json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/health");
  });
});
