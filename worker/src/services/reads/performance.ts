import type { Database } from "@telemetry-tracker/db";
import { type SQL, sql } from "drizzle-orm";
import { type Rating, rateVital, VITAL_NAMES, type VitalName } from "../../ingest/performance.ts";
import { bucketStarts, type TimeWindow } from "./range.ts";
import { epochMs, rows, type Scope, scopeConditions } from "./sql.ts";

// Web Vitals and request durations from the log-bucket histograms of migrations 0017–0018. Nothing
// here reads `events`. A value v > 0 is counted in bucket floor(ln v / ln 1.1) (the triggers'
// `tt_perf_bucket`), 0 in ZERO_BUCKET. A percentile is found exactly in bucket counts (nearest rank:
// the bucket holding the ⌈p·n⌉-th smallest sample) and reported as that bucket's geometric middle,
// 1.1^(b + ½): for every x in [1.1^b, 1.1^(b+1)) that is within 1.1^½ − 1 = 4.88 % of x, plus 0.05 %
// from rounding to four significant digits. Ranges up to two days read the hourly tables, longer ones
// the daily twins; the '' page / route rows hold the project's totals. The route list of a longer range
// reads the running histograms of 0021–0022 instead: two snapshots per route, whatever the range.

export const BUCKET_RATIO = 1.1;
export const ZERO_BUCKET = -32768;
/** The largest relative error of a reported percentile against the exact one (nearest rank). */
export const PERCENTILE_ERROR_BOUND = Math.sqrt(BUCKET_RATIO) * 1.0005 - 1;

/** The value a bucket stands for. */
export function bucketValue(bucket: number): number {
  if (bucket === ZERO_BUCKET) return 0;
  return Number((BUCKET_RATIO ** (bucket + 0.5)).toPrecision(4));
}

const estimateOf = (bucket: number | null) => (bucket === null ? null : bucketValue(bucket));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface PerformanceWindow extends TimeWindow {
  /** Which histograms serve it: hourly up to two days, daily beyond. */
  tier: "hourly" | "daily";
}

/** Windows start on a whole hour (≤ 2 days, 1 h buckets) or a whole UTC day (longer, 1 d buckets). */
export function performanceWindow(w: TimeWindow): PerformanceWindow {
  if (w.to.getTime() - w.from.getTime() <= 2 * DAY) {
    const from = new Date(Math.floor(w.from.getTime() / HOUR) * HOUR);
    return { from, to: w.to, bucketMs: HOUR, bucketLabel: "1h", tier: "hourly" };
  }
  const from = new Date(Math.floor(w.from.getTime() / DAY) * DAY);
  return { from, to: w.to, bucketMs: DAY, bucketLabel: "1d", tier: "daily" };
}

/** The tier's table and its time column, with the window's time condition. */
function source(kind: "vital" | "request", w: PerformanceWindow) {
  const time = w.tier === "hourly" ? "hour" : "day";
  const table = sql.raw(`${kind}_histograms_${w.tier}`);
  const column = sql.raw(time);
  return { table, column, inWindow: sql`${column} >= ${w.from} and ${column} < ${w.to}` };
}

/**
 * The percentile columns over rows (keys…, bucket, c, cum, total): the smallest bucket whose running
 * count reaches the nearest rank ⌈p·n⌉ (numeric arithmetic, so exact).
 */
const percentileColumns = sql.raw(
  [50, 75, 95].map((p) => `min(bucket) filter (where cum >= ceil(0.${p} * total)) as p${p}`).join(", "),
);

/** Running and total counts per partition, ordered by bucket (peers share a running count). */
const runningCounts = (partition: string) =>
  sql.raw(
    `sum(c) over (partition by ${partition} order by bucket) as cum, sum(c) over (partition by ${partition}) as total`,
  );

interface VitalStatsRow {
  name: VitalName;
  samples: number;
  good: number;
  ni: number;
  poor: number;
  p50: number | null;
  p75: number | null;
  p95: number | null;
}

/** Percent of part in whole; null without samples. */
const share = (part: number, whole: number) => (whole > 0 ? (part / whole) * 100 : null);

