import type { Database } from "@telemetry-tracker/db";
import { type SQL, sql } from "drizzle-orm";
import { type IssueSummary, issueSummaryColumns } from "./issues.ts";
import type { TimeWindow } from "./range.ts";
import type { SearchQuery } from "./search-query.ts";
import { type SessionSummary, sessionSummaryColumns, toSessionSummary } from "./sessions.ts";
import { isoText, likePattern, rows } from "./sql.ts";

// Global search over one project. Each kind reads an indexed table: error groups (trigram indexes on
// message, type, fingerprint), sessions (trigram on session id, btree on user key and release), and
// the rollups for event names (event_counts_hourly), users (session_users_daily and its scoped twin,
// release_users_daily) and releases (release_counts_hourly) — never `events`. A kind that cannot
// honour a token (event names have no user or release; only issues have a status) is not searched.
// Issues and sessions come newest first; names, users and releases in key order, so that a page and
// its capped count walk a btree in that order and stop early instead of aggregating the whole range.

/**
 * Counts are exact up to this many matches per kind, then "100+": the cost of a search stays bounded
 * however many rows a broad word matches (and the planner keeps to the indexes).
 */
export const COUNT_CAP = 100;

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface KindResult<T> {
  /** False when a token of the query does not apply to this kind (then count is 0, items empty). */
  searched: boolean;
  count: number;
  /** True when there are more than `count` (= COUNT_CAP) matches. */
  countCapped: boolean;
  items: T[];
}

export interface EventNameHit {
  name: string;
  /** Events of that name in the range. */
  count: number;
  /** Start of the last UTC hour with one. */
  lastSeen: string;
}

export interface UserHit {
  /** User id, or the anonymous id of sessions without one. */
  userKey: string;
  /** The last UTC day with a session in the range. */
  lastSeen: string;
}

export interface ReleaseHit {
  release: string;
  /** Sessions started in the range (the user's, with `user:`). */
  sessions: number;
  lastSeen: string;
}

export interface SearchResults {
  window: { from: string; to: string };
  issues: KindResult<IssueSummary>;
  events: KindResult<EventNameHit>;
  sessions: KindResult<SessionSummary>;
  users: KindResult<UserHit>;
  releases: KindResult<ReleaseHit>;
}

const and = (parts: SQL[]) => sql.join(parts, sql` and `);

/** Every free-text term matches one of `columns` (ILIKE, served by their trigram indexes). */
function termConditions(terms: string[], columns: SQL[]): SQL[] {
  return terms.map((term) => {
    const pattern = likePattern(term);
    return sql`(${sql.join(
      columns.map((column) => sql`${column} ilike ${pattern}`),
      sql` or `,
    )})`;
  });
}

/**
 * Runs a kind's page and its capped count. `select(columns, limit)` builds the ordered statement;
 * the count reuses it with `1` and COUNT_CAP + 1 rows, so both follow the same index.
 */
async function kind<T>(
  db: Database,
  select: (columns: SQL, limit: number) => SQL,
  columns: SQL,
  limit: number,
): Promise<KindResult<T>> {
  const [items, counted] = await Promise.all([
    rows<T>(db, select(columns, limit)),
    rows<{ n: number }>(db, sql`select count(*)::int as n from (${select(sql`1`, COUNT_CAP + 1)}) c`),
  ]);
  const n = counted[0]?.n ?? 0;
  return { searched: true, count: Math.min(n, COUNT_CAP), countCapped: n > COUNT_CAP, items };
}

const notSearched = <T>(): KindResult<T> => ({ searched: false, count: 0, countCapped: false, items: [] });

function searchIssues(db: Database, projectId: string, q: SearchQuery, from: Date, limit: number) {
  const where: SQL[] = [sql`g.project_id = ${projectId}`, sql`g.last_seen >= ${from}`];
  if (q.status) where.push(sql`g.status = ${q.status}`);
  if (q.environment) where.push(sql`g.environment = ${q.environment}`);
  if (q.release) where.push(sql`(g.first_release = ${q.release} or g.last_release = ${q.release})`);
  if (q.user) {
    where.push(sql`exists (select 1 from error_group_users u where u.group_id = g.id and u.user_key = ${q.user})`);
  }
  where.push(...termConditions(q.terms, [sql`g.message`, sql`g.type`, sql`g.fingerprint`]));
  return kind<IssueSummary>(
    db,
    (columns, n) =>
      sql`select ${columns} from error_groups g where ${and(where)} order by g.last_seen desc nulls last, g.id limit ${n}`,
    issueSummaryColumns,
    limit,
  );
}

