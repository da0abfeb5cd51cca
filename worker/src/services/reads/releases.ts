import type { Database } from "@telemetry-tracker/db";
import { type SQL, sql } from "drizzle-orm";
import { type IssueSummary, issueSummaryColumns } from "./issues.ts";
import { binInterval } from "./overview.ts";
import { bucketStarts, type TimeWindow } from "./range.ts";
import { BIN_ORIGIN, epochMs, isoText, rows, type Scope, scopeConditions } from "./sql.ts";

// Release health from the release rollups (migrations 0014–0015): sessions by final status and error
// occurrences per release and hour, and per release, day and user. Nothing here reads `sessions`.

export const RELEASE_SORTS = ["adoption", "crash_free", "errors", "first_seen"] as const;
export type ReleaseSort = (typeof RELEASE_SORTS)[number];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ISSUES_PER_LIST = 50;

export interface ReleaseHealth {
  release: string;
  /**
   * Start of the first and last UTC hour with a session or error of this release (in the scope), all
   * time; null for a known release with nothing in the window (release detail only).
   */
  firstSeen: string | null;
  lastSeen: string | null;
  sessions: number;
  errored: number;
  crashed: number;
  abnormal: number;
  users: number;
  crashedUsers: number;
  /** Percent of sessions that did not crash; null without sessions. */
  crashFreeSessions: number | null;
  /** Percent of users none of whose sessions crashed; null without users. */
  crashFreeUsers: number | null;
  errors: number;
  newIssues: number;
  /** Percent of all release-tagged sessions in the range that ran this release. */
  adoption: number;
}

/** Release reads use the hourly rollups, so the window starts on a whole hour and buckets are ≥ 1 h. */
export function releaseWindow(w: TimeWindow): TimeWindow {
  if (w.bucketMs >= HOUR) return w;
  return { from: new Date(Math.floor(w.from.getTime() / HOUR) * HOUR), to: w.to, bucketMs: HOUR, bucketLabel: "1h" };
}

const percentFree = (bad: number, total: number) => (total > 0 ? ((total - bad) / total) * 100 : null);

interface CountsRow {
  release: string;
  firstSeen: string | null;
  lastSeen: string | null;
  sessions: number;
  errored: number;
  crashed: number;
  abnormal: number;
  errors: number;
}

/** Every release with sessions or errors in the window, summed from the hourly rollup. */
async function releaseCounts(db: Database, projectId: string, w: TimeWindow, scope: Scope, release?: string) {
  const only = release === undefined ? sql`` : sql` and release = ${release}`;
  return rows<CountsRow>(
    db,
    sql`with a as (
          select release, sum(sessions)::float8 as sessions, sum(errored)::float8 as errored,
                 sum(crashed)::float8 as crashed, sum(abnormal)::float8 as abnormal, sum(errors)::float8 as errors
          from release_counts_hourly
          where project_id = ${projectId} and hour >= ${w.from} and hour < ${w.to} ${scopeConditions(scope)} ${only}
          group by release)
        select a.*,
          (select ${isoText(sql`min(f.hour)`)} from release_counts_hourly f
            where f.project_id = ${projectId} and f.release = a.release ${scopeConditions(scope, "f")}) as "firstSeen",
          (select ${isoText(sql`max(f.hour)`)} from release_counts_hourly f
            where f.project_id = ${projectId} and f.release = a.release ${scopeConditions(scope, "f")}) as "lastSeen"
        from a`,
  );
}

const releaseList = (releases: string[]) =>
  sql`(${sql.join(
    releases.map((r) => sql`${r}`),
    sql`, `,
  )})`;

/**
 * Distinct users and users with a crashed session per release. The users rollup is per UTC day, so
 * the window is widened to whole days for these two counts. Each user is folded once per release
 * first (one hash or group step) and then counted: about half the time of two `count(distinct …)`,
 * which sort every user-day row of the window (bench:read, 30 days).
 */
