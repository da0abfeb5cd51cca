import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { authThrottle } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { createLogger } from "../../src/lib/logger.ts";
import { apiSurface, limitAddress } from "../../src/middleware/ip-rate-limit.ts";
import { IpRateLimiter } from "../../src/ratelimit/client.ts";
import { type RateLimiter, WINDOW_MS, windowStartOf } from "../../src/ratelimit/rate-limiter.ts";
import {
  createWorld,
  KNOWN_PASSWORD,
  knownPasswordHash,
  ORIGIN,
  sessionCookieFor,
  uniqueEmail,
} from "../api/helpers.ts";
import { withDatabase } from "../helpers/db.ts";
import { addMember, createUser } from "../helpers/fixtures.ts";
import { createIngestTenant } from "../helpers/ingest.ts";
import { createSentryTenant, envelope, errorEvent, sdkQuery, sentryEventId } from "../helpers/sentry.ts";

type Overrides = Partial<
  Record<"RATE_LIMIT_INGEST_PER_MINUTE" | "RATE_LIMIT_AUTH_PER_MINUTE" | "RATE_LIMIT_API_PER_MINUTE", string>
>;

/** A client address no other test in this file uses (198.18.0.0/15 is for benchmarks, never routed). */
let addressCounter = 0;
const address = () => `198.18.${Math.floor(addressCounter / 256) % 256}.${addressCounter++ % 256}`;

/** The Worker with these limits, as a request from `ip` (CF-Connecting-IP) reaches it. */
async function send(overrides: Overrides, ip: string | null, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (ip) headers.set("cf-connecting-ip", ip);
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`http://tt.test${path}`, { ...init, headers }),
    { ...env, ...overrides } as typeof env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

type Envelope = { error: { code: string; message: string; details?: Record<string, unknown> } };

async function expectIpLimited(response: Response, surface: string, limit: number): Promise<void> {
  expect(response.status).toBe(429);
  const body = (await response.json()) as Envelope;
  expect(body.error.code).toBe("ip_rate_limited");
  expect(body.error.details).toMatchObject({ surface, limitPerMinute: limit });
  const retryAfter = Number(response.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(60);
}

const event = () => JSON.stringify({ name: "clicked", app: "web" });

describe("ingest: per-IP limit", () => {
  it("refuses the N+1-th request from one address with 429, Retry-After and CORS; another address is not affected", async () => {
    const { key } = await withDatabase((db) => createIngestTenant(db, { plan: "BUSINESS" }));
    const limits = { RATE_LIMIT_INGEST_PER_MINUTE: "4" };
    const ingest = (ip: string | null) =>
      send(limits, ip, "/ingest/event", {
        method: "POST",
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json", origin: "https://shop.example" },
        body: event(),
      });
    const ip = address();
    for (let i = 0; i < 4; i++) expect((await ingest(ip)).status, `request ${i + 1}`).toBe(202);
    const refused = await ingest(ip);
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    expect(refused.headers.get("access-control-expose-headers")).toContain("Retry-After");
    await expectIpLimited(refused, "ingest", 4);
    // Before the key is looked up: no key at all is 429 too, not 401.
    await expectIpLimited(
      await send(limits, ip, "/ingest/event", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: event(),
      }),
      "ingest",
      4,
    );

    expect((await ingest(address())).status).toBe(202);
    // No CF-Connecting-IP: the request did not come through Cloudflare's edge; there is no address to count.
    for (let i = 0; i < 6; i++) expect((await ingest(null)).status).toBe(202);
  });

  it("the Sentry intake shares ingest's budget", async () => {
    const tenant = await withDatabase((db) => createSentryTenant(db, { plan: "BUSINESS" }));
    const limits = { RATE_LIMIT_INGEST_PER_MINUTE: "2" };
    const ip = address();
    const url = `${tenant.envelopePath}?${new URLSearchParams(sdkQuery(tenant.publicKey))}`;
    const postEnvelope = () => {
      const id = sentryEventId();
      return send(limits, ip, url, {
        method: "POST",
        headers: { "content-type": "text/plain;charset=UTF-8" },
        body: envelope({ event_id: id }, [{ header: { type: "event" }, payload: errorEvent(id) }]),
      });
    };
    expect((await postEnvelope()).status).toBe(200);
    expect(
      (
        await send(limits, ip, "/ingest/event", {
          method: "POST",
          headers: { authorization: `Bearer ${tenant.key}`, "content-type": "application/json" },
          body: event(),
        })
      ).status,
    ).toBe(202);
    const refused = await postEnvelope();
    expect(refused.headers.get("access-control-allow-origin")).toBe("*");
    await expectIpLimited(refused, "ingest", 2);
  });
});

