import { bigint, boolean, index, pgTable, primaryKey, smallint, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { projects } from "./projects.ts";

// These tables are maintained by statement-level triggers on `events` and `error_occurrences`
// (migration 0002_rollup_triggers.sql), so every writer — the meter's flush, retention, seeds —
// keeps them exact without knowing they exist. They let the overview answer a 30-day range from
// ~720 rows per name instead of scanning a million events.

const projectRef = () =>
  uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "cascade" });

/** Events per project, UTC hour and event name. */
export const eventCountsHourly = pgTable(
  "event_counts_hourly",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    name: text("name").notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.hour, t.name] }),
    // Search: event names by substring (pg_trgm), and walked in name order (a page of names stops early).
    index("event_counts_hourly_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
    index("event_counts_hourly_project_name_idx").on(t.projectId, t.name, t.hour),
  ],
);

/** Error occurrences per project, UTC hour and error group. */
export const errorCountsHourly = pgTable(
  "error_counts_hourly",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    groupId: uuid("group_id").notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.hour, t.groupId] }),
    index("error_counts_hourly_group_idx").on(t.groupId, t.hour),
  ],
);

/** Apps, environments and releases seen in a project: the dashboard's filter options. */
export const projectDimensions = pgTable(
  "project_dimensions",
  {
    projectId: projectRef(),
    /** `app`, `environment` or `release`. */
    kind: text("kind", { enum: ["app", "environment", "release"] }).notNull(),
    value: text("value").notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.kind, t.value] })],
);

/** Events, errors and sessions started per project and UTC hour: the overview's series and totals. */
export const projectCountsHourly = pgTable(
  "project_counts_hourly",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    events: bigint("events", { mode: "number" }).notNull().default(0),
    errors: bigint("errors", { mode: "number" }).notNull().default(0),
    sessions: bigint("sessions", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour] })],
);

/** Which user (or anonymous) ids started a session on a UTC day: feeds `projectUsersDaily`. */
export const sessionUsersDaily = pgTable(
  "session_users_daily",
  {
    projectId: projectRef(),
    day: timestamp("day", { withTimezone: true }).notNull(),
    userKey: text("user_key").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.day, t.userKey] }),
    // Search: user keys by substring (pg_trgm), and walked in key order (a page of users stops early).
    index("session_users_daily_user_key_trgm_idx").using("gin", t.userKey.op("gin_trgm_ops")),
    index("session_users_daily_project_user_idx").on(t.projectId, t.userKey, t.day),
  ],
);

/** Distinct users with a session started per UTC day: the 30-day overview's active-users series. */
export const projectUsersDaily = pgTable(
  "project_users_daily",
  {
    projectId: projectRef(),
    day: timestamp("day", { withTimezone: true }).notNull(),
    users: bigint("users", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.day] })],
);

// The same counts per scope (app and environment), so the overview and the event-name reads honour
// the dashboard's app/environment filters from rollups too (migration 0010). A missing environment
// is stored as '' — the filters never ask for '' (they are at least one character).

const scopeColumns = () => ({
  app: text("app").notNull(),
  /** The environment, or '' when the row had none. */
  environment: text("environment").notNull(),
});

/** Events, errors and sessions started per project, UTC hour, app and environment. */
export const projectCountsHourlyByScope = pgTable(
  "project_counts_hourly_by_scope",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    ...scopeColumns(),
    events: bigint("events", { mode: "number" }).notNull().default(0),
    errors: bigint("errors", { mode: "number" }).notNull().default(0),
    sessions: bigint("sessions", { mode: "number" }).notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.hour, t.app, t.environment] })],
);

/** Events per project, UTC hour, app, environment and event name. */
export const eventCountsHourlyByScope = pgTable(
  "event_counts_hourly_by_scope",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    ...scopeColumns(),
    name: text("name").notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.hour, t.app, t.environment, t.name] }),
    index("event_counts_hourly_by_scope_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
    index("event_counts_hourly_by_scope_env_name_idx").on(t.projectId, t.environment, t.name, t.hour),
  ],
);

