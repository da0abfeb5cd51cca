import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  check,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from "drizzle-orm/pg-core";
import { projects } from "./projects.ts";

/** Who and where, shared by events and error occurrences. */
const clientContext = {
  app: text("app").notNull(),
  platform: text("platform"),
  environment: text("environment"),
  release: text("release"),
  userId: text("user_id"),
  anonymousId: text("anonymous_id"),
  sessionId: text("session_id"),
  url: text("url"),
  sdkName: text("sdk_name"),
  sdkVersion: text("sdk_version"),
};

const projectRef = () =>
  uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "cascade" });

export const events = pgTable(
  "events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: projectRef(),
    /** Client-sent or assigned at admission; storing it twice keeps one row (idempotent retries). */
    eventId: uuid("event_id").notNull(),
    name: text("name").notNull(),
    /** When it happened on the client, clamped into a sane window (see `timestampClamped`). */
    timestamp: timestamp("timestamp", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    /** True when the client's timestamp was too far in the past or future and was replaced. */
    timestampClamped: boolean("timestamp_clamped").notNull().default(false),
    ...clientContext,
    properties: jsonb("properties").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    unique("events_project_event_id_unique").on(t.projectId, t.eventId),
    index("events_project_time_idx").on(t.projectId, t.timestamp.desc(), t.id.desc()),
    index("events_project_name_time_idx").on(t.projectId, t.name, t.timestamp.desc()),
    index("events_project_session_idx").on(t.projectId, t.sessionId, t.timestamp),
  ],
);

export const sessions = pgTable(
  "sessions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: projectRef(),
    sessionId: text("session_id").notNull(),
    app: text("app").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    endedAt: timestamp("ended_at", { withTimezone: true }),
    /** Last start/update/end seen; retention uses it to expire sessions that were never ended. */
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull(),
    status: text("status", { enum: ["ok", "errored", "crashed", "abnormal"] })
      .notNull()
      .default("ok"),
    release: text("release"),
    environment: text("environment"),
    userId: text("user_id"),
    anonymousId: text("anonymous_id"),
    browser: text("browser"),
    os: text("os"),
    device: text("device"),
    country: text("country"),
    errorCount: integer("error_count").notNull().default(0),
  },
  (t) => [
    unique("sessions_project_session_app_unique").on(t.projectId, t.sessionId, t.app),
    index("sessions_project_started_idx").on(t.projectId, t.startedAt.desc(), t.id.desc()),
    index("sessions_project_last_seen_idx").on(t.projectId, t.lastSeenAt),
    // Newest sessions of one app and/or environment (the dashboard's filters on overview and list).
    index("sessions_project_app_env_started_idx").on(
      t.projectId,
      t.app,
      t.environment,
      t.startedAt.desc(),
      t.id.desc(),
    ),
    index("sessions_project_env_started_idx").on(t.projectId, t.environment, t.startedAt.desc(), t.id.desc()),
    // Search (migration 0020, pg_trgm from 0019): session ids by substring, a user's sessions (user id,
    // else anonymous id: the rollups' user key), a release's sessions.
    index("sessions_session_id_trgm_idx").using("gin", t.sessionId.op("gin_trgm_ops")),
    index("sessions_project_user_key_started_idx").on(
      t.projectId,
      sql`coalesce(${t.userId}, ${t.anonymousId})`,
      t.startedAt.desc(),
    ),
    index("sessions_project_release_started_idx").on(t.projectId, t.release, t.startedAt.desc()),
    check("sessions_status_check", sql`${t.status} in ('ok', 'errored', 'crashed', 'abnormal')`),
  ],
);

