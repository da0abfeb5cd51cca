import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import { bucketStarts, intervalText, previousWindow, type TimeWindow } from "./range.ts";
import { type SessionSummary, sessionSummaryColumns, toSessionSummary } from "./sessions.ts";
import { BIN_ORIGIN, epochMs, isScoped, rollup, rows, type Scope, scopeConditions } from "./sql.ts";

export interface Totals {
  events: number;
  errors: number;
  sessions: number;
  activeUsers: number;
}

export interface Overview {
  window: { from: string; to: string; bucket: TimeWindow["bucketLabel"] };
  totals: Totals;
  previous: { from: string; to: string; totals: Totals };
  series: Array<{ t: string } & Totals>;
  topErrorGroups: Array<{
    id: string;
    type: string;
    message: string;
    culprit: string | null;
    status: string;
    count: number;
  }>;
  topEvents: Array<{ name: string; count: number }>;
  recentSessions: SessionSummary[];
}

// Inlined, not a parameter: GROUP BY must repeat the select's expression exactly, and the text
// is built from a number.
export const binInterval = (ms: number) => sql.raw(`'${intervalText(ms)}'::interval`);

/** Hourly rollups when buckets are whole hours; the raw tables for the 5-minute buckets of short ranges. */
const usesRollup = (window: TimeWindow) => window.bucketMs >= 3_600_000;

interface CountRow {
  t: number | null;
  events: number;
  errors: number;
  sessions: number;
}

/** Events, errors and sessions per bucket (t) and in total (t null): one grouping-sets pass. */
async function countSeries(db: Database, projectId: string, w: TimeWindow, scope: Scope): Promise<CountRow[]> {
  const bin = binInterval(w.bucketMs);
  const inScope = scopeConditions(scope);
  if (usesRollup(w)) {
    return rows<CountRow>(
      db,
      sql`select ${epochMs(sql`date_bin(${bin}, hour, ${BIN_ORIGIN})`)} as t, sum(events)::float8 as events,
                 sum(errors)::float8 as errors, sum(sessions)::float8 as sessions
          from ${rollup("project_counts_hourly", scope)}
          where project_id = ${projectId} and hour >= ${w.from} and hour < ${w.to} ${inScope}
          group by grouping sets ((date_bin(${bin}, hour, ${BIN_ORIGIN})), ())`,
    );
  }
  const raw = (table: string, column: string) =>
    sql`select date_bin(${bin}, ${sql.raw(column)}, ${BIN_ORIGIN}) as b from ${sql.raw(table)}
        where project_id = ${projectId} and ${sql.raw(column)} >= ${w.from} and ${sql.raw(column)} < ${w.to} ${inScope}`;
  return rows<CountRow>(
    db,
    sql`select ${epochMs(sql`b`)} as t, count(*) filter (where k = 'e')::float8 as events,
               count(*) filter (where k = 'r')::float8 as errors, count(*) filter (where k = 's')::float8 as sessions
        from (select b, 'e' as k from (${raw("events", '"timestamp"')}) e
              union all select b, 'r' from (${raw("error_occurrences", '"timestamp"')}) r
              union all select b, 's' from (${raw("sessions", "started_at")}) s) x
        group by grouping sets ((b), ())`,
  );
}

/**
 * Distinct user (or anonymous) ids among sessions started, per bucket (t) and in total (t null).
 * Daily buckets read the per-day rollups (one row per user and day, not per session); shorter ones
 * hash-aggregate the covering index (sessions_project_started_users_idx).
 */
async function activeUsers(db: Database, projectId: string, w: TimeWindow, scope: Scope) {
  const bin = binInterval(w.bucketMs);
  const inScope = scopeConditions(scope);
  const inWindow = sql`project_id = ${projectId} and started_at >= ${w.from} and started_at < ${w.to} ${inScope}`;
  if (w.bucketMs === 86_400_000 && isScoped(scope)) {
    // One row per (day, app, environment, user): distinct across the environments an app filter spans.
    return rows<{ t: number | null; users: number }>(
      db,
      sql`select ${epochMs(sql`day`)} as t, count(distinct user_key)::float8 as users from session_users_daily_by_scope
          where project_id = ${projectId} and day >= ${w.from} and day < ${w.to} ${inScope}
          group by grouping sets ((day), ())`,
    );
  }
  if (w.bucketMs === 86_400_000) {
    return rows<{ t: number | null; users: number }>(
      db,
      sql`select ${epochMs(sql`day`)} as t, users::float8 as users from project_users_daily
          where project_id = ${projectId} and day >= ${w.from} and day < ${w.to}
          union all
          select null, count(*)::float8 from (select distinct user_key from session_users_daily
            where project_id = ${projectId} and day >= ${w.from} and day < ${w.to}) d`,
    );
  }
  return rows<{ t: number | null; users: number }>(
    db,
    sql`with per as materialized (
          select date_bin(${bin}, started_at, ${BIN_ORIGIN}) as b, coalesce(user_id, anonymous_id) as u
          from sessions where ${inWindow} group by 1, 2)
        select ${epochMs(sql`b`)} as t, count(u)::float8 as users from per group by b
        union all
        select null, count(*)::float8 from (select distinct u from per where u is not null) d`,
  );
}

type TopGroup = Overview["topErrorGroups"][number];

