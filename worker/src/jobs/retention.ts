import type { Database, Plan } from "@telemetry-tracker/db";
import { type SQL, sql } from "drizzle-orm";
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

// Where each kind keeps its age. One statement shape deletes them all: at most `limit` rows of one
// project older than the cutoff, found through the (project_id, age) index.
const AGED: Record<keyof ProjectRetention["deleted"], { table: string; age: string; andAlso?: (cutoff: Date) => SQL }> =
  {
    events: { table: "events", age: "timestamp" },
    occurrences: { table: "error_occurrences", age: "timestamp" },
    groups: { table: "error_groups", age: "last_seen" },
    // Ended sessions, and open ones with no activity inside the window (the original kept those forever).
    sessions: {
      table: "sessions",
      age: "last_seen_at",
      andAlso: (cutoff) => sql` and coalesce(ended_at, last_seen_at) < ${cutoff}`,
    },
  };

function deleteAged(kind: keyof typeof AGED, projectId: string, cutoff: Date, limit: number): SQL {
  const { table, age, andAlso } = AGED[kind];
  return sql`
    delete from ${sql.identifier(table)} where id in (
      select id from ${sql.identifier(table)} where project_id = ${projectId}::uuid
        and ${sql.identifier(age)} < ${cutoff}${andAlso?.(cutoff) ?? sql``} limit ${limit})`;
}

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
        const result = await db.execute(deleteAged(kind, project.project_id, cutoff, batchSize));
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