function searchEventNames(db: Database, projectId: string, q: SearchQuery, from: Date, limit: number) {
  // The per-name rollups carry neither user nor release, and event names have no status.
  if (q.user || q.release || q.status) return notSearched<EventNameHit>();
  const table = sql.raw(q.environment ? "event_counts_hourly_by_scope" : "event_counts_hourly");
  const where: SQL[] = [sql`project_id = ${projectId}`, sql`hour >= ${floorTo(from, HOUR)}`];
  if (q.environment) where.push(sql`environment = ${q.environment}`);
  where.push(...termConditions(q.terms, [sql`name`]));
  return kind<EventNameHit>(
    db,
    (columns, n) => sql`select ${columns} from ${table} where ${and(where)} group by name order by name limit ${n}`,
    sql`name, sum(count)::float8 as count, ${isoText("max(hour)")} as "lastSeen"`,
    limit,
  );
}

async function searchSessions(db: Database, projectId: string, q: SearchQuery, from: Date, limit: number) {
  if (q.status) return notSearched<SessionSummary>();
  const where: SQL[] = [sql`s.project_id = ${projectId}`, sql`s.started_at >= ${from}`];
  if (q.environment) where.push(sql`s.environment = ${q.environment}`);
  if (q.release) where.push(sql`s.release = ${q.release}`);
  // The expression of sessions_project_user_key_started_idx: the rollups' user key.
  if (q.user) where.push(sql`coalesce(s.user_id, s.anonymous_id) = ${q.user}`);
  where.push(...termConditions(q.terms, [sql`s.session_id`]));
  const found = await kind<Record<string, unknown>>(
    db,
    (columns, n) =>
      sql`select ${columns} from sessions s where ${and(where)} order by s.started_at desc nulls last, s.id desc nulls last limit ${n}`,
    sessionSummaryColumns,
    limit,
  );
  return { ...found, items: found.items.map(toSessionSummary) };
}

function searchUsers(db: Database, projectId: string, q: SearchQuery, from: Date, limit: number) {
  if (q.status) return notSearched<UserHit>();
  // Whichever rollup holds the tokens given: per release (and scope), per scope, or per project.
  const table = sql.raw(
    q.release ? "release_users_daily" : q.environment ? "session_users_daily_by_scope" : "session_users_daily",
  );
  const where: SQL[] = [sql`project_id = ${projectId}`, sql`day >= ${floorTo(from, DAY)}`];
  if (q.release) where.push(sql`release = ${q.release}`);
  if (q.environment) where.push(sql`environment = ${q.environment}`);
  if (q.user) where.push(sql`user_key = ${q.user}`);
  where.push(...termConditions(q.terms, [sql`user_key`]));
  return kind<UserHit>(
    db,
    (columns, n) =>
      sql`select ${columns} from ${table} where ${and(where)} group by user_key order by user_key limit ${n}`,
    sql`user_key as "userKey", ${isoText("max(day)")} as "lastSeen"`,
    limit,
  );
}

function searchReleases(db: Database, projectId: string, q: SearchQuery, from: Date, limit: number) {
  if (q.status) return notSearched<ReleaseHit>();
  const where: SQL[] = [sql`project_id = ${projectId}`];
  if (q.environment) where.push(sql`environment = ${q.environment}`);
  if (q.release) where.push(sql`release = ${q.release}`);
  where.push(...termConditions(q.terms, [sql`release`]));
  // With `user:`, the releases that user's sessions ran (per day); otherwise the hourly release rollup.
  const source = q.user
    ? {
        table: sql`release_users_daily`,
        where: [...where, sql`user_key = ${q.user}`, sql`day >= ${floorTo(from, DAY)}`],
        time: "day",
      }
    : {
        table: sql`release_counts_hourly`,
        where: [...where, sql`hour >= ${floorTo(from, HOUR)}`],
        time: "hour",
      };
  const time = sql.raw(source.time);
  return kind<ReleaseHit>(
    db,
    (columns, n) =>
      sql`select ${columns} from ${source.table} where ${and(source.where)} group by release
          order by release limit ${n}`,
    sql`release, sum(sessions)::float8 as sessions, ${isoText(sql`max(${time})`)} as "lastSeen"`,
    limit,
  );
}

const floorTo = (date: Date, ms: number) => new Date(Math.floor(date.getTime() / ms) * ms);

/** Every kind searched at once; each answers its first `limit` hits and its (capped) count. */
export async function search(
  db: Database,
  projectId: string,
  query: SearchQuery,
  window: TimeWindow,
  limit: number,
): Promise<SearchResults> {
  const from = window.from;
  const [issues, events, sessions, users, releases] = await Promise.all([
    searchIssues(db, projectId, query, from, limit),
    searchEventNames(db, projectId, query, from, limit),
    searchSessions(db, projectId, query, from, limit),
    searchUsers(db, projectId, query, from, limit),
    searchReleases(db, projectId, query, from, limit),
  ]);
  return {
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    issues,
    events,
    sessions,
    users,
    releases,
  };
}