export const errorGroups = pgTable(
  "error_groups",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: projectRef(),
    /** Hash of type + normalised message + top in-app frames, or of the client's own fingerprint. */
    fingerprint: text("fingerprint").notNull(),
    type: text("type").notNull(),
    message: text("message").notNull(),
    /** Top in-app frame, `function (file)`, shown as the group's subtitle. */
    culprit: text("culprit"),
    status: text("status", { enum: ["unresolved", "resolved", "ignored"] })
      .notNull()
      .default("unresolved"),
    /** Set when a resolved group is seen again; cleared when it is resolved once more. */
    regressed: boolean("regressed").notNull().default(false),
    occurrences: bigint("occurrences", { mode: "number" }).notNull().default(0),
    /** Distinct user (or anonymous) ids among its occurrences; kept by a trigger (migration 0008). */
    usersAffected: integer("users_affected").notNull().default(0),
    firstSeen: timestamp("first_seen", { withTimezone: true }).notNull(),
    lastSeen: timestamp("last_seen", { withTimezone: true }).notNull(),
    lastRelease: text("last_release"),
    /** Release of the group's earliest occurrence that named one; set once by a trigger (migration 0015). */
    firstRelease: text("first_release"),
    app: text("app"),
    environment: text("environment"),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique("error_groups_project_fingerprint_unique").on(t.projectId, t.fingerprint),
    index("error_groups_project_last_seen_idx").on(t.projectId, t.lastSeen.desc(), t.id),
    index("error_groups_project_status_last_seen_idx").on(t.projectId, t.status, t.lastSeen.desc(), t.id),
    // Keyset pages of the issue list sorted by first seen or by occurrences.
    index("error_groups_project_first_seen_idx").on(t.projectId, t.firstSeen.desc(), t.id),
    index("error_groups_project_occurrences_idx").on(t.projectId, t.occurrences.desc(), t.id),
    index("error_groups_project_users_idx").on(t.projectId, t.usersAffected.desc(), t.id),
    // A release's new issues and the ones that regressed in it; with the scope, the release list
    // counts new issues per release from the index alone (no read of the groups).
    index("error_groups_project_first_release_scope_idx").on(t.projectId, t.firstRelease, t.app, t.environment),
    index("error_groups_project_last_release_idx").on(t.projectId, t.lastRelease),
    // Search by substring of message, type or fingerprint (pg_trgm).
    index("error_groups_message_trgm_idx").using("gin", t.message.op("gin_trgm_ops")),
    index("error_groups_type_trgm_idx").using("gin", t.type.op("gin_trgm_ops")),
    index("error_groups_fingerprint_trgm_idx").using("gin", t.fingerprint.op("gin_trgm_ops")),
    check("error_groups_status_check", sql`${t.status} in ('unresolved', 'resolved', 'ignored')`),
  ],
);

export const errorOccurrences = pgTable(
  "error_occurrences",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: projectRef(),
    groupId: uuid("group_id")
      .notNull()
      .references(() => errorGroups.id, { onDelete: "cascade" }),
    eventId: uuid("event_id").notNull(),
    timestamp: timestamp("timestamp", { withTimezone: true }).notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    ...clientContext,
    type: text("type").notNull(),
    message: text("message").notNull(),
    level: text("level").notNull().default("error"),
    handled: boolean("handled"),
    stack: text("stack"),
    frames: jsonb("frames").$type<unknown[]>(),
    breadcrumbs: jsonb("breadcrumbs").$type<unknown[]>().notNull().default([]),
    tags: jsonb("tags").$type<Record<string, string>>().notNull().default({}),
    context: jsonb("context").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    unique("error_occurrences_project_event_id_unique").on(t.projectId, t.eventId),
    index("error_occurrences_group_time_idx").on(t.groupId, t.timestamp.desc(), t.id.desc()),
    index("error_occurrences_project_time_idx").on(t.projectId, t.timestamp.desc()),
    // A session's errors in time order (session detail).
    index("error_occurrences_project_session_idx").on(t.projectId, t.sessionId, t.timestamp),
  ],
);

/** Which user (or anonymous) ids an error group has hit: the set behind `users_affected`. */
export const errorGroupUsers = pgTable(
  "error_group_users",
  {
    groupId: uuid("group_id")
      .notNull()
      .references(() => errorGroups.id, { onDelete: "cascade" }),
    userKey: text("user_key").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.groupId, t.userKey] }),
    // The groups a user has hit (search's `user:` token).
    index("error_group_users_user_key_idx").on(t.userKey),
  ],
);

export type EventRow = typeof events.$inferSelect;
export type SessionRow = typeof sessions.$inferSelect;
export type ErrorGroup = typeof errorGroups.$inferSelect;
export type ErrorOccurrence = typeof errorOccurrences.$inferSelect;