export interface VitalSummary {
  name: VitalName;
  samples: number;
  p75: number | null;
  /** Google's rating of the p75, the value a vital is judged by. */
  rating: Rating | null;
  good: number | null;
  needsImprovement: number | null;
  poor: number | null;
}

function toVitalSummary(name: VitalName, row: VitalStatsRow | undefined): VitalSummary {
  const samples = row?.samples ?? 0;
  const p75 = estimateOf(row?.p75 ?? null);
  return {
    name,
    samples,
    p75,
    rating: p75 === null ? null : rateVital(name, p75),
    good: share(row?.good ?? 0, samples),
    needsImprovement: share(row?.ni ?? 0, samples),
    poor: share(row?.poor ?? 0, samples),
  };
}

/** Per vital (and per page with `byPage`): samples, rating counts and percentiles (as buckets). */
async function vitalStats(
  db: Database,
  projectId: string,
  w: PerformanceWindow,
  scope: Scope,
  where: SQL,
  byPage: boolean,
) {
  const { table, inWindow } = source("vital", w);
  const keys = byPage ? "page, name" : "name";
  return rows<VitalStatsRow & { page: string }>(
    db,
    sql`select ${sql.raw(keys)}, sum(c)::float8 as samples, (sum(c) filter (where rating = 'good'))::float8 as good,
               (sum(c) filter (where rating = 'needs-improvement'))::float8 as ni,
               (sum(c) filter (where rating = 'poor'))::float8 as poor, ${percentileColumns}
        from (select *, ${runningCounts(keys)}
              from (select ${sql.raw(keys)}, rating, bucket, sum(count) as c from ${table}
                    where project_id = ${projectId} and ${inWindow} and ${where} ${scopeConditions(scope)}
                    group by ${sql.raw(keys)}, rating, bucket) g) r
        group by ${sql.raw(keys)}`,
  );
}

interface RequestStatsRow {
  method: string;
  route: string;
  count: number;
  errors: number;
  p50: number | null;
  p75: number | null;
  p95: number | null;
}

async function requestStats(db: Database, projectId: string, w: PerformanceWindow, scope: Scope, where: SQL) {
  const { table, inWindow } = source("request", w);
  return rows<RequestStatsRow>(
    db,
    sql`select method, route, sum(c)::float8 as count, coalesce(sum(c) filter (where failed), 0)::float8 as errors,
               ${percentileColumns}
        from (select *, ${runningCounts("method, route")}
              from (select method, route, failed, bucket, sum(count) as c from ${table}
                    where project_id = ${projectId} and ${inWindow} and ${where} ${scopeConditions(scope)}
                    group by method, route, failed, bucket) g) r
        group by method, route`,
  );
}

/**
 * The same rows per (method, route) for a daily-tier window, from the running histograms: per key the
 * latest snapshot before `to` minus the latest before `from` (each a row of running counts up to its
 * day), summed over the scopes in the filter. Reads two rows per key, not one per key, day and bucket.
 */
async function requestStatsFromRunning(db: Database, projectId: string, w: PerformanceWindow, scope: Scope) {
  const snapshot = (before: Date) => sql`(
    select r.requests, r.errors, r.buckets, r.counts from request_running_daily r
    where (r.project_id, r.app, r.environment, r.method, r.route) = (k.project_id, k.app, k.environment, k.method, k.route)
      and r.day < ${before}
    order by r.day desc limit 1)`;
  return rows<RequestStatsRow>(
    db,
    sql`with snapshots as (
          select k.method, k.route, e.requests - coalesce(s.requests, 0) as requests, e.errors - coalesce(s.errors, 0) as errors,
                 e.buckets as end_buckets, e.counts as end_counts, s.buckets as start_buckets, s.counts as start_counts
          from request_route_keys k
          join lateral ${snapshot(w.to)} e on true
          left join lateral ${snapshot(w.from)} s on true
          where k.project_id = ${projectId} ${scopeConditions(scope, "k")}
        ), totals as (
          select method, route, sum(requests) as count, sum(errors) as errors from snapshots
          group by method, route having sum(requests) > 0
        ), cells as (
          select method, route, bucket, sum(c) as c
          from (select method, route, u.bucket, u.c from snapshots, unnest(end_buckets, end_counts) u(bucket, c)
                union all
                select method, route, u.bucket, -u.c from snapshots, unnest(start_buckets, start_counts) u(bucket, c)) x
          group by method, route, bucket having sum(c) <> 0
        ), percentiles as (
          select method, route, ${percentileColumns}
          from (select *, ${runningCounts("method, route")} from cells) r
          group by method, route
        )
        select t.method, t.route, t.count::float8 as count, t.errors::float8 as errors, p.p50, p.p75, p.p95
        from totals t join percentiles p using (method, route)`,
  );
}

