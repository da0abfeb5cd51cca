import type { Database, Plan } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import type { Logger } from "../lib/logger.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";

export interface RetentionOptions {
  now?: number;
  /** Rows per DELETE statement: small enough that no statement holds locks for long. */
  batchSize?: number;
  /** Stop starting new batches after this long; the next run continues where this one stopped. */
  timeBudgetMs?: number;
}

export interface ProjectRetention {
  projectId: string;
  retentionDays: number;
  cutoff: string;
  deleted: { events: number; occurrences: number; groups: number; sessions: number };
  complete: boolean;
}

// Each statement deletes at most `limit` rows of one project older than the cutoff, by index.
const DELETES = {
  events: (projectId: string, cutoff: Date, limit: number) => sql`
    delete from events where id in (
      select id from events where project_id = ${projectId}::uuid and timestamp < ${cutoff} limit ${limit})`,
  occurrences: (projectId: string, cutoff: Date, limit: number) => sql`
    delete from error_occurrences where id in (
      select id from error_occurrences where project_id = ${projectId}::uuid and timestamp < ${cutoff} limit ${limit})`,
  groups: (projectId: string, cutoff: Date, limit: number) => sql`
    delete from error_groups where id in (
      select id from error_groups where project_id = ${projectId}::uuid and last_seen < ${cutoff} limit ${limit})`,
  // Ended sessions, and open ones with no activity inside the window (the original kept those forever).
  sessions: (projectId: string, cutoff: Date, limit: number) => sql`
    delete from sessions where id in (
      select id from sessions where project_id = ${projectId}::uuid
        and last_seen_at < ${cutoff} and coalesce(ended_at, last_seen_at) < ${cutoff} limit ${limit})`,
} as const;

/**
 * The Cron Trigger's job: per project, delete telemetry older than its plan's retention, in bounded
 * batches. Idempotent: a second run finds nothing more to delete.
 */
export async function runRetention(
  db: Database,
  logger: Logger,
  options: RetentionOptions = {},
): Promise<ProjectRetention[]> {
  const now = options.now ?? Date.now();
  const batchSize = options.batchSize ?? 5_000;
  const deadline = Date.now() + (options.timeBudgetMs ?? 20_000);
  const projects = await db.execute<{ project_id: string; plan: Plan; subscription_status: string | null }>(sql`
    select p.id as project_id, o.plan, o.subscription_status
    from projects p join organizations o on o.id = p.org_id order by p.id`);

  const reports: ProjectRetention[] = [];
  for (const project of projects.rows) {
    const retentionDays =
      PLAN_LIMITS[effectivePlan({ plan: project.plan, subscriptionStatus: project.subscription_status })].retentionDays;
    const cutoff = new Date(now - retentionDays * 24 * 60 * 60 * 1000);
    const report: ProjectRetention = {
      projectId: project.project_id,
      retentionDays,
      cutoff: cutoff.toISOString(),
      deleted: { events: 0, occurrences: 0, groups: 0, sessions: 0 },
      complete: true,
    };
    // Occurrences before groups: a group's cascade would otherwise delete them unbatched.
    for (const kind of ["events", "occurrences", "groups", "sessions"] as const) {
      for (;;) {
        if (Date.now() > deadline) {
          report.complete = false;
          break;
        }
        const result = await db.execute(DELETES[kind](project.project_id, cutoff, batchSize));
        const deleted = result.rowCount ?? 0;
        report.deleted[kind] += deleted;
        if (deleted < batchSize) break;
      }
    }
    const total = Object.values(report.deleted).reduce((sum, n) => sum + n, 0);
    if (total > 0 || !report.complete) logger.info("retention", { ...report });
    reports.push(report);
    if (!report.complete) break;
  }
  return reports;
}
