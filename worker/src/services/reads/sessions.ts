import type { Database } from "@telemetry-tracker/db";
import { type SQL, sql } from "drizzle-orm";
import type { TimeWindow } from "./range.ts";
import { isoMicroText, isoText, rows } from "./sql.ts";

export interface SessionSummary {
  id: string;
  sessionId: string;
  app: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  lastSeenAt: string;
  durationMs: number;
  errorCount: number;
  userId: string | null;
  anonymousId: string | null;
  release: string | null;
  environment: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
  country: string | null;
}

/** Columns of a session summary (table alias `s`); duration runs to the end, or to the last sign of life. */
export const sessionSummaryColumns = sql`s.id::text as id, s.session_id as "sessionId", s.app, s.status,
  ${isoText("s.started_at")} as "startedAt", ${isoText("s.ended_at")} as "endedAt", ${isoText("s.last_seen_at")} as "lastSeenAt",
  (extract(epoch from (coalesce(s.ended_at, s.last_seen_at) - s.started_at)) * 1000)::float8 as "durationMs",
  s.error_count as "errorCount", s.user_id as "userId", s.anonymous_id as "anonymousId", s.release, s.environment,
  s.browser, s.os, s.device, s.country, ${isoMicroText("s.started_at")} as "cursorKey"`;

export function toSessionSummary(row: Record<string, unknown>): SessionSummary {
  const { cursorKey: _cursor, ...rest } = row;
  return { ...(rest as unknown as SessionSummary), durationMs: Math.max(0, Number(row.durationMs)) };
}

export interface SessionFilters {
  status?: string;
  app?: string;
  environment?: string;
  userId?: string;
  window?: TimeWindow;
}

export interface Page<T> {
  items: T[];
  nextCursor: [string, string] | null;
}

/** Newest first, keyset on (started_at, id): stable while sessions keep arriving. */
export async function listSessions(
  db: Database,
  projectId: string,
  filters: SessionFilters,
  limit: number,
  after: [string, string] | null,
): Promise<Page<SessionSummary>> {
  const conditions: SQL[] = [sql`s.project_id = ${projectId}`];
  if (filters.status) conditions.push(sql`s.status = ${filters.status}`);
  if (filters.app) conditions.push(sql`s.app = ${filters.app}`);
  if (filters.environment) conditions.push(sql`s.environment = ${filters.environment}`);
  // The rollups' user key (sessions_project_user_key_started_idx): an anonymous id finds its sessions too.
  if (filters.userId) conditions.push(sql`coalesce(s.user_id, s.anonymous_id) = ${filters.userId}`);
  if (filters.window) {
    conditions.push(sql`s.started_at >= ${filters.window.from} and s.started_at < ${filters.window.to}`);
  }
  if (after) {
    conditions.push(sql`(s.started_at, s.id) < (${after[0]}::timestamptz, ${after[1]}::bigint)`);
  }
  const found = await rows<Record<string, unknown>>(
    db,
    sql`select ${sessionSummaryColumns} from sessions s where ${sql.join(conditions, sql` and `)}
        order by s.started_at desc nulls last, s.id desc nulls last limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(toSessionSummary),
    nextCursor: found.length > limit && last ? [String(last.cursorKey), String(last.id)] : null,
  };
}

export interface TimelineItem {
  kind: "event" | "error";
  id: string;
  timestamp: string;
  name: string;
  message: string | null;
  groupId: string | null;
  url: string | null;
  properties: Record<string, unknown> | null;
}

/** A session and what happened in it, events and errors merged in time order (bounded). */
export async function getSession(db: Database, projectId: string, id: string) {
  const [session] = await rows<Record<string, unknown>>(
    db,
    sql`select ${sessionSummaryColumns} from sessions s where s.project_id = ${projectId} and s.id = ${id}::bigint`,
  );
  if (!session) return null;
  const summary = toSessionSummary(session);
  const [events, errors] = await Promise.all([
    rows<TimelineItem & { sortKey: string }>(
      db,
      sql`select 'event' as kind, e.event_id::text as id, ${isoText("e.timestamp")} as timestamp, e.name,
                 null as message, null as "groupId", e.url, e.properties
          from events e where e.project_id = ${projectId} and e.session_id = ${summary.sessionId} and e.app = ${summary.app}
          order by e.timestamp limit 500`,
    ),
    rows<TimelineItem>(
      db,
      sql`select 'error' as kind, o.event_id::text as id, ${isoText("o.timestamp")} as timestamp, o.type as name,
                 o.message, o.group_id::text as "groupId", o.url, null as properties
          from error_occurrences o
          where o.project_id = ${projectId} and o.session_id = ${summary.sessionId} and o.app = ${summary.app}
          order by o.timestamp limit 200`,
    ),
  ]);
  const timeline = [...events, ...errors].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  return { session: summary, timeline, truncated: events.length === 500 || errors.length === 200 };
}
