import { events } from "@telemetry-tracker/db";
import { and, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { PERCENTILE_ERROR_BOUND } from "../../src/services/reads/performance.ts";
import { withDatabase } from "../helpers/db.ts";
import { expectError } from "../helpers/ingest.ts";
import {
  allPages,
  call,
  createReadWorld,
  createWorld,
  ingestFlushed,
  MINUTE,
  minutesBefore,
  type ReadWorld,
  readAs,
} from "./helpers.ts";

// Web Vitals and request durations sent through /ingest/batch and flushed by the meter, read back
// from the histogram rollups; every percentile is checked against the exact (nearest-rank) value of
// the samples, computed by hand below, within the documented bound.

let w: ReadWorld;
const now = Date.now();
const at = (minutesAgo: number) => minutesBefore(now, minutesAgo);
const get = <T>(path: string) => readAs<T>(w, path);
const ingest = (items: unknown[]) => ingestFlushed(w, items);

/** Nearest rank: the ⌈p·n⌉-th smallest value. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(p * sorted.length) - 1];
}

/** Within the bound of the exact value (0 must be reported as 0). */
function expectNear(estimate: number | null, exact: number) {
  expect(estimate).not.toBeNull();
  if (exact === 0) return expect(estimate).toBe(0);
  expect(Math.abs((estimate as number) - exact) / exact).toBeLessThanOrEqual(PERCENTILE_ERROR_BOUND);
}

// Sent the way an older or hand-written client might: routes with ids and queries, a wrong rating.
const vital = (name: string, value: number, page: string, extra: Record<string, unknown> = {}) => ({
  name: "$web_vital",
  app: "web",
  environment: "prod",
  timestamp: at(30),
  properties: { name, value, route: page, ...extra },
});
const request = (method: string, path: string, status: number, duration: number, app = "api") => ({
  name: "$request",
  app,
  environment: "prod",
  timestamp: at(20),
  properties: { method, path, status, duration_ms: duration },
});

const LCP = { products: [1200, 1800, 2600, 3100, 5000], checkout: [900, 1000] };
const CLS = [0, 0.05, 0.3];
const INP = [150, 250];
const ORDERS = [
  [10, 200],
  [20, 200],
  [30, 500],
  [40, 404],
  [200, 503],
] as const;
const CHECKOUT = [100, 120];

interface Vital {
  name: string;
  samples: number;
  p75: number | null;
  rating: string | null;
  good: number | null;
  needsImprovement: number | null;
  poor: number | null;
}
interface Requests {
  count: number;
  errors: number;
  errorRate: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
}
interface Summary {
  window: { from: string; bucket: string };
  vitals: Vital[];
  requests: Requests;
  series: Array<{
    t: string;
    requests: number;
    errors: number;
    p95: number | null;
    vitals: Record<string, number | null>;
  }>;
}
type PageRow = Omit<Vital, "name"> & { page: string; vitals: Record<string, number | null> };
type RouteRow = Requests & { method: string; route: string };

beforeAll(async () => {
  w = await createReadWorld();
  await ingest([
    // The client claims "good" for a 5 s LCP: ingest rates it again (poor).
    ...LCP.products.map((v, i) => vital("LCP", v, `/products/${40 + i}?ref=mail`, { rating: "good" })),
    ...LCP.checkout.map((v) => vital("LCP", v, "/checkout")),
    ...CLS.map((v) => vital("CLS", v, "/products/7")),
    ...INP.map((v) => vital("INP", v, "/checkout")),
    // No route at all: the page comes from the event's URL.
    { ...vital("TTFB", 300, ""), properties: { name: "TTFB", value: 300 }, url: "https://shop.test/cart?x=1" },
    ...ORDERS.map(([d, status], i) => request("get", `/api/orders/${1000 + i}?expand=items`, status, d)),
    ...CHECKOUT.map((d) => request("POST", "/api/checkout", 201, d)),
    // Another app: only the app filter shows it; not a contract shape (no duration): not counted.
    request("GET", "/health", 200, 5, "worker"),
    { ...request("GET", "/api/orders/1", 200, 1), properties: { method: "GET", path: "/x", duration_ms: "slow" } },
  ]);
});

const base = () => `/api/projects/${w.project.id}/performance`;

describe("ingest applies the contract", () => {
  it("stores normalised routes, the server's rating and upper-case methods", async () => {
    const stored = await withDatabase((db) =>
      db
        .select({ name: events.name, properties: events.properties })
        .from(events)
        .where(and(eq(events.projectId, w.project.id), sql`${events.name} in ('$web_vital', '$request')`)),
    );
    const props = stored.map((r) => r.properties as Record<string, unknown>);
    expect(props.find((p) => p.value === 5000)).toMatchObject({ route: "/products/:id", rating: "poor" });
    expect(props.find((p) => p.value === 2600)).toMatchObject({ rating: "needs-improvement" });
    expect(props.find((p) => p.name === "TTFB")).toMatchObject({ route: "/cart", rating: "good" });
    expect(props.find((p) => p.duration_ms === 200)).toMatchObject({
      method: "GET",
      route: "/api/orders/:id",
      path: "/api/orders/:id",
    });
  });
});

describe("GET /performance/summary", () => {
  it("gives each vital's p75 and exact rating shares, request p50/p95 and error rate", async () => {
    const s = await get<Summary>(`${base()}/summary?range=24h`);
    expect(s.window.bucket).toBe("1h");
    expect(new Date(s.window.from).getUTCMinutes()).toBe(0);
    const v = Object.fromEntries(s.vitals.map((x) => [x.name, x]));
    expect(Object.keys(v)).toEqual(["LCP", "INP", "CLS", "FCP", "TTFB"]);

    const lcp = [...LCP.products, ...LCP.checkout];
    expect(v.LCP.samples).toBe(7);
    expectNear(v.LCP.p75, exactPercentile(lcp, 0.75)); // 3100
    expect(v.LCP.rating).toBe("needs-improvement");
    // By hand: ≤ 2500 good (900, 1000, 1200, 1800), ≤ 4000 needs improvement (2600, 3100), 5000 poor.
    expect(v.LCP.good).toBeCloseTo((4 / 7) * 100, 9);
    expect(v.LCP.needsImprovement).toBeCloseTo((2 / 7) * 100, 9);
    expect(v.LCP.poor).toBeCloseTo((1 / 7) * 100, 9);
    expectNear(v.CLS.p75, exactPercentile(CLS, 0.75)); // 0.3
    expect(v.CLS.rating).toBe("poor");
    expectNear(v.INP.p75, exactPercentile(INP, 0.75)); // 250
    expectNear(v.TTFB.p75, 300);
    expect(v.FCP).toMatchObject({ samples: 0, p75: null, rating: null, good: null });

    // Requests of every app: orders, checkout and /health (the malformed one is not counted).
    const durations = [...ORDERS.map(([d]) => d), ...CHECKOUT, 5];
    expect(s.requests).toMatchObject({ count: 8, errors: 2 });
    expect(s.requests.errorRate).toBeCloseTo((2 / 8) * 100, 9);
    expectNear(s.requests.p50, exactPercentile(durations, 0.5)); // 30
    expectNear(s.requests.p95, exactPercentile(durations, 0.95)); // 200

    expect(s.series).toHaveLength(25);
    expect(s.series.reduce((n, b) => n + b.requests, 0)).toBe(8);
    expect(s.series.reduce((n, b) => n + b.errors, 0)).toBe(2);
    const busy = s.series.filter((b) => b.vitals.LCP !== null);
    expect(busy.length).toBeGreaterThanOrEqual(1);
  });

  it("answers long ranges from the daily histograms with the same figures", async () => {
    const hourly = await get<Summary>(`${base()}/summary?range=24h`);
    const daily = await get<Summary>(`${base()}/summary?range=30d`);
    expect(daily.window.bucket).toBe("1d");
    expect(new Date(daily.window.from).getUTCHours()).toBe(0);
    expect(daily.vitals).toEqual(hourly.vitals);
    expect(daily.requests).toEqual(hourly.requests);
    expect(daily.series.reduce((n, b) => n + b.requests, 0)).toBe(8);
  });

  it("honours the app and environment filters", async () => {
    const worker = await get<Summary>(`${base()}/summary?range=24h&app=worker`);
    expect(worker.requests).toMatchObject({ count: 1, errors: 0, p50: expect.any(Number) });
    expectNear(worker.requests.p50, 5);
    expect(worker.vitals.every((x) => x.samples === 0)).toBe(true);
    const staging = await get<Summary>(`${base()}/summary?range=24h&environment=staging`);
    expect(staging.requests.count).toBe(0);
    expect(staging.requests.p95).toBeNull();
  });
});

describe("GET /performance/pages", () => {
  it("lists pages slowest first by the vital's p75, with every vital's p75", async () => {
    const { pages } = await get<{ pages: PageRow[] }>(`${base()}/pages?range=24h`);
    expect(pages.map((p) => p.page)).toEqual(["/products/:id", "/checkout"]);
    const [products, checkout] = pages;
    expect(products.samples).toBe(5);
    expectNear(products.p75, exactPercentile(LCP.products, 0.75)); // 3100
    expect(products.poor).toBeCloseTo(20, 9);
    expectNear(products.vitals.LCP, exactPercentile(LCP.products, 0.75));
    expectNear(products.vitals.CLS, exactPercentile(CLS, 0.75));
    expect(products.vitals.INP).toBeNull();
    expectNear(checkout.p75, exactPercentile(LCP.checkout, 0.75)); // 1000
    expect(checkout.rating).toBe("good");
    expectNear(checkout.vitals.INP, exactPercentile(INP, 0.75));
  });

  it("sorts by another vital and pages with a cursor", async () => {
    const cls = await get<{ pages: PageRow[] }>(`${base()}/pages?range=24h&vital=CLS`);
    expect(cls.pages.map((p) => [p.page, p.samples])).toEqual([["/products/:id", 3]]);
    const pages = await allPages(
      get<{ pages: PageRow[]; nextCursor: string | null }>,
      `${base()}/pages?range=24h&limit=1`,
      (page) => page.pages.map((p) => p.page),
    );
    expect(pages).toEqual([["/products/:id"], ["/checkout"]]);
  });
});

describe("GET /performance/routes", () => {
  it("lists routes slowest first by p95 (or p50), with counts, errors and percentiles", async () => {
    const { routes } = await get<{ routes: RouteRow[] }>(`${base()}/routes?range=24h&app=api`);
    expect(routes.map((r) => `${r.method} ${r.route}`)).toEqual(["GET /api/orders/:id", "POST /api/checkout"]);
    const [orders, checkout] = routes;
    const d = ORDERS.map(([x]) => x);
    // By hand: status 500 and 503 failed; the 404 is the client's.
    expect(orders).toMatchObject({ count: 5, errors: 2 });
    expect(orders.errorRate).toBeCloseTo(40, 9);
    expectNear(orders.p50, exactPercentile(d, 0.5)); // 30
    expectNear(orders.p75, exactPercentile(d, 0.75)); // 40
    expectNear(orders.p95, exactPercentile(d, 0.95)); // 200
    expect(checkout).toMatchObject({ count: 2, errors: 0, errorRate: 0 });
    expectNear(checkout.p95, exactPercentile(CHECKOUT, 0.95)); // 120

    const byMedian = await get<{ routes: RouteRow[] }>(`${base()}/routes?range=24h&app=api&sort=p50`);
    expect(byMedian.routes.map((r) => r.route)).toEqual(["/api/checkout", "/api/orders/:id"]);
  });

  it("pages with a cursor across every app", async () => {
    const pages = await allPages(
      get<{ routes: RouteRow[]; nextCursor: string | null }>,
      `${base()}/routes?range=24h&limit=1`,
      (page) => page.routes.map((r) => r.route),
    );
    expect(pages.flat()).toEqual(["/api/orders/:id", "/api/checkout", "/health"]);
  });

  it("refuses bad input with 400", async () => {
    const bad = async (path: string, code: string) =>
      expectError(await call(`${base()}/${path}`, { cookie: w.members.VIEWER.cookie }), 400, code);
    await bad("routes?cursor=not-a-cursor", "invalid_cursor");
    await bad("pages?cursor=WyJ4Il0", "invalid_cursor");
    await bad("routes?sort=slowest", "validation_failed");
    await bad("pages?vital=FID", "validation_failed");
    await bad("summary?range=2y", "validation_failed");
    await bad("summary?app=", "validation_failed");
  });
});

describe("the histograms", () => {
  // A seeded generator, so a failure can be replayed.
  function random(seed: number) {
    let s = seed;
    return () => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it("keep p50/p75/p95 within the bound of the exact percentiles of random data", async () => {
    const other = await withDatabase((db) => createWorld(db));
    const next = random(20261203);
    // Log-normal durations around 120 ms spread over four orders of magnitude, rounded as the SDKs do.
    const durations = Array.from({ length: 3000 }, () => {
      const normal = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
      return Math.round(Math.exp(Math.log(120) + 1.5 * normal) * 100) / 100;
    });
    const stamp = new Date(now - 90 * MINUTE);
    await withDatabase(async (db) => {
      for (let i = 0; i < durations.length; i += 500) {
        await db.insert(events).values(
          durations.slice(i, i + 500).map((d, j) => ({
            projectId: other.project.id,
            eventId: crypto.randomUUID(),
            name: "$request",
            timestamp: stamp,
            app: "api",
            properties: { method: "GET", route: `/r/${(i + j) % 2}`, status: 200, duration_ms: d },
          })),
        );
      }
    });
    const read = <T>(path: string) => readAs<T>(other, `/api/projects/${other.project.id}/performance/${path}`);
    for (const range of ["24h", "30d"]) {
      const s = await read<Summary>(`summary?range=${range}`);
      expect(s.requests.count).toBe(3000);
      expectNear(s.requests.p50, exactPercentile(durations, 0.5));
      expectNear(s.requests.p75, exactPercentile(durations, 0.75));
      expectNear(s.requests.p95, exactPercentile(durations, 0.95));
      const { routes } = await read<{ routes: RouteRow[] }>(`routes?range=${range}&limit=10`);
      for (const r of routes) {
        const mine = durations.filter((_, i) => `/r/${i % 2}` === r.route);
        expect(r.count).toBe(mine.length);
        for (const [p, value] of [
          [0.5, r.p50],
          [0.75, r.p75],
          [0.95, r.p95],
        ] as const)
          expectNear(value, exactPercentile(mine, p));
      }
    }
  });

  it("answer any range longer than two days from the running histograms, late and deleted samples too", async () => {
    const other = await withDatabase((db) => createWorld(db));
    const DAY = 24 * 60 * MINUTE;
    // Day k (k days ago, a minute earlier): durations 10k+1 … 10k+3, the first a 500 on even days;
    // production but staging on every third day. Inserted newest day first: each older day arrives late.
    const samples = Array.from({ length: 12 }, (_, k) =>
      [1, 2, 3].map((j) => ({
        at: now - k * DAY - MINUTE,
        duration: 10 * k + j,
        failed: k % 2 === 0 && j === 1,
        environment: k % 3 === 0 ? "staging" : "production",
      })),
    ).flat();
    await withDatabase(async (db) => {
      for (let k = 0; k < 12; k++) {
        await db.insert(events).values(
          samples
            .filter((x) => x.at === now - k * DAY - MINUTE)
            .map((x) => ({
              projectId: other.project.id,
              eventId: crypto.randomUUID(),
              name: "$request",
              timestamp: new Date(x.at),
              app: "api",
              environment: x.environment,
              properties: { method: "GET", route: "/r", status: x.failed ? 500 : 200, duration_ms: x.duration },
            })),
        );
      }
    });
    const dayStart = (t: number) => Math.floor(t / DAY) * DAY;
    // The daily histograms' window: whole UTC days from `from`'s, up to the day that holds `to`.
    const expected = (from: number, to: number, environment?: string) => {
      const mine = samples.filter(
        (x) =>
          dayStart(x.at) >= dayStart(from) && dayStart(x.at) < to && (!environment || x.environment === environment),
      );
      return { mine, count: mine.length, errors: mine.filter((x) => x.failed).length };
    };
    const routesOf = async (query: string) =>
      (await readAs<{ routes: RouteRow[] }>(other, `/api/projects/${other.project.id}/performance/routes?${query}`))
        .routes;
    const check = async (from: number, to: number, environment?: string) => {
      const query = `from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}${environment ? `&environment=${environment}` : ""}`;
      const [route] = await routesOf(query);
      const { mine, count, errors } = expected(from, to, environment);
      expect(count).toBeGreaterThan(0);
      expect(route).toMatchObject({ method: "GET", route: "/r", count, errors });
      const durations = mine.map((x) => x.duration);
      expectNear(route.p50, exactPercentile(durations, 0.5));
      expectNear(route.p95, exactPercentile(durations, 0.95));
    };
    // Windows that start and end between the samples' days, one that starts before any, and a filter.
    await check(now - 9 * DAY, dayStart(now - 3 * DAY));
    await check(now - 5 * DAY - 2 * MINUTE, now);
    await check(now - 40 * DAY, now);
    await check(now - 11 * DAY, now, "production");
    await check(now - 11 * DAY, now, "staging");
    // Deleting the middle days' samples takes them out of every window that held them.
    await withDatabase((db) =>
      db
        .delete(events)
        .where(
          and(
            eq(events.projectId, other.project.id),
            sql`${events.timestamp} between ${new Date(now - 7 * DAY - 2 * MINUTE)} and ${new Date(now - 4 * DAY)}`,
          ),
        ),
    );
    samples.splice(
      0,
      samples.length,
      ...samples.filter((x) => x.at < now - 7 * DAY - 2 * MINUTE || x.at > now - 4 * DAY),
    );
    await check(now - 9 * DAY, dayStart(now - 3 * DAY));
    await check(now - 40 * DAY, now);
    // An empty window lists nothing.
    expect(
      await routesOf(`from=${new Date(now - 40 * DAY).toISOString()}&to=${new Date(now - 20 * DAY).toISOString()}`),
    ).toEqual([]);
  });

  it("lose deleted rows (as retention deletes them), cells and project totals alike", async () => {
    await withDatabase((db) =>
      db.delete(events).where(and(eq(events.projectId, w.project.id), sql`${events.properties}->>'method' = 'POST'`)),
    );
    const s = await get<Summary>(`${base()}/summary?range=24h`);
    expect(s.requests).toMatchObject({ count: 6, errors: 2 });
    const { routes } = await get<{ routes: RouteRow[] }>(`${base()}/routes?range=30d`);
    expect(routes.map((r) => r.route)).toEqual(["/api/orders/:id", "/health"]);
    const leftovers = await withDatabase((db) =>
      db.execute(sql`select (select count(*) from request_histograms_hourly where project_id = ${w.project.id}
                                and method = 'POST')::int as hourly,
                            (select count(*) from request_running_daily where project_id = ${w.project.id}
                                and method = 'POST')::int as running,
                            (select count(*) from request_route_keys where project_id = ${w.project.id}
                                and method = 'POST')::int as keys`),
    );
    expect(leftovers.rows[0]).toEqual({ hourly: 0, running: 0, keys: 0 });
  });
});