export interface RequestStats {
  count: number;
  /** Answers with status ≥ 500. */
  errors: number;
  /** Percent of requests that failed (status ≥ 500); null without requests. */
  errorRate: number | null;
  p50: number | null;
  p75: number | null;
  p95: number | null;
}

function toRequestStats(row: RequestStatsRow | undefined): RequestStats {
  const count = row?.count ?? 0;
  const errors = row?.errors ?? 0;
  return {
    count,
    errors,
    errorRate: share(errors, count),
    p50: estimateOf(row?.p50 ?? null),
    p75: estimateOf(row?.p75 ?? null),
    p95: estimateOf(row?.p95 ?? null),
  };
}

type VitalValues = Record<VitalName, number | null>;

export interface PerformanceSummary {
  window: { from: string; to: string; bucket: "1h" | "1d" };
  vitals: VitalSummary[];
  requests: RequestStats;
  series: Array<{
    t: string;
    requests: number;
    errors: number;
    p50: number | null;
    p95: number | null;
    vitals: VitalValues;
  }>;
}

/** The project's vitals (p75, shares) and requests (p50/p95, error rate) with a per-bucket series. */
export async function getPerformanceSummary(
  db: Database,
  projectId: string,
  window: TimeWindow,
  scope: Scope,
): Promise<PerformanceSummary> {
  const w = performanceWindow(window);
  const vital = source("vital", w);
  const request = source("request", w);
  const bin = w.tier === "hourly" ? sql`hour` : sql`day`;
  const inScope = scopeConditions(scope);
  const [vitals, requests, vitalSeries, requestSeries] = await Promise.all([
    vitalStats(db, projectId, w, scope, sql`page = ''`, false),
    requestStats(db, projectId, w, scope, sql`route = '' and method = ''`),
    rows<{ t: number; name: VitalName; p75: number | null }>(
      db,
      sql`select ${epochMs(sql`t`)} as t, name, min(bucket) filter (where cum >= ceil(0.75 * total)) as p75
          from (select *, ${runningCounts("t, name")}
                from (select ${bin} as t, name, bucket, sum(count) as c from ${vital.table}
                      where project_id = ${projectId} and page = '' and ${vital.inWindow} ${inScope}
                      group by 1, 2, 3) g) r
          group by t, name`,
    ),
    rows<{ t: number; count: number; errors: number; p50: number | null; p95: number | null }>(
      db,
      sql`select ${epochMs(sql`t`)} as t, sum(c)::float8 as count,
                 coalesce(sum(c) filter (where failed), 0)::float8 as errors, ${percentileColumns}
          from (select *, ${runningCounts("t")}
                from (select ${bin} as t, failed, bucket, sum(count) as c from ${request.table}
                      where project_id = ${projectId} and route = '' and method = '' and ${request.inWindow} ${inScope}
                      group by 1, 2, 3) g) r
          group by t`,
    ),
  ]);
  const byName = new Map(vitals.map((r) => [r.name, r]));
  const requestsAt = new Map(requestSeries.map((r) => [r.t, r]));
  const vitalsAt = new Map<number, VitalValues>();
  for (const r of vitalSeries) {
    const at = vitalsAt.get(r.t) ?? emptyVitals();
    at[r.name] = estimateOf(r.p75);
    vitalsAt.set(r.t, at);
  }
  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString(), bucket: w.bucketLabel as "1h" | "1d" },
    vitals: VITAL_NAMES.map((name) => toVitalSummary(name, byName.get(name))),
    requests: toRequestStats(requests[0]),
    series: bucketStarts(w).map((t) => {
      const r = requestsAt.get(t);
      return {
        t: new Date(t).toISOString(),
        requests: r?.count ?? 0,
        errors: r?.errors ?? 0,
        p50: estimateOf(r?.p50 ?? null),
        p95: estimateOf(r?.p95 ?? null),
        vitals: vitalsAt.get(t) ?? emptyVitals(),
      };
    }),
  };
}

