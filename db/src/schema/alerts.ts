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
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { timestamps } from "./columns.ts";
import { projects } from "./projects.ts";

// Alerts (issue 12): rules, fired alerts, destinations and the durable outbound queue. The queue is a
// Postgres table on purpose: an alert and its deliveries are inserted in the same transaction as the
// fact that fired it (the meter's flush), so nothing is enqueued twice or lost between two systems.

const projectRef = () =>
  uuid("project_id")
    .notNull()
    .references(() => projects.id, { onDelete: "cascade" });

export const ALERT_RULE_KINDS = [
  "new_issue",
  "regression",
  "error_spike",
  "quota_near",
  "quota_exceeded",
  "custom",
] as const;
export type AlertRuleKind = (typeof ALERT_RULE_KINDS)[number];
export const BUILTIN_ALERT_RULE_KINDS = ALERT_RULE_KINDS.filter((kind) => kind !== "custom");

export const alertRules = pgTable(
  "alert_rules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: projectRef(),
    /** A built-in kind (one row per project at most) or `custom`. */
    kind: text("kind", { enum: ALERT_RULE_KINDS }).notNull(),
    name: text("name").notNull(),
    enabled: boolean("enabled").notNull().default(true),
    /**
     * Kind-specific settings: spike `{ windowMinutes, baselineMinutes, multiplier, floor }`, quota near
     * `{ percent }`, custom `{ target, conditions, count? }` (worker/src/alerts/rules.ts validates them).
     */
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    /** Seconds after a firing during which the rule stays quiet; null for once-per-fact kinds. */
    cooldownSeconds: integer("cooldown_seconds"),
    /** Destinations to notify; null means every enabled destination of the project. */
    destinationIds: uuid("destination_ids").array(),
    ...timestamps,
  },
  (t) => [
    index("alert_rules_project_idx").on(t.projectId),
    uniqueIndex("alert_rules_builtin_unique").on(t.projectId, t.kind).where(sql`${t.kind} <> 'custom'`),
  ],
);

export const alertDestinations = pgTable(
  "alert_destinations",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: projectRef(),
    name: text("name").notNull(),
    kind: text("kind", { enum: ["email", "webhook"] }).notNull(),
    /** Webhook payload shape: `generic` (signed JSON), `slack`, `discord`, `teams`. */
    format: text("format", { enum: ["generic", "slack", "discord", "teams"] }),
    url: text("url"),
    /** Email: the members (user ids) who receive it. */
    userIds: uuid("user_ids").array(),
    /** HMAC-SHA256 key for `Telemetry-Signature`; shown once, needed in clear to sign. */
    secret: text("secret"),
    enabled: boolean("enabled").notNull().default(true),
    /** Failed attempts in a row; at 20 the destination is disabled and the owners are told. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledReason: text("disabled_reason"),
    ...timestamps,
  },
  (t) => [index("alert_destinations_project_idx").on(t.projectId)],
);

/** Fired alerts. The unique dedupe key is the "at most once": a second insert of it does nothing. */
export const alertEvents = pgTable(
  "alert_events",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: projectRef(),
    ruleId: uuid("rule_id").references(() => alertRules.id, { onDelete: "set null" }),
    kind: text("kind", { enum: [...ALERT_RULE_KINDS, "test"] }).notNull(),
    /** e.g. `new_issue:<groupId>`, `quota_near:2026-12`, `error_spike:<ruleId>:<minute>`. */
    dedupeKey: text("dedupe_key").notNull(),
    title: text("title").notNull(),
    text: text("text").notNull(),
    /** Page of the dashboard it is about (`/projects/…/issues/…`); delivery prefixes the dashboard origin. */
    path: text("path"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    firedAt: timestamp("fired_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    unique("alert_events_project_dedupe_unique").on(t.projectId, t.dedupeKey),
    index("alert_events_project_fired_idx").on(t.projectId, t.firedAt.desc(), t.id),
  ],
);

/** Per rule, when it last fired: the cooldown gate, updated atomically with the alert's insert. */
export const alertCooldowns = pgTable(
  "alert_cooldowns",
  {
    projectId: projectRef(),
    /** The rule id, or the built-in kind for a built-in rule without a stored row. */
    ruleKey: text("rule_key").notNull(),
    lastFiredAt: timestamp("last_fired_at", { withTimezone: true }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.ruleKey] })],
);

/**
 * Per-minute counts the window rules read: `errors` (every error occurrence) and one series per
 * custom count rule (rows matching its conditions). Written by the meter's flush from the rows it
 * actually inserted; pruned after two days by the evaluator.
 */
export const alertCountsMinute = pgTable(
  "alert_counts_minute",
  {
    projectId: projectRef(),
    series: text("series").notNull(),
    minute: timestamp("minute", { withTimezone: true }).notNull(),
    count: bigint("count", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.series, t.minute] }), index("alert_counts_minute_idx").on(t.minute)],
);

/** The outbound queue: one row per (alert, destination). */
export const alertDeliveries = pgTable(
  "alert_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: projectRef(),
    alertEventId: uuid("alert_event_id")
      .notNull()
      .references(() => alertEvents.id, { onDelete: "cascade" }),
    destinationId: uuid("destination_id")
      .notNull()
      .references(() => alertDestinations.id, { onDelete: "cascade" }),
    status: text("status", { enum: ["pending", "delivered", "dead"] })
      .notNull()
      .default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull(),
    /** A drain run's lease: another run skips the row until then (overlapping crons send once). */
    lockedUntil: timestamp("locked_until", { withTimezone: true }),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    unique("alert_deliveries_event_destination_unique").on(t.alertEventId, t.destinationId),
    index("alert_deliveries_due_idx").on(t.nextAttemptAt).where(sql`${t.status} = 'pending'`),
    index("alert_deliveries_project_idx").on(t.projectId, t.createdAt.desc(), t.id),
    check("alert_deliveries_status_check", sql`${t.status} in ('pending', 'delivered', 'dead')`),
  ],
);

/** Every attempt of a delivery: when, the HTTP status (if any) and the error. */
export const alertDeliveryAttempts = pgTable(
  "alert_delivery_attempts",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    deliveryId: uuid("delivery_id")
      .notNull()
      .references(() => alertDeliveries.id, { onDelete: "cascade" }),
    attemptedAt: timestamp("attempted_at", { withTimezone: true }).notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
  },
  (t) => [index("alert_delivery_attempts_delivery_idx").on(t.deliveryId, t.id)],
);

/** One row per scheduled job: `/health?deep=1` tells ok / stale / never from it. */
export const jobHeartbeats = pgTable("job_heartbeats", {
  job: text("job").primaryKey(),
  lastStartedAt: timestamp("last_started_at", { withTimezone: true }).notNull(),
  lastOkAt: timestamp("last_ok_at", { withTimezone: true }),
  lastError: text("last_error"),
});

export type AlertRule = typeof alertRules.$inferSelect;
export type AlertDestination = typeof alertDestinations.$inferSelect;
export type AlertEvent = typeof alertEvents.$inferSelect;
export type AlertDelivery = typeof alertDeliveries.$inferSelect;
