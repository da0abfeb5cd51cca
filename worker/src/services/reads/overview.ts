import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import { bucketStarts, intervalText, previousWindow, type TimeWindow } from "./range.ts";
import { type SessionSummary, sessionSummaryColumns, toSessionSummary } from "./sessions.ts";
import { BIN_ORIGIN, epochMs, rows } from "./sql.ts";

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
const binInterval = (ms: number) => sql.raw(`'${intervalText(ms)}'::interval`);

/** Hourly rollups when buckets are whole hours; the raw tables for the 5-minute buckets of short ranges. */
const usesRollup = (window: TimeWindow) => window.bucketMs >= 3_600_000;

async function eventSeries(db: Database, projectId: string, w: TimeWindow) {
  const bin = binInterval(w.bucketMs);
  const query = usesRollup(w)
    ? sql`select ${epochMs(sql`date_bin(${bin}, hour, ${BIN_ORIGIN})`)} as t, sum(count)::float8 as n
          from event_counts_hourly where project_id = ${projectId} and hour >= ${w.from} and hour < ${w.to} group by 1`
    : sql`select ${epochMs(sql`date_bin(${bin}, "timestamp", ${BIN_ORIGIN})`)} as t, count(*)::float8 as n
          from events where project_id = ${projectId} and "timestamp" >= ${w.from} and "timestamp" < ${w.to} group by 1`;
  return rows<{ t: number; n: number }>(db, query);
}

async function errorSeries(db: Database, projectId: string, w: TimeWindow) {
  const bin = binInterval(w.bucketMs);
  const query = usesRollup(w)
    ? sql`select ${epochMs(sql`date_bin(${bin}, hour, ${BIN_ORIGIN})`)} as t, sum(count)::float8 as n
          from error_counts_hourly where project_id = ${projectId} and hour >= ${w.from} and hour < ${w.to} group by 1`
    : sql`select ${epochMs(sql`date_bin(${bin}, "timestamp", ${BIN_ORIGIN})`)} as t, count(*)::float8 as n
          from error_occurrences where project_id = ${projectId} and "timestamp" >= ${w.from} and "timestamp" < ${w.to} group by 1`;
  return rows<{ t: number; n: number }>(db, query);
}

/** Sessions started, and distinct users among them, per bucket and in total (grouping sets: one scan). */
async function sessionSeries(db: Database, projectId: string, w: TimeWindow) {
  const bin = binInterval(w.bucketMs);
  return rows<{ t: number | null; sessions: number; users: number }>(
    db,
    sql`select ${epochMs(sql`date_bin(${bin}, started_at, ${BIN_ORIGIN})`)} as t,
               count(*)::float8 as sessions,
               count(distinct coalesce(user_id, anonymous_id))::float8 as users
        from sessions where project_id = ${projectId} and started_at >= ${w.from} and started_at < ${w.to}
        group by grouping sets ((date_bin(${bin}, started_at, ${BIN_ORIGIN})), ())`,
  );
}

async function totalsOnly(db: Database, projectId: string, w: TimeWindow): Promise<Totals> {
  if (!usesRollup(w)) {
    const [raw] = await rows<Totals>(
      db,
      sql`select
        (select count(*)::float8 from events
          where project_id = ${projectId} and "timestamp" >= ${w.from} and "timestamp" < ${w.to}) as events,
        (select count(*)::float8 from error_occurrences
          where project_id = ${projectId} and "timestamp" >= ${w.from} and "timestamp" < ${w.to}) as errors,
        (select count(*)::float8 from sessions
          where project_id = ${projectId} and started_at >= ${w.from} and started_at < ${w.to}) as sessions,
        (select count(distinct coalesce(user_id, anonymous_id))::float8 from sessions
          where project_id = ${projectId} and started_at >= ${w.from} and started_at < ${w.to}) as "activeUsers"`,
    );
    return raw;
  }
  const [row] = await rows<Totals>(
    db,
    sql`select
      (select coalesce(sum(count), 0)::float8 from event_counts_hourly
        where project_id = ${projectId} and hour >= date_trunc('hour', ${w.from}::timestamptz, 'UTC') and hour < ${w.to}) as events,
      (select coalesce(sum(count), 0)::float8 from error_counts_hourly
        where project_id = ${projectId} and hour >= date_trunc('hour', ${w.from}::timestamptz, 'UTC') and hour < ${w.to}) as errors,
      (select count(*)::float8 from sessions
        where project_id = ${projectId} and started_at >= ${w.from} and started_at < ${w.to}) as sessions,
      (select count(distinct coalesce(user_id, anonymous_id))::float8 from sessions
        where project_id = ${projectId} and started_at >= ${w.from} and started_at < ${w.to}) as "activeUsers"`,
  );
  return row;
}

/**
 * The project's overview for a window: totals and a zero-filled series of events, errors, sessions and
 * active users (distinct user or anonymous ids among sessions started), the previous window's totals,
 * top error groups and event names, and the latest sessions.
 */
export async function getOverview(db: Database, projectId: string, w: TimeWindow): Promise<Overview> {
  const previous = previousWindow(w);
  const [events, errors, sessions, previousTotals, topErrorGroups, topEvents, recent] = await Promise.all([
    eventSeries(db, projectId, w),
    errorSeries(db, projectId, w),
    sessionSeries(db, projectId, w),
    totalsOnly(db, projectId, previous),
    rows<Overview["topErrorGroups"][number]>(
      db,
      sql`select g.id, g.type, g.message, g.culprit, g.status, t.n::float8 as count
          from (select group_id, sum(count) as n from error_counts_hourly
                where project_id = ${projectId} and hour >= date_trunc('hour', ${w.from}::timestamptz, 'UTC') and hour < ${w.to}
                group by group_id order by n desc limit 5) t
          join error_groups g on g.id = t.group_id order by t.n desc`,
    ),
    rows<{ name: string; count: number }>(
      db,
      sql`select name, sum(count)::float8 as count from event_counts_hourly
          where project_id = ${projectId} and hour >= date_trunc('hour', ${w.from}::timestamptz, 'UTC') and hour < ${w.to}
          group by name order by count desc, name limit 10`,
    ),
    rows<Record<string, unknown>>(
      db,
      sql`select ${sessionSummaryColumns} from sessions s where s.project_id = ${projectId}
          order by s.started_at desc, s.id desc limit 10`,
    ),
  ]);

  const byT = (list: Array<{ t: number | null; n: number }>) => new Map(list.map((r) => [r.t, r.n]));
  const eventMap = byT(events);
  const errorMap = byT(errors);
  const sessionRows = sessions.filter((r) => r.t !== null);
  const sessionMap = new Map(sessionRows.map((r) => [r.t, r]));
  const sessionTotal = sessions.find((r) => r.t === null);
  const series = bucketStarts(w).map((t) => ({
    t: new Date(t).toISOString(),
    events: eventMap.get(t) ?? 0,
    errors: errorMap.get(t) ?? 0,
    sessions: sessionMap.get(t)?.sessions ?? 0,
    activeUsers: sessionMap.get(t)?.users ?? 0,
  }));
  const sum = (list: Array<{ n: number }>) => list.reduce((acc, r) => acc + r.n, 0);
  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString(), bucket: w.bucketLabel },
    totals: {
      events: sum(events),
      errors: sum(errors),
      sessions: sessionTotal?.sessions ?? 0,
      activeUsers: sessionTotal?.users ?? 0,
    },
    previous: { from: previous.from.toISOString(), to: previous.to.toISOString(), totals: previousTotals },
    series,
    topErrorGroups,
    topEvents,
    recentSessions: recent.map(toSessionSummary),
  };
}