/** Error occurrences per project, UTC hour, app, environment and error group. */
export const errorCountsHourlyByScope = pgTable(
  "error_counts_hourly_by_scope",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    ...scopeColumns(),
    groupId: uuid("group_id").notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.hour, t.app, t.environment, t.groupId] }),
    index("error_counts_hourly_by_scope_group_idx").on(t.groupId, t.hour),
  ],
);

/** Which user (or anonymous) ids started a session on a UTC day, per app and environment. */
export const sessionUsersDailyByScope = pgTable(
  "session_users_daily_by_scope",
  {
    projectId: projectRef(),
    day: timestamp("day", { withTimezone: true }).notNull(),
    ...scopeColumns(),
    userKey: text("user_key").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.day, t.app, t.environment, t.userKey] }),
    index("session_users_daily_by_scope_user_key_trgm_idx").using("gin", t.userKey.op("gin_trgm_ops")),
    index("session_users_daily_by_scope_env_user_idx").on(t.projectId, t.environment, t.userKey, t.day),
  ],
);

// Release health (migration 0015): sessions by status and error occurrences per release, kept by the
// same kind of statement-level triggers, so crash-free rates never scan sessions at read time. Only
// rows that name a release are counted.

/** Sessions started (by final status) and error occurrences per project, release, UTC hour and scope. */
export const releaseCountsHourly = pgTable(
  "release_counts_hourly",
  {
    projectId: projectRef(),
    release: text("release").notNull(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    ...scopeColumns(),
    sessions: bigint("sessions", { mode: "number" }).notNull().default(0),
    errored: bigint("errored", { mode: "number" }).notNull().default(0),
    crashed: bigint("crashed", { mode: "number" }).notNull().default(0),
    abnormal: bigint("abnormal", { mode: "number" }).notNull().default(0),
    errors: bigint("errors", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.release, t.hour, t.app, t.environment] }),
    index("release_counts_hourly_project_hour_idx").on(t.projectId, t.hour),
    // Search: release names by substring (pg_trgm).
    index("release_counts_hourly_release_trgm_idx").using("gin", t.release.op("gin_trgm_ops")),
  ],
);

/**
 * Per release, UTC day, scope and user (or anonymous) id: how many sessions they started and how many
 * of those crashed. Counters, not a set, so a moved or deleted session is subtracted exactly.
 */
export const releaseUsersDaily = pgTable(
  "release_users_daily",
  {
    projectId: projectRef(),
    release: text("release").notNull(),
    day: timestamp("day", { withTimezone: true }).notNull(),
    ...scopeColumns(),
    userKey: text("user_key").notNull(),
    sessions: bigint("sessions", { mode: "number" }).notNull().default(0),
    crashed: bigint("crashed", { mode: "number" }).notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.release, t.day, t.app, t.environment, t.userKey] }),
    // Search: a release's users and a user's releases, each walked in key order.
    index("release_users_daily_release_user_idx").on(t.projectId, t.release, t.userKey, t.day),
    index("release_users_daily_user_release_idx").on(t.projectId, t.userKey, t.release, t.day),
  ],
);

// Performance (migration 0018): Web Vitals (`$web_vital` events) per page and request durations
// (`$request` events) per route as fixed log-bucket histograms, kept by statement-level triggers on
// `events`, so p50/p75/p95 come from bucket counts and never from raw rows. A value v > 0 falls in
// bucket floor(ln v / ln 1.1) (ratio 1.1 per bucket); 0 has its own bucket, -32768. Reads report a
// bucket's geometric middle, 1.1^(b + 0.5), within 4.9 % of any value in it. Each row is counted
// twice: under its page (route) and under the '' page (method and route ''), the whole project's
// totals, so the summary reads a few hundred rows instead of one per page. The hourly tables serve
// ranges up to two days, the daily twins longer ones.

/** The columns of a vitals histogram cell, after its time column. */
const vitalColumns = () => ({
  ...scopeColumns(),
  /** The page's normalised route (`/orders/:id`), or '' for the project's totals. */
  page: text("page").notNull(),
  /** LCP, INP, CLS, FCP or TTFB. */
  name: text("name").notNull(),
  /** Google's rating of the value: good, needs-improvement or poor (exact shares, whatever the buckets). */
  rating: text("rating").notNull(),
  bucket: smallint("bucket").notNull(),
  count: bigint("count", { mode: "number" }).notNull(),
});