/** The five groups with the most occurrences in the window, by summing the per-group hourly rollup. */
export async function topGroupsByScan(
  db: Database,
  projectId: string,
  w: TimeWindow,
  scope: Scope = {},
): Promise<TopGroup[]> {
  return rows<TopGroup>(
    db,
    sql`select g.id, g.type, g.message, g.culprit, g.status, t.n::float8 as count
        from (select group_id, sum(count) as n from ${rollup("error_counts_hourly", scope)}
              where project_id = ${projectId} and hour >= ${w.from} and hour < ${w.to} ${scopeConditions(scope)}
              group by group_id order by n desc limit 5) t
        join error_groups g on g.id = t.group_id order by t.n desc, g.id`,
  );
}

const TOP_GROUPS_BATCH = 50;
const TOP_GROUPS_MAX_BATCHES = 10;

/**
 * Same answer, for long windows, without summing every group's rollup rows: walk groups by all-time
 * occurrences (an upper bound of their count in any window) and stop once the fifth best count in the
 * window is at least the next group's all-time total — nothing further down can beat it (the
 * threshold algorithm). Falls back to the full scan if the bound does not bite within a few batches.
 */
export async function findTopErrorGroups(
  db: Database,
  projectId: string,
  w: TimeWindow,
  scope: Scope = {},
): Promise<TopGroup[]> {
  if (w.to.getTime() - w.from.getTime() <= 2 * 86_400_000) return topGroupsByScan(db, projectId, w, scope);
  const best: Array<TopGroup & { occurrences: number }> = [];
  let after: { occurrences: number; id: string } | null = null;
  for (let batch = 0; batch < TOP_GROUPS_MAX_BATCHES; batch++) {
    const found: Array<TopGroup & { occurrences: number }> = await rows(
      db,
      sql`select g.id::text as id, g.type, g.message, g.culprit, g.status, g.occurrences::float8 as occurrences,
                 coalesce((select sum(c.count) from ${rollup("error_counts_hourly", scope)} c where c.group_id = g.id
                   and c.project_id = ${projectId} and c.hour >= ${w.from} and c.hour < ${w.to}
                   ${scopeConditions(scope, "c")}), 0)::float8 as count
          from error_groups g
          where g.project_id = ${projectId} and g.last_seen >= ${w.from}
            ${after ? sql`and (g.occurrences < ${after.occurrences} or (g.occurrences = ${after.occurrences} and g.id > ${after.id}::uuid))` : sql``}
          order by g.occurrences desc nulls last, g.id limit ${TOP_GROUPS_BATCH}`,
    );
    best.push(...found.filter((g) => g.count > 0));
    best.sort((a, b) => b.count - a.count || a.id.localeCompare(b.id));
    best.splice(5);
    const last = found[found.length - 1];
    if (found.length < TOP_GROUPS_BATCH || (best.length === 5 && best[4].count >= last.occurrences)) {
      return best.map(({ occurrences: _o, ...group }) => group);
    }
    after = { occurrences: last.occurrences, id: last.id };
  }
  return topGroupsByScan(db, projectId, w, scope);
}

/**
 * The project's overview for a window: totals and a zero-filled series of events, errors, sessions and
 * active users (distinct user or anonymous ids among sessions started), the previous window's totals,
 * top error groups and event names, and the latest sessions.
 */
export async function getOverview(
  db: Database,
  projectId: string,
  w: TimeWindow,
  scope: Scope = {},
): Promise<Overview> {
  const previous = previousWindow(w);
  const inScope = scopeConditions(scope);
  const [counts, users, previousCounts, previousUsers, topErrorGroups, topEvents, recent] = await Promise.all([
    countSeries(db, projectId, w, scope),
    activeUsers(db, projectId, w, scope),
    countSeries(db, projectId, previous, scope),
    activeUsers(db, projectId, previous, scope),
    findTopErrorGroups(db, projectId, w, scope),
    rows<{ name: string; count: number }>(
      db,
      sql`select name, sum(count)::float8 as count from ${rollup("event_counts_hourly", scope)}
          where project_id = ${projectId} and hour >= date_trunc('hour', ${w.from}::timestamptz, 'UTC') and hour < ${w.to}
            ${inScope}
          group by name order by count desc, name limit 10`,
    ),
    rows<Record<string, unknown>>(
      db,
      sql`select ${sessionSummaryColumns} from sessions s where s.project_id = ${projectId} ${scopeConditions(scope, "s")}
          order by s.started_at desc nulls last, s.id desc nulls last limit 10`,
    ),
  ]);

  const countMap = new Map(counts.map((r) => [r.t, r]));
  const userMap = new Map(users.map((r) => [r.t, r.users]));
  const series = bucketStarts(w).map((t) => ({
    t: new Date(t).toISOString(),
    events: countMap.get(t)?.events ?? 0,
    errors: countMap.get(t)?.errors ?? 0,
    sessions: countMap.get(t)?.sessions ?? 0,
    activeUsers: userMap.get(t) ?? 0,
  }));
  const totalsOf = (countRows: CountRow[], userRows: Array<{ t: number | null; users: number }>): Totals => {
    const total = countRows.find((r) => r.t === null);
    return {
      events: total?.events ?? 0,
      errors: total?.errors ?? 0,
      sessions: total?.sessions ?? 0,
      activeUsers: userRows.find((r) => r.t === null)?.users ?? 0,
    };
  };
  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString(), bucket: w.bucketLabel },
    totals: totalsOf(counts, users),
    previous: {
      from: previous.from.toISOString(),
      to: previous.to.toISOString(),
      totals: totalsOf(previousCounts, previousUsers),
    },
    series,
    topErrorGroups,
    topEvents,
    recentSessions: recent.map(toSessionSummary),
  };
}
