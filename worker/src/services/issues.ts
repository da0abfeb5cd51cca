import { type Database, errorGroups, type Project } from "@telemetry-tracker/db";
import { and, eq } from "drizzle-orm";
import { recordAudit } from "./audit.ts";
import { type Actor, ok, type Result, refuse } from "./result.ts";

export type IssueStatus = "unresolved" | "resolved" | "ignored";

/** Resolving clears the regression flag; reopening forgets when it was resolved. */
export async function setIssueStatus(
  db: Database,
  project: Project,
  issueId: string,
  status: IssueStatus,
  actor: Actor,
): Promise<Result<{ id: string; status: IssueStatus; regressed: boolean }>> {
  const [updated] = await db
    .update(errorGroups)
    .set(
      status === "resolved"
        ? { status, resolvedAt: new Date(), regressed: false }
        : status === "unresolved"
          ? { status, resolvedAt: null }
          : { status },
    )
    .where(and(eq(errorGroups.id, issueId), eq(errorGroups.projectId, project.id)))
    .returning({ id: errorGroups.id, status: errorGroups.status, regressed: errorGroups.regressed });
  if (!updated) return refuse("not_found", "Issue not found");
  await recordAudit(db, {
    orgId: project.orgId,
    actorUserId: actor.userId,
    action: "issue.status_change",
    targetType: "error_group",
    targetId: issueId,
    metadata: { projectId: project.id, status },
    ip: actor.ip,
  });
  return ok(updated);
}
