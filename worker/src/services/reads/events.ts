import type { Database } from "@telemetry-tracker/db";
import { type SQL, sql } from "drizzle-orm";
import { binInterval } from "./overview.ts";
import { bucketStarts, type TimeWindow } from "./range.ts";
import { BIN_ORIGIN, epochMs, isoMicroText, isoText, rollup, rows, type Scope, scopeConditions } from "./sql.ts";

export interface EventItem {
  id: string;
  name: string;
  timestamp: string;
  receivedAt: string;
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
  properties: Record<string, unknown>;
}

const eventColumns = sql`e.event_id::text as id, e.name, ${isoText("e.timestamp")} as timestamp,
  ${isoText("e.received_at")} as "receivedAt", e.app, e.platform, e.environment, e.release, e.user_id as "userId",
  e.anonymous_id as "anonymousId", e.session_id as "sessionId", e.url, e.sdk_name as "sdkName",
  e.sdk_version as "sdkVersion", e.properties`;

export interface EventFilters {
  name?: string;
  app?: string;
  environment?: string;
  propertyKey?: string;
  propertyValue?: string;
  window?: TimeWindow;
}

/** Raw events newest first, keyset on (timestamp, id) over events_project_time_idx. */
export async function listEvents(
  db: Database,
  projectId: string,
  filters: EventFilters,
  limit: number,
  after: [string, string] | null,
): Promise<{ items: EventItem[]; nextCursor: [string, string] | null }> {
  const conditions: SQL[] = [sql`e.project_id = ${projectId}`];
  if (filters.name) conditions.push(sql`e.name = ${filters.name}`);
  if (filters.app) conditions.push(sql`e.app = ${filters.app}`);
  if (filters.environment) conditions.push(sql`e.environment = ${filters.environment}`);
  if (filters.propertyKey) {
    conditions.push(
      filters.propertyValue === undefined
        ? sql`e.properties ? ${filters.propertyKey}`
        : sql`e.properties ->> ${filters.propertyKey} = ${filters.propertyValue}`,
    );
  }
  if (filters.window)
    conditions.push(sql`e.timestamp >= ${filters.window.from} and e.timestamp < ${filters.window.to}`);
  if (after) conditions.push(sql`(e.timestamp, e.id) < (${after[0]}::timestamptz, ${after[1]}::bigint)`);
  const found = await rows<EventItem & { cursorKey: string; rowId: string }>(
    db,
    sql`select ${eventColumns}, ${isoMicroText("e.timestamp")} as "cursorKey", e.id::text as "rowId"
        from events e where ${sql.join(conditions, sql` and `)}
        order by e.timestamp desc nulls last, e.id desc nulls last limit ${limit + 1}`,
  );
  const page = found.slice(0, limit);
  const last = page[page.length - 1];
  return {
    items: page.map(({ cursorKey: _c, rowId: _r, ...item }) => item),
    nextCursor: found.length > limit && last ? [last.cursorKey, last.rowId] : null,
  };
}

export interface EventNameTrend {
  name: string;
  count: number;
  lastSeen: string | null;
  /** Events per bucket, aligned with `buckets` of the answer (the overview's bucketing). */
  series: number[];
}

/**
 * Event names in the window with their counts (hourly rollup, or its per-app/environment twin when
 * filtered), exact last-seen time, and a zero-filled series per name over the window's buckets —
 * from the rollup for hour-wide buckets, from the raw events (events_project_name_time_idx) for the
 * 5-minute buckets of short ranges.
 */
export async function eventNames(
  db: Database,
  projectId: string,
  window: TimeWindow,
  scope: Scope = {},
  limit = 100,
): Promise<{ buckets: string[]; names: EventNameTrend[] }> {
  const inScope = scopeConditions(scope);
  const names = await rows<{ name: string; count: number; lastSeen: string | null }>(
    db,
    sql`select n.name, n.count, ${isoText(sql`(select max(e.timestamp) from events e where e.project_id = ${projectId} and e.name = n.name ${scopeConditions(scope, "e")})`)} as "lastSeen"
        from (select name, sum(count)::float8 as count from ${rollup("event_counts_hourly", scope)}
              where project_id = ${projectId} and hour >= date_trunc('hour', ${window.from}::timestamptz, 'UTC') and hour < ${window.to}
                ${inScope}
              group by name order by count desc, name limit ${limit}) n
        order by n.count desc, n.name`,
  );
  const starts = bucketStarts(window);
  if (names.length === 0) return { buckets: starts.map((t) => new Date(t).toISOString()), names: [] };
  const bin = binInterval(window.bucketMs);
  const nameList = names.map((n) => n.name);
  const inNames = sql.join(
    nameList.map((name) => sql`${name}`),
    sql`, `,
  );
  const cells = await rows<{ name: string; t: number; n: number }>(
    db,
    window.bucketMs >= 3_600_000
      ? sql`select name, ${epochMs(sql`date_bin(${bin}, hour, ${BIN_ORIGIN})`)} as t, sum(count)::float8 as n
            from ${rollup("event_counts_hourly", scope)}
            where project_id = ${projectId} and hour >= ${window.from} and hour < ${window.to}
              and name in (${inNames}) ${inScope}
            group by 1, 2`
      : sql`select name, ${epochMs(sql`date_bin(${bin}, "timestamp", ${BIN_ORIGIN})`)} as t, count(*)::float8 as n
            from events where project_id = ${projectId} and "timestamp" >= ${window.from} and "timestamp" < ${window.to}
              and name in (${inNames}) ${inScope}
            group by 1, 2`,
  );
  const index = new Map(starts.map((t, i) => [t, i]));
  const series = new Map(nameList.map((name) => [name, starts.map(() => 0)]));
  for (const cell of cells) {
    const i = index.get(cell.t);
    const line = series.get(cell.name);
    if (i !== undefined && line) line[i] = cell.n;
  }
  return {
    buckets: starts.map((t) => new Date(t).toISOString()),
    names: names.map((n) => ({ ...n, series: series.get(n.name) ?? [] })),
  };
}

export async function getEvent(db: Database, projectId: string, eventId: string): Promise<EventItem | null> {
  const [found] = await rows<EventItem>(
    db,
    sql`select ${eventColumns} from events e where e.project_id = ${projectId} and e.event_id = ${eventId}::uuid`,
  );
  return found ?? null;
}

export async function filterOptions(db: Database, projectId: string) {
  const found = await rows<{ kind: "app" | "environment" | "release"; value: string }>(
    db,
    sql`select kind, value from (
          select kind, value, row_number() over (partition by kind order by last_seen desc) as rank
          from project_dimensions where project_id = ${projectId}) d
        where rank <= 200 order by kind, rank`,
  );
  const pick = (kind: string) => found.filter((r) => r.kind === kind).map((r) => r.value);
  return { apps: pick("app"), environments: pick("environment"), releases: pick("release") };
}

export async function usageByMonth(db: Database, projectId: string, months = 12) {
  return rows<{ month: string; units: number }>(
    db,
    sql`select month, units::float8 as units from usage_monthly where project_id = ${projectId}
        order by month desc limit ${months}`,
  );
}