async function releaseUsers(db: Database, projectId: string, w: TimeWindow, scope: Scope, releases: string[]) {
  if (releases.length === 0) return new Map<string, { users: number; crashedUsers: number }>();
  const dayFrom = new Date(Math.floor(w.from.getTime() / DAY) * DAY);
  const found = await rows<{ release: string; users: number; crashedUsers: number }>(
    db,
    sql`select release, count(*)::float8 as users, count(*) filter (where crashed)::float8 as "crashedUsers"
        from (select release, user_key, bool_or(crashed > 0) as crashed
              from release_users_daily
              where project_id = ${projectId} and release in ${releaseList(releases)} and day >= ${dayFrom}
                and day < ${w.to} ${scopeConditions(scope)}
              group by release, user_key) per_user
        group by release`,
  );
  return new Map(found.map((r) => [r.release, r]));
}

/** Issues first seen in each release (its group's first occurrence named it); app/environment are the group's. */
async function newIssueCounts(db: Database, projectId: string, scope: Scope, releases: string[]) {
  if (releases.length === 0) return new Map<string, number>();
  const found = await rows<{ release: string; n: number }>(
    db,
    sql`select first_release as release, count(*)::float8 as n from error_groups g
        where g.project_id = ${projectId} and g.first_release in ${releaseList(releases)} ${scopeConditions(scope, "g")}
        group by first_release`,
  );
  return new Map(found.map((r) => [r.release, r.n]));
}

/** Ascending sort key per sort (ties broken by release name): best candidates first. */
function sortKey(
  item: Pick<ReleaseHealth, "sessions" | "errors" | "firstSeen" | "crashFreeSessions">,
  sort: ReleaseSort,
) {
  switch (sort) {
    case "adoption":
      return -item.sessions;
    case "errors":
      return -item.errors;
    case "first_seen":
      return item.firstSeen ? -Date.parse(item.firstSeen) : 0;
    case "crash_free":
      // Least healthy first; releases without sessions (errors only) last.
      return item.crashFreeSessions ?? 1000;
  }
}

export interface ReleasePage {
  window: { from: string; to: string };
  releases: ReleaseHealth[];
  nextCursor: [number, string] | null;
}

/**
 * One page of releases active in the window. The per-release sums cover every release in the window
 * (one grouped read of the hourly rollup, small: releases × hours × scopes); users and new-issue counts
 * are read for the page only. Keyset on (sort key, release).
 */
export async function listReleases(
  db: Database,
  projectId: string,
  window: TimeWindow,
  scope: Scope,
  sort: ReleaseSort,
  limit: number,
  after: [number, string] | null,
): Promise<ReleasePage> {
  const w = releaseWindow(window);
  const counts = await releaseCounts(db, projectId, w, scope);
  const totalSessions = counts.reduce((sum, r) => sum + r.sessions, 0);
  const keyed = counts
    .map((r) => ({ ...r, crashFreeSessions: percentFree(r.crashed, r.sessions) }))
    .map((r) => ({ row: r, key: sortKey(r, sort) }))
    .sort((a, b) => a.key - b.key || (a.row.release < b.row.release ? -1 : a.row.release > b.row.release ? 1 : 0));
  const remaining = after
    ? keyed.filter(({ key, row }) => key > after[0] || (key === after[0] && row.release > after[1]))
    : keyed;
  const page = remaining.slice(0, limit);
  const names = page.map(({ row }) => row.release);
  const [users, newIssues] = await Promise.all([
    releaseUsers(db, projectId, w, scope, names),
    newIssueCounts(db, projectId, scope, names),
  ]);
  const releases = page.map(({ row }) =>
    toHealth(row, users.get(row.release), newIssues.get(row.release), totalSessions),
  );
  const last = page[page.length - 1];
  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString() },
    releases,
    nextCursor: remaining.length > limit && last ? [last.key, last.row.release] : null,
  };
}

function toHealth(
  row: CountsRow,
  users: { users: number; crashedUsers: number } | undefined,
  newIssues: number | undefined,
  totalSessions: number,
): ReleaseHealth {
  return {
    release: row.release,
    firstSeen: row.firstSeen,
    lastSeen: row.lastSeen,
    sessions: row.sessions,
    errored: row.errored,
    crashed: row.crashed,
    abnormal: row.abnormal,
    users: users?.users ?? 0,
    crashedUsers: users?.crashedUsers ?? 0,
    crashFreeSessions: percentFree(row.crashed, row.sessions),
    crashFreeUsers: percentFree(users?.crashedUsers ?? 0, users?.users ?? 0),
    errors: row.errors,
    newIssues: newIssues ?? 0,
    adoption: totalSessions > 0 ? (row.sessions / totalSessions) * 100 : 0,
  };
}

