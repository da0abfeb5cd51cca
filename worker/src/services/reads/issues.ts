import type { Database } from "@telemetry-tracker/db";
import { type SQL, sql } from "drizzle-orm";
import { intervalText, type TimeWindow } from "./range.ts";
import { type SessionSummary, sessionSummaryColumns, toSessionSummary } from "./sessions.ts";
import { BIN_ORIGIN, epochMs, isoMicroText, isoText, likePattern, rows } from "./sql.ts";

export const ISSUE_SORTS = ["last_seen", "first_seen", "occurrences", "users"] as const;
export type IssueSort = (typeof ISSUE_SORTS)[number];

export interface IssueSummary {
  id: string;
  type: string;
  message: string;
  culprit: string | null;
  status: string;
  regressed: boolean;
  occurrences: number;
  usersAffected: number;
  firstSeen: string;
  lastSeen: string;
  lastRelease: string | null;
  firstRelease: string | null;
  app: string | null;
  environment: string | null;
}

export interface IssueFilters {
  status: "unresolved" | "resolved" | "ignored" | "all";
  app?: string;
  environment?: string;
  release?: string;
  q?: string;
}

export const issueSummaryColumns = sql`g.id::text as id, g.type, g.message, g.culprit, g.status, g.regressed,
  g.occurrences::float8 as occurrences, g.users_affected as "usersAffected", ${isoText("g.first_seen")} as "firstSeen", ${isoText("g.last_seen")} as "lastSeen",
  g.last_release as "lastRelease", g.first_release as "firstRelease", g.app, g.environment`;

/**
 * One page of error groups. Keyset on (sort value desc, id asc), served by the
 * (project, sort column desc, id) indexes; `users_affected` is kept by a trigger (migration 0008).
 */
export async function listIssues(
  db: Database,
  projectId: string,
  filters: IssueFilters,
  sort: IssueSort,
  limit: number,
  after: [string, string] | null,
): Promise<{ items: IssueSummary[]; nextCursor: [string, string] | null }> {
  const conditions: SQL[] = [sql`g.project_id = ${projectId}`];
  if (filters.status !== "all") conditions.push(sql`g.status = ${filters.status}`);
  if (filters.app) conditions.push(sql`g.app = ${filters.app}`);
  if (filters.environment) conditions.push(sql`g.environment = ${filters.environment}`);
  if (filters.release) {
    conditions.push(
      sql`(g.last_release = ${filters.release} or g.first_release = ${filters.release} or exists (select 1 from error_occurrences r
            where r.group_id = g.id and r.release = ${filters.release}))`,
    );
  }
  if (filters.q) {
    const pattern = likePattern(filters.q);
    conditions.push(sql`(g.message ilike ${pattern} or g.type ilike ${pattern} or g.culprit ilike ${pattern})`);
  }

  const sortExpression: Record<IssueSort, { key: SQL; cursorText: SQL; cast: SQL }> = {
    last_seen: { key: sql`g.last_seen`, cursorText: isoMicroText("g.last_seen"), cast: sql`timestamptz` },
    first_seen: { key: sql`g.first_seen`, cursorText: isoMicroText("g.first_seen"), cast: sql`timestamptz` },
    occurrences: { key: sql`g.occurrences`, cursorText: sql`g.occurrences::text`, cast: sql`bigint` },
    users: { key: sql`g.users_affected`, cursorText: sql`g.users_affected::text`, cast: sql`bigint` },
  };
  const { key, cursorText, cast } = sortExpression[sort];
  if (after) {
    conditions.push(
      sql`(${key} < ${after[0]}::${cast} or (${key} = ${after[0]}::${cast} and g.id > ${after[1]}::uuid))`,
    );
  }
  const found = await rows<IssueSummary & { cursorKey: string }>(
    db,
    sql`select ${issueSummaryColumns}, ${cursorText} as "cursorKey" from error_groups g
        where ${sql.join(conditions, sql` and `)} order by ${key} desc nulls last, g.id asc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursorKey: _c, ...item }) => item),
    nextCursor: found.length > limit && last ? [last.cursorKey, last.id] : null,
  };
}

export interface Occurrence {
  id: string;
  timestamp: string;
  type: string;
  message: string;
  level: string;
  handled: boolean | null;
  app: string;
  platform: string | null;
  environment: string | null;
  release: string | null;
  userId: string | null;
  anonymousId: string | null;
  sessionId: string | null;
  url: string | null;
  sdkName: string | null;
  sdkVersion: string | null;
  stack: string | null;
  frames: unknown[] | null;
  breadcrumbs: unknown[];
  tags: Record<string, string>;
  context: Record<string, unknown>;
}

const occurrenceColumns = sql`o.event_id::text as id, ${isoText("o.timestamp")} as timestamp, o.type, o.message,
  o.level, o.handled, o.app, o.platform, o.environment, o.release, o.user_id as "userId",
  o.anonymous_id as "anonymousId", o.session_id as "sessionId", o.url, o.sdk_name as "sdkName",
  o.sdk_version as "sdkVersion", o.stack, o.frames, o.breadcrumbs, o.tags, o.context,
  ${isoMicroText("o.timestamp")} as "cursorKey", o.id::text as "rowId"`;

/** Occurrences of a group, newest first, keyset on (timestamp, row id). */
export async function listOccurrences(
  db: Database,
  projectId: string,
  groupId: string,
  limit: number,
  after: [string, string] | null,
): Promise<{ items: Occurrence[]; nextCursor: [string, string] | null }> {
  const found = await rows<Occurrence & { cursorKey: string; rowId: string }>(
    db,
    sql`select ${occurrenceColumns} from error_occurrences o
        where o.group_id = ${groupId} and o.project_id = ${projectId}
        ${after ? sql`and (o.timestamp, o.id) < (${after[0]}::timestamptz, ${after[1]}::bigint)` : sql``}
        order by o.timestamp desc nulls last, o.id desc nulls last limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursorKey: _c, rowId: _r, ...item }) => item),
    nextCursor: found.length > limit && last ? [last.cursorKey, last.rowId] : null,
  };
}

