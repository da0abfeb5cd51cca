import { auditLog, type Database } from "@telemetry-tracker/db";

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