describe("auth: per-IP limit", () => {
  it("refuses the N+1-th sign-in before CSRF, the body and the password hash; the API surface keeps its own budget", async () => {
    const email = uniqueEmail("limited");
    const cookie = await withDatabase(async (db) => {
      const w = await createWorld(db);
      const user = await createUser(db, { email, passwordHash: await knownPasswordHash() });
      await addMember(db, w.org.id, user.id, "VIEWER");
      return sessionCookieFor(db, user.id);
    });
    const limits = { RATE_LIMIT_AUTH_PER_MINUTE: "3" };
    const ip = address();
    const login = (password: string, headers: Record<string, string> = { origin: ORIGIN }) =>
      send(limits, ip, "/api/auth/login", {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ email, password }),
      });
    expect((await login("wrong password 1")).status).toBe(401);
    expect((await login("wrong password 2")).status).toBe(401);
    expect((await login(KNOWN_PASSWORD)).status).toBe(200);
    // The fourth: refused with the right password too, and before the CSRF check (no Origin here).
    await expectIpLimited(await login(KNOWN_PASSWORD, {}), "auth", 3);
    await expectIpLimited(await login("wrong password 3"), "auth", 3);
    // The handler never ran for the refused ones: the wrong password was not hashed, nor counted.
    const failures = await withDatabase(async (db) => {
      const rows = await db
        .select()
        .from(authThrottle)
        .where(eq(authThrottle.key, `account:${email}`));
      return rows[0]?.failures ?? 0;
    });
    expect(failures).toBe(0); // the successful sign-in cleared the account's two failures, and nothing came after it

    // Signed-in reads from the same address are the API surface, not auth.
    const me = await send(limits, ip, "/api/auth/me", { headers: { cookie, origin: ORIGIN } });
    expect(me.status).toBe(200);
    // Another address signs in as usual.
    expect(
      (
        await send(limits, address(), "/api/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json", origin: ORIGIN },
          body: JSON.stringify({ email, password: KNOWN_PASSWORD }),
        })
      ).status,
    ).toBe(200);
  });
});

describe("dashboard API: per-IP limit", () => {
  it("refuses the N+1-th request from one address; another address is not affected; 0 turns the limit off", async () => {
    const w = await withDatabase((db) => createWorld(db));
    const read = (overrides: Overrides, ip: string) =>
      send(overrides, ip, `/api/orgs/${w.org.id}`, { headers: { cookie: w.members.VIEWER.cookie, origin: ORIGIN } });
    const ip = address();
    const limits = { RATE_LIMIT_API_PER_MINUTE: "5" };
    for (let i = 0; i < 5; i++) expect((await read(limits, ip)).status, `request ${i + 1}`).toBe(200);
    const refused = await read(limits, ip);
    expect(refused.headers.get("cache-control")).toBe("no-store");
    await expectIpLimited(refused, "api", 5);
    // Also before the role check: a request that would be 404 (another org's id) is 429 too.
    const other = await send(limits, ip, `/api/orgs/${w.other.org.id}`, {
      headers: { cookie: w.members.VIEWER.cookie },
    });
    await expectIpLimited(other, "api", 5);

    expect((await read(limits, address())).status).toBe(200);
    // The same exhausted address with the limit set to 0: no per-IP limit at all.
    for (let i = 0; i < 8; i++) expect((await read({ RATE_LIMIT_API_PER_MINUTE: "0" }, ip)).status).toBe(200);
  });

  it("a malformed limit is a misconfiguration named in the 500, not a silent default", async () => {
    const res = await send({ RATE_LIMIT_API_PER_MINUTE: "lots" }, address(), "/api/orgs");
    expect(res.status).toBe(500);
    const body = (await res.json()) as Envelope;
    expect(body.error.code).toBe("misconfigured");
    expect(body.error.message).toContain("RATE_LIMIT_API_PER_MINUTE");
  });
});

/** The namespace, counting the calls that reach a RateLimiter object. */
function countingNamespace() {
  const namespace = env.RATE_LIMITER;
  const counter = { calls: 0 };
  const counted = {
    idFromName: (name: string) => namespace.idFromName(name),
    get: (id: DurableObjectId) => {
      const stub = namespace.get(id);
      return {
        lease: (request: Parameters<DurableObjectStub<RateLimiter>["lease"]>[0]) => {
          counter.calls += 1;
          return stub.lease(request);
        },
      };
    },
  } as unknown as DurableObjectNamespace<RateLimiter>;
  return { counted, counter };
}

const logger = createLogger("error");

