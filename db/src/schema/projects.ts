import {
  bigint,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { softDelete, timestamps } from "./columns.ts";
import { organizations } from "./organizations.ts";
import { users } from "./users.ts";

export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    orgId: uuid("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    /**
     * A stable small number naming the project where a number is required: the Sentry SDKs refuse a
     * DSN whose last path segment is not numeric (`https://<key>@<host>/<numericId>`).
     */
    numericId: integer("numeric_id").notNull().generatedAlwaysAsIdentity(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    /** Extra property keys whose values are scrubbed at ingest, on top of the built-in sensitive keys. */
    piiDenyKeys: text("pii_deny_keys").array().notNull().default([]),
    ...timestamps,
    ...softDelete,
  },
  (t) => [
    unique("projects_org_slug_unique").on(t.orgId, t.slug),
    index("projects_org_idx").on(t.orgId),
    uniqueIndex("projects_numeric_id_unique").on(t.numericId),
  ],
);

export const apiKeys = pgTable(
  "api_keys",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    /** The `<publicId>` part of `tt_live_<publicId>_<secret>`: how a key is found without its secret. */
    publicId: text("public_id").notNull().unique(),
    /** SHA-256 (hex) of the secret part; the secret itself is shown once and never stored. */
    secretHash: text("secret_hash").notNull(),
    name: text("name").notNull(),
    /** When set, every ingested item's `app` must equal this. */
    allowedApp: text("allowed_app"),
    /** What the key may do: `ingest` (send telemetry) and/or `sourcemap_upload` (CI uploads source maps). */
    scopes: text("scopes").array().$type<ApiKeyScope[]>().notNull().default(["ingest"]),
    createdBy: uuid("created_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
  },
  (t) => [index("api_keys_project_idx").on(t.projectId)],
);

/** Ingest units per project per UTC month (`YYYY-MM`), written by the meter's flush. */
export const usageMonthly = pgTable(
  "usage_monthly",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    month: text("month").notNull(),
    units: bigint("units", { mode: "number" }).notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.month] })],
);

/**
 * What the Sentry intake saw but did not store, per project, UTC month, data category and reason:
 * `source = 'client'` is what Sentry SDKs reported dropping themselves (their client reports),
 * `'ignored'` what we accepted and discarded (attachments, replays, child spans, …). Written by the
 * meter's flush as its absolute counts, so a replayed flush changes nothing.
 */
export const intakeOutcomes = pgTable(
  "intake_outcomes",
  {
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    month: text("month").notNull(),
    source: text("source", { enum: ["client", "ignored"] }).notNull(),
    category: text("category").notNull(),
    reason: text("reason").notNull(),
    quantity: bigint("quantity", { mode: "number" }).notNull().default(0),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.month, t.source, t.category, t.reason] })],
);

export const API_KEY_SCOPES = ["ingest", "sourcemap_upload"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export type Project = typeof projects.$inferSelect;
export type ApiKey = typeof apiKeys.$inferSelect;