export interface ReleaseDetail {
  window: { from: string; to: string; bucket: TimeWindow["bucketLabel"] };
  health: ReleaseHealth;
  series: Array<{
    t: string;
    sessions: number;
    errored: number;
    crashed: number;
    abnormal: number;
    errors: number;
    crashFreeSessions: number | null;
  }>;
  newIssues: IssueSummary[];
  regressedIssues: IssueSummary[];
}

/** One release over the window; null when the project has never seen it. */
export async function getRelease(
  db: Database,
  projectId: string,
  window: TimeWindow,
  scope: Scope,
  release: string,
): Promise<ReleaseDetail | null> {
  const w = releaseWindow(window);
  // One probe per release index of error_groups: an OR of both columns in one probe scans the table.
  const known = await rows<{ known: boolean }>(
    db,
    sql`select (exists (select 1 from release_counts_hourly where project_id = ${projectId} and release = ${release})
             or exists (select 1 from project_dimensions where project_id = ${projectId} and kind = 'release'
                          and value = ${release})
             or exists (select 1 from error_groups where project_id = ${projectId} and first_release = ${release})
             or exists (select 1 from error_groups where project_id = ${projectId} and last_release = ${release})) as known`,
  );
  if (!known[0]?.known) return null;

  const bin = binInterval(w.bucketMs);
  const groupColumns = (extra: SQL) =>
    sql`select ${issueSummaryColumns} from error_groups g
        where g.project_id = ${projectId} ${scopeConditions(scope, "g")} and ${extra}`;
  const [allCounts, users, newIssueCount, series, newIssues, regressedIssues] = await Promise.all([
    releaseCounts(db, projectId, w, scope),
    releaseUsers(db, projectId, w, scope, [release]),
    newIssueCounts(db, projectId, scope, [release]),
    rows<{ t: number; sessions: number; errored: number; crashed: number; abnormal: number; errors: number }>(
      db,
      sql`select ${epochMs(sql`date_bin(${bin}, hour, ${BIN_ORIGIN})`)} as t, sum(sessions)::float8 as sessions,
                 sum(errored)::float8 as errored, sum(crashed)::float8 as crashed, sum(abnormal)::float8 as abnormal,
                 sum(errors)::float8 as errors
          from release_counts_hourly
          where project_id = ${projectId} and release = ${release} and hour >= ${w.from} and hour < ${w.to}
            ${scopeConditions(scope)}
          group by date_bin(${bin}, hour, ${BIN_ORIGIN})`,
    ),
    rows<IssueSummary>(
      db,
      sql`${groupColumns(sql`g.first_release = ${release}`)} order by g.occurrences desc, g.id limit ${ISSUES_PER_LIST}`,
    ),
    rows<IssueSummary>(
      db,
      sql`${groupColumns(sql`g.last_release = ${release} and g.regressed`)}
          order by g.last_seen desc, g.id limit ${ISSUES_PER_LIST}`,
    ),
  ]);
  const totalSessions = allCounts.reduce((sum, r) => sum + r.sessions, 0);
  const own = allCounts.find((r) => r.release === release);
  const health = own
    ? toHealth(own, users.get(release), newIssueCount.get(release), totalSessions)
    : toHealth(emptyCounts(release), undefined, newIssueCount.get(release), totalSessions);
  const byBucket = new Map(series.map((r) => [r.t, r]));
  return {
    window: { from: w.from.toISOString(), to: w.to.toISOString(), bucket: w.bucketLabel },
    health,
    series: bucketStarts(w).map((t) => {
      const r = byBucket.get(t);
      const sessions = r?.sessions ?? 0;
      return {
        t: new Date(t).toISOString(),
        sessions,
        errored: r?.errored ?? 0,
        crashed: r?.crashed ?? 0,
        abnormal: r?.abnormal ?? 0,
        errors: r?.errors ?? 0,
        crashFreeSessions: percentFree(r?.crashed ?? 0, sessions),
      };
    }),
    newIssues,
    regressedIssues,
  };
}

/** A known release with nothing in the window. */
function emptyCounts(release: string): CountsRow {
  return { release, firstSeen: null, lastSeen: null, sessions: 0, errored: 0, crashed: 0, abnormal: 0, errors: 0 };
}