describe("IpRateLimiter and the RateLimiter object", () => {
  it("the window resets at its end, and Retry-After is the time left in it (clock injected)", async () => {
    let now = windowStartOf(Date.now()) + WINDOW_MS + 15_000;
    const limiter = new IpRateLimiter(env.RATE_LIMITER, logger, () => now);
    const ip = address();
    for (let i = 0; i < 3; i++) expect(await limiter.take("api", ip, 3)).toEqual({ ok: true });
    expect(await limiter.take("api", ip, 3)).toEqual({ ok: false, retryAfterSeconds: 45 });
    now += 44_500;
    expect(await limiter.take("api", ip, 3)).toEqual({ ok: false, retryAfterSeconds: 1 });
    // The next window: the same address may send again, and the limit applies afresh.
    now += 500;
    for (let i = 0; i < 3; i++) expect(await limiter.take("api", ip, 3)).toEqual({ ok: true });
    expect(await limiter.take("api", ip, 3)).toEqual({ ok: false, retryAfterSeconds: 60 });
    // Surfaces count separately.
    expect(await limiter.take("auth", ip, 3)).toEqual({ ok: true });
  });

  it("an isolate leases from the object instead of calling it per request, and never admits more than the limit", async () => {
    const { counted, counter } = countingNamespace();
    const now = windowStartOf(Date.now()) + WINDOW_MS;
    const limiter = new IpRateLimiter(counted, logger, () => now);
    const ip = address();
    const decisions = [];
    for (let i = 0; i < 1_100; i++) decisions.push(await limiter.take("ingest", ip, 1_000));
    expect(decisions.filter((d) => d.ok).length).toBe(1_000);
    // Leases of 1, 2, 4, … 32, then 50 (1/20 of the limit), then one that finds the window used up;
    // the refusals after it ask nobody.
    expect(counter.calls).toBe(6 + 19 + 1);
    expect(decisions.at(-1)).toEqual({ ok: false, retryAfterSeconds: 60 });
  });

  it("concurrent requests share one lease request", async () => {
    const { counted, counter } = countingNamespace();
    const now = windowStartOf(Date.now()) + WINDOW_MS;
    const limiter = new IpRateLimiter(counted, logger, () => now);
    const ip = address();
    const decisions = await Promise.all(Array.from({ length: 10 }, () => limiter.take("ingest", ip, 5)));
    expect(decisions.filter((d) => d.ok).length).toBe(5);
    // Leases of 1 (1/20 of 5, rounded up): five grants and the one that finds the window used up.
    // Without the shared renewal, each of the ten would have asked.
    expect(counter.calls).toBe(6);
  });

  it("the object's grants never add up to more than the limit, whoever asks; a lagging caller gets the current window", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`api:${address()}`));
    const window = windowStartOf(Date.now()) + WINDOW_MS;
    const grants = [];
    for (let i = 0; i < 4; i++) grants.push((await stub.lease({ windowStart: window, limit: 10, want: 4 })).granted);
    expect(grants).toEqual([4, 4, 2, 0]);
    // A caller whose clock is still in the previous window does not reopen it.
    expect(await stub.lease({ windowStart: window - WINDOW_MS, limit: 10, want: 4 })).toEqual({
      windowStart: window,
      granted: 0,
    });
    expect(await stub.lease({ windowStart: window + WINDOW_MS, limit: 10, want: 4 })).toEqual({
      windowStart: window + WINDOW_MS,
      granted: 4,
    });
  });

  it("an address that stops sending leaves nothing stored once its window's alarm has run", async () => {
    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(`auth:${address()}`));
    const past = windowStartOf(Date.now()) - 2 * WINDOW_MS;
    await stub.lease({ windowStart: past, limit: 10, want: 1 });
    await runDurableObjectAlarm(stub);
    const left = await runInDurableObject(stub, (_instance, state) => [...state.storage.kv.list()].length);
    expect(left).toBe(0);
  });
});

describe("which address and which surface", () => {
  it("counts IPv6 by its /64, IPv4-mapped IPv6 as IPv4, and nothing without the header", () => {
    expect(limitAddress("203.0.113.7")).toBe("203.0.113.7");
    expect(limitAddress("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(limitAddress("2001:0db8:0001:0002:ffff:0:0:5")).toBe("2001:db8:1:2::/64");
    expect(limitAddress("2001:DB8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(limitAddress("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(limitAddress("::1")).toBe("0:0:0:0::/64");
    expect(limitAddress("::ffff:198.51.100.4")).toBe("198.51.100.4");
    expect(limitAddress(undefined)).toBeNull();
    expect(limitAddress(" ")).toBeNull();
  });

  it("puts sign-in, registration, password flows and invite tokens under auth, the rest of /api under api", () => {
    for (const path of [
      "/api/auth/login",
      "/api/auth/register",
      "/api/auth/forgot-password",
      "/api/auth/reset-password",
    ]) {
      expect(apiSurface("POST", path), path).toBe("auth");
    }
    expect(apiSurface("GET", "/api/invites/abc")).toBe("auth");
    expect(apiSurface("POST", "/api/invites/abc/accept")).toBe("auth");
    expect(apiSurface("GET", "/api/auth/me")).toBe("api");
    expect(apiSurface("DELETE", "/api/auth/sessions/others")).toBe("api");
    expect(apiSurface("GET", "/api/orgs")).toBe("api");
  });
});
