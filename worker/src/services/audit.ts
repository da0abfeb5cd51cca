import { auditLog, type Database, users } from "@telemetry-tracker/db";
import { and, desc, eq, lt } from "drizzle-orm";

export interface AuditEntry {
  orgId: string;
  actorUserId: string | null;
  /** Dotted verb: `auth.login`, `api_key.create`, `member.role_change`, … */
  action: string;
  targetType?: string;
  targetId?: string;
  metadata?: Record<string, unknown>;
  ip?: string | null;
}

export async function recordAudit(db: Database, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await db.insert(auditLog).values(
    list.map((entry) => ({
      orgId: entry.orgId,
      actorUserId: entry.actorUserId,
      action: entry.action,
      targetType: entry.targetType ?? null,
      targetId: entry.targetId ?? null,
      metadata: entry.metadata ?? {},
      ip: entry.ip ?? null,
    })),
  );
}

/** One page of an organization's audit log, newest first, with the actor's name where the user still exists. */
export async function listAuditEntries(
  db: Database,
  orgId: string,
  page: { beforeId: number | null; action?: string; limit: number },
) {
  return db
    .select({ entry: auditLog, actorEmail: users.email, actorName: users.displayName })
    .from(auditLog)
    .leftJoin(users, eq(users.id, auditLog.actorUserId))
    .where(
      and(
        eq(auditLog.orgId, orgId),
        page.beforeId === null ? undefined : lt(auditLog.id, page.beforeId),
        page.action ? eq(auditLog.action, page.action) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(page.limit);
}