const emptyVitals = (): VitalValues => ({ LCP: null, INP: null, CLS: null, FCP: null, TTFB: null });

export interface PagePerformance extends Omit<VitalSummary, "name"> {
  page: string;
  /** p75 of every vital on this page (null: no samples). */
  vitals: VitalValues;
}

export interface PerformancePage<T> {
  window: { from: string; to: string };
  items: T[];
  nextCursor: Array<string | number> | null;
}

/**
 * Pages by the p75 of one vital, slowest first (ties by page), keyset on (p75 bucket, page). The
 * sort vital is read for every page in the window (one grouped read of its histogram); the other
 * vitals for the returned page only.
 */
export async function listPagePerformance(
  db: Database,
  projectId: string,
  window: TimeWindow,
  scope: Scope,
  vital: VitalName,
  limit: number,
  after: [number, string] | null,
): Promise<PerformancePage<PagePerformance>> {
  const w = performanceWindow(window);
  const stats = await vitalStats(db, projectId, w, scope, sql`name = ${vital} and page <> ''`, true);
  const ordered = stats
    .map((r) => ({ row: r, key: r.p75 ?? ZERO_BUCKET }))
    .sort((a, b) => b.key - a.key || compareText(a.row.page, b.row.page));
  const remaining = after
    ? ordered.filter(({ key, row }) => key < after[0] || (key === after[0] && row.page > after[1]))
    : ordered;
  const page = remaining.slice(0, limit);
  const others =
    page.length === 0
      ? []
      : await vitalStats(
          db,
          projectId,
          w,
          scope,
          sql`page in (${sql.join(
            page.map(({ row }) => sql`${row.page}`),
            sql`, `,
          )})`,
          true,
        );
  const p75s = new Map<string, VitalValues>();
  for (const r of others) {
    const at = p75s.get(r.page) ?? emptyVitals();
    at[r.name] = estimateOf(r.p75);
    p75s.set(r.page, at);
  }
  const last = page[page.length - 1];
  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString() },
    items: page.map(({ row }) => {
      const { name: _name, ...summary } = toVitalSummary(vital, row);
      return { page: row.page, ...summary, vitals: p75s.get(row.page) ?? emptyVitals() };
    }),
    nextCursor: remaining.length > limit && last ? [last.key, last.row.page] : null,
  };
}

export const ROUTE_SORTS = ["p95", "p75", "p50"] as const;
export type RouteSort = (typeof ROUTE_SORTS)[number];

export interface RoutePerformance extends RequestStats {
  method: string;
  route: string;
}

/** Routes (method + route) slowest first by p95 (or p75/p50), keyset on (bucket, method, route). */
export async function listRoutePerformance(
  db: Database,
  projectId: string,
  window: TimeWindow,
  scope: Scope,
  sort: RouteSort,
  limit: number,
  after: [number, string, string] | null,
): Promise<PerformancePage<RoutePerformance>> {
  const w = performanceWindow(window);
  const stats =
    w.tier === "hourly"
      ? await requestStats(db, projectId, w, scope, sql`route <> ''`)
      : await requestStatsFromRunning(db, projectId, w, scope);
  const ordered = stats
    .map((r) => ({ row: r, key: r[sort] ?? ZERO_BUCKET }))
    .sort((a, b) => b.key - a.key || compareText(a.row.method, b.row.method) || compareText(a.row.route, b.row.route));
  const remaining = after
    ? ordered.filter(
        ({ key, row }) =>
          key < after[0] ||
          (key === after[0] && (row.method > after[1] || (row.method === after[1] && row.route > after[2]))),
      )
    : ordered;
  const page = remaining.slice(0, limit);
  const last = page[page.length - 1];
  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString() },
    items: page.map(({ row }) => ({ method: row.method, route: row.route, ...toRequestStats(row) })),
    nextCursor: remaining.length > limit && last ? [last.key, last.row.method, last.row.route] : null,
  };
}

/** Code-unit order, the same as the cursor comparisons (`<`, `>`) use. */
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
