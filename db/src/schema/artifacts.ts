import { bigint, index, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { projects } from "./projects.ts";
import { users } from "./users.ts";

/**
 * One uploaded source map. The map itself lives in R2 (`ARTIFACTS`, under `r2Key`): rows of several
 * MB hurt Postgres, while listing, plan counts and retention need only this metadata.
 */
export const sourceMapArtifacts = pgTable(
  "source_map_artifacts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id")
      .notNull()
      .references(() => projects.id, { onDelete: "cascade" }),
    app: text("app").notNull(),
    release: text("release").notNull(),
    /** The minified file's URL or path as uploaded (`~/assets/main.js` matches any origin). */
    bundleUrl: text("bundle_url").notNull(),
    /** `bundleUrl` reduced to its path (no origin, `~`, query or fragment): what a frame's file is matched on. */
    bundlePath: text("bundle_path").notNull(),
    debugId: text("debug_id"),
    /** The object's key in the R2 bucket. */
    r2Key: text("r2_key").notNull(),
    /** SHA-256 (hex) of the map's bytes; part of the symbolication cache key, so a replaced map is re-read. */
    sha256: text("sha256").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    uploadedAt: timestamp("uploaded_at", { withTimezone: true }).notNull().defaultNow(),
    /** Set when a flush resolved frames with this map (at most daily); retention counts from the later of the two. */
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    /** The signed-in uploader, or null when an API key uploaded it (then `uploadedByKeyId`). */
    uploadedBy: uuid("uploaded_by").references(() => users.id, { onDelete: "set null" }),
    uploadedByKeyId: uuid("uploaded_by_key_id"),
  },
  (t) => [
    unique("source_map_artifacts_bundle_unique").on(t.projectId, t.app, t.release, t.bundleUrl),
    index("source_map_artifacts_lookup_idx").on(t.projectId, t.app, t.release, t.bundlePath),
  ],
);

export type SourceMapArtifact = typeof sourceMapArtifacts.$inferSelect;
