import { bigint, index, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
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
  (t) => [primaryKey({ columns: [t.projectId, t.hour, t.name] })],
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