/** A group with its latest occurrences, users and sessions affected, and counts per bucket. */
export async function getIssue(db: Database, projectId: string, groupId: string, window: TimeWindow) {
  const [group] = await rows<IssueSummary>(
    db,
    sql`select ${issueSummaryColumns} from error_groups g
        where g.project_id = ${projectId} and g.id = ${groupId}`,
  );
  if (!group) return null;
  const bin = sql`${intervalText(Math.max(window.bucketMs, 3_600_000))}::interval`;
  const [affected, counts, latest] = await Promise.all([
    rows<{ users: number; sessions: number }>(
      db,
      sql`select count(distinct coalesce(user_id, anonymous_id))::float8 as users,
                 count(distinct session_id)::float8 as sessions
          from error_occurrences where group_id = ${groupId} and project_id = ${projectId}`,
    ),
    rows<{ t: number; n: number }>(
      db,
      sql`select ${epochMs(sql`date_bin(${bin}, hour, ${BIN_ORIGIN})`)} as t, sum(count)::float8 as n
          from error_counts_hourly where group_id = ${groupId} and project_id = ${projectId}
            and hour >= date_trunc('hour', ${window.from}::timestamptz, 'UTC') and hour < ${window.to}
          group by 1`,
    ),
    listOccurrences(db, projectId, groupId, 20, null),
  ]);
  const countMap = new Map(counts.map((c) => [c.t, c.n]));
  const step = Math.max(window.bucketMs, 3_600_000);
  const starts: number[] = [];
  const first = Math.floor(window.from.getTime() / step) * step;
  for (let t = first; t < window.to.getTime(); t += step) starts.push(t);

  return {
    issue: { ...group, usersAffected: affected[0]?.users ?? 0 },
    sessionsAffected: affected[0]?.sessions ?? 0,
    counts: starts.map((t) => ({ t: new Date(t).toISOString(), count: countMap.get(t) ?? 0 })),
    latestOccurrences: latest.items,
    nextOccurrencesCursor: latest.nextCursor,
  };
}

