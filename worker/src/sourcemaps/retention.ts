import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import type { Logger } from "../lib/logger.ts";
import { PLAN_LIMITS } from "../plans.ts";
import { deleteProjectArtifacts } from "./artifacts.ts";

export interface ArtifactRetentionResult {
  /** Projects (or projects of organizations) archived since, whose maps were all deleted. */
  archivedProjects: number;
  /** Maps neither uploaded nor used within their plan's retention. */
  aged: number;
}

const BATCH = 1_000;

/**
 * The cron's source map sweep: maps of archived projects and organizations go (objects and rows),
 * and so do maps neither uploaded nor used to resolve a frame within the plan's retention — an old
 * release that still throws keeps its maps. Bounded per run; the next run continues.
 */
export async function runArtifactRetention(
  db: Database,
  bucket: R2Bucket,
  logger: Logger,
  options: { now?: number; maxProjects?: number } = {},
): Promise<ArtifactRetentionResult> {
  const now = new Date(options.now ?? Date.now());
  const archived = await db.execute<{ project_id: string }>(sql`
    select distinct a.project_id from source_map_artifacts a
    join projects p on p.id = a.project_id join organizations o on o.id = p.org_id
    where p.deleted_at is not null or o.deleted_at is not null
    limit ${options.maxProjects ?? 50}`);
  for (const { project_id } of archived.rows) await deleteProjectArtifacts(db, bucket, project_id);

  // Retention days of the plan in effect (the SQL twin of effectivePlan: a lapsed subscription is FREE).
  const days = (plan: keyof typeof PLAN_LIMITS) => PLAN_LIMITS[plan].retentionDays;
  const aged = await db.execute<{ id: string; r2_key: string }>(sql`
    select a.id, a.r2_key from source_map_artifacts a
    join projects p on p.id = a.project_id join organizations o on o.id = p.org_id
    where greatest(a.uploaded_at, coalesce(a.last_used_at, a.uploaded_at)) < ${now.toISOString()}::timestamptz - make_interval(days =>
      case when o.plan = 'FREE' or o.subscription_status in ('canceled', 'unpaid', 'incomplete', 'incomplete_expired')
             then ${days("FREE")}::int
           when o.plan = 'PRO' then ${days("PRO")}::int else ${days("BUSINESS")}::int end)
    limit ${BATCH}`);
  if (aged.rows.length > 0) {
    // Objects first: a row whose object is gone only means "no map" to a flush; the reverse would leak.
    await bucket.delete(aged.rows.map((row) => row.r2_key));
    await db.execute(sql`
      delete from source_map_artifacts
      where id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(aged.rows.map((row) => row.id))}::jsonb))`);
  }
  const result = { archivedProjects: archived.rows.length, aged: aged.rows.length };
  if (result.archivedProjects + result.aged > 0) logger.info("source map retention", { ...result });
  return result;
}
