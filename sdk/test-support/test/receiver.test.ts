import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Receiver, startReceiver } from "../src/index.ts";

let r: Receiver;
beforeEach(async () => {
  r = await startReceiver();
});
afterEach(() => r.stop());

const post = (body: unknown, headers: Record<string, string> = {}, query = "") =>
  fetch(`${r.url}/ingest/batch${query}`, {
    method: "POST",
    body: typeof body === "string" ? body : JSON.stringify(body),
    headers: { "content-type": "application/json", authorization: `Bearer ${r.apiKey}`, ...headers },
  });
const event = { type: "event", name: "x", app: "a", event_id: crypto.randomUUID() };

describe("receiver speaks the ingest contract", () => {
  it("accepts a valid batch with 202 and records it", async () => {
    const res = await post({ events: [event] });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 1 });
    expect(r.accepted).toHaveLength(1);
  });

  it("accepts the key as ?api_key= with text/plain", async () => {
    const res = await post(
      { events: [event] },
      { authorization: "", "content-type": "text/plain" },
      `?api_key=${r.apiKey}`,
    );
    expect(res.status).toBe(202);
    expect(r.requests[0].auth).toBe("query");
  });

  it.each([
    [{ authorization: "Bearer nope" }, { events: [event] }, 401],
    [{ authorization: "" }, { events: [event] }, 401],
    [{ "content-type": "application/xml" }, { events: [event] }, 415],
    [{}, "{not json", 400],
    [{}, { events: [] }, 400],
    [{}, { events: [{ ...event, name: "" }] }, 400],
    [{}, { events: [{ type: "error", app: "a" }] }, 400],
    [{}, { events: [{ ...event, event_id: "nope" }] }, 400],
    [{}, { events: Array.from({ length: 101 }, () => event) }, 413],
  ])("refuses %j %j with %i in the error envelope", async (headers, body, status) => {
    const res = await post(body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    const json = (await res.json()) as { error: { code: string; requestId: string } };
    expect(json.error.code).toBeTruthy();
    expect(json.error.requestId).toBeTruthy();
    expect(r.accepted).toHaveLength(0);
  });

  it("answers scripted statuses with Retry-After and a code", async () => {
    r.reply({ status: 429, retryAfter: "7", code: "quota_exceeded" });
    const res = await post({ events: [event] });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(res.headers.get("access-control-expose-headers")).toMatch(/Retry-After/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("quota_exceeded");
    expect((await post({ events: [event] })).status).toBe(202);
  });
});