/** Web Vitals samples per project, UTC hour, scope, page, vital, rating and log bucket. */
export const vitalHistogramsHourly = pgTable(
  "vital_histograms_hourly",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    ...vitalColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.page, t.hour, t.name, t.app, t.environment, t.rating, t.bucket] }),
    index("vital_histograms_hourly_name_idx").on(t.projectId, t.name, t.hour),
  ],
);

/** The same per UTC day, for ranges longer than two days. */
export const vitalHistogramsDaily = pgTable(
  "vital_histograms_daily",
  {
    projectId: projectRef(),
    day: timestamp("day", { withTimezone: true }).notNull(),
    ...vitalColumns(),
  },
  (t) => [
    primaryKey({ columns: [t.projectId, t.page, t.day, t.name, t.app, t.environment, t.rating, t.bucket] }),
    index("vital_histograms_daily_name_idx").on(t.projectId, t.name, t.day),
  ],
);

/** The columns of a request-duration histogram cell, after its time column. */
const requestColumns = () => ({
  ...scopeColumns(),
  /** Upper-case HTTP method, or '' for the project's totals. */
  method: text("method").notNull(),
  /** The matched route pattern or normalised path, or '' for the project's totals. */
  route: text("route").notNull(),
  /** Status ≥ 500: the server failed. 4xx answers are the client's and count as served. */
  failed: boolean("failed").notNull(),
  bucket: smallint("bucket").notNull(),
  count: bigint("count", { mode: "number" }).notNull(),
});

/** `$request` durations (ms) per project, UTC hour, scope, method, route, failure and log bucket. */
export const requestHistogramsHourly = pgTable(
  "request_histograms_hourly",
  {
    projectId: projectRef(),
    hour: timestamp("hour", { withTimezone: true }).notNull(),
    ...requestColumns(),
  },
  (t) => [
    primaryKey({
      columns: [t.projectId, t.route, t.method, t.hour, t.app, t.environment, t.failed, t.bucket],
    }),
    index("request_histograms_hourly_time_idx").on(t.projectId, t.hour),
  ],
);

/** The project's totals (method and route '') per UTC day, for the summary of ranges longer than two days. */
export const requestHistogramsDaily = pgTable(
  "request_histograms_daily",
  {
    projectId: projectRef(),
    day: timestamp("day", { withTimezone: true }).notNull(),
    ...requestColumns(),
  },
  (t) => [
    primaryKey({
      columns: [t.projectId, t.route, t.method, t.day, t.app, t.environment, t.failed, t.bucket],
    }),
    index("request_histograms_daily_time_idx").on(t.projectId, t.day),
  ],
);

/** A route's key in the running histograms: its scope, method and route (never the totals' ''). */
const routeKeyColumns = () => ({
  ...scopeColumns(),
  method: text("method").notNull(),
  route: text("route").notNull(),
});

/**
 * Every (scope, method, route) that has ever had a `$request`: the keys the running histograms below
 * are looked up by, so that a route list reads two snapshot rows per key and nothing else.
 */
export const requestRouteKeys = pgTable(
  "request_route_keys",
  { projectId: projectRef(), ...routeKeyColumns() },
  (t) => [primaryKey({ columns: [t.projectId, t.app, t.environment, t.method, t.route] })],
);

/**
 * Running `$request` histograms per route for ranges longer than two days (migrations 0021–0022):
 * the row of day D counts every request of its key on D or earlier, so any range's histogram is one
 * snapshot minus another, whatever its length. A row exists for each day that had requests; the
 * snapshot of a day is the latest row at or before it. The histogram is sparse: `counts[i]` samples
 * in log bucket `buckets[i]` (ascending), the same buckets as the histograms above.
 */
export const requestRunningDaily = pgTable(
  "request_running_daily",
  {
    projectId: projectRef(),
    ...routeKeyColumns(),
    day: timestamp("day", { withTimezone: true }).notNull(),
    requests: bigint("requests", { mode: "number" }).notNull(),
    /** Of those, answered with status ≥ 500. */
    errors: bigint("errors", { mode: "number" }).notNull(),
    buckets: smallint("buckets").array().notNull(),
    counts: bigint("counts", { mode: "number" }).array().notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.app, t.environment, t.method, t.route, t.day] })],
);