export interface AffectedUser {
  /** The user id, or the anonymous id when the occurrences carried none. */
  userKey: string;
  anonymous: boolean;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
}

const groupExists = async (db: Database, projectId: string, groupId: string) =>
  (await rows(db, sql`select 1 from error_groups where id = ${groupId} and project_id = ${projectId}`)).length > 0;

/**
 * Users (or anonymous ids) a group has hit, most occurrences first, keyset on (occurrences desc,
 * user key asc). Aggregates the group's occurrences (error_occurrences_group_time_idx): cost grows
 * with the group's size, not the project's. Null when the group is not this project's.
 */
export async function listAffectedUsers(
  db: Database,
  projectId: string,
  groupId: string,
  limit: number,
  after: [string, string] | null,
): Promise<{ items: AffectedUser[]; nextCursor: [string, string] | null } | null> {
  if (!(await groupExists(db, projectId, groupId))) return null;
  const found = await rows<AffectedUser>(
    db,
    sql`select coalesce(o.user_id, o.anonymous_id) as "userKey", bool_and(o.user_id is null) as anonymous,
               count(*)::float8 as occurrences, ${isoText("min(o.timestamp)")} as "firstSeen",
               ${isoText("max(o.timestamp)")} as "lastSeen"
        from error_occurrences o
        where o.group_id = ${groupId} and o.project_id = ${projectId} and coalesce(o.user_id, o.anonymous_id) is not null
        group by 1
        ${after ? sql`having count(*) < ${after[0]}::bigint or (count(*) = ${after[0]}::bigint and coalesce(o.user_id, o.anonymous_id) > ${after[1]})` : sql``}
        order by count(*) desc, 1 asc limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page,
    nextCursor: found.length > limit && last ? [String(last.occurrences), last.userKey] : null,
  };
}

export interface AffectedSession {
  sessionId: string;
  app: string;
  /** Occurrences of this group in the session. */
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
  /** The stored session, or null when the SDK never sent one for this id. */
  session: SessionSummary | null;
}

/**
 * Sessions a group has hit, the latest hit first, keyset on (last hit desc, session id + app asc),
 * with the session's summary when it was stored. Null when the group is not this project's.
 */
export async function listAffectedSessions(
  db: Database,
  projectId: string,
  groupId: string,
  limit: number,
  after: [string, string] | null,
): Promise<{ items: AffectedSession[]; nextCursor: [string, string] | null } | null> {
  if (!(await groupExists(db, projectId, groupId))) return null;
  const key = sql`o.session_id || chr(31) || o.app`;
  const found = await rows<
    Omit<AffectedSession, "session"> & { cursorKey: string; tieKey: string; summary: Record<string, unknown> | null }
  >(
    db,
    sql`select h.*, (select to_jsonb(x) from (select ${sessionSummaryColumns} from sessions s
                       where s.project_id = ${projectId} and s.session_id = h."sessionId" and s.app = h.app) x) as summary
        from (select o.session_id as "sessionId", o.app, count(*)::float8 as occurrences,
                     ${isoText("min(o.timestamp)")} as "firstSeen", ${isoText("max(o.timestamp)")} as "lastSeen",
                     ${isoMicroText("max(o.timestamp)")} as "cursorKey", ${key} as "tieKey"
              from error_occurrences o
              where o.group_id = ${groupId} and o.project_id = ${projectId} and o.session_id is not null
              group by o.session_id, o.app
              ${after ? sql`having max(o.timestamp) < ${after[0]}::timestamptz or (max(o.timestamp) = ${after[0]}::timestamptz and ${key} > ${after[1]})` : sql``}
              order by max(o.timestamp) desc, ${key} asc limit ${limit + 1}) h
        order by h."cursorKey" desc, h."tieKey" asc`,
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursorKey: _c, tieKey: _t, summary, ...item }) => ({
      ...item,
      session: summary ? toSessionSummary(summary) : null,
    })),
    nextCursor: found.length > limit && last ? [last.cursorKey, last.tieKey] : null,
  };
}
