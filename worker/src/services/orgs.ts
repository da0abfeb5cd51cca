import { apiKeys, type Database, memberships, type Organization, organizations, projects } from "@telemetry-tracker/db";
import { and, asc, eq, isNull } from "drizzle-orm";
import { invalidateKeyCache } from "../auth/api-keys.ts";
import type { Bindings } from "../env.ts";
import { recordAudit } from "./audit.ts";
import type { Actor } from "./result.ts";

/** The user's organizations (archived ones left out) with their role in each, by name. */
export async function listOrgs(db: Database, userId: string) {
  return db
    .select({ org: organizations, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(and(eq(memberships.userId, userId), isNull(organizations.deletedAt)))
    .orderBy(asc(organizations.name));
}

/** Creates an organization; its creator becomes its OWNER. */
export async function createOrg(db: Database, name: string, actor: Actor): Promise<Organization> {
  const org = await db.transaction(async (tx) => {
    const [created] = await tx.insert(organizations).values({ name }).returning();
    await tx.insert(memberships).values({ orgId: created.id, userId: actor.userId, role: "OWNER" });
    return created;
  });
  await recordAudit(db, {
    orgId: org.id,
    actorUserId: actor.userId,
    action: "org.create",
    targetType: "organization",
    targetId: org.id,
    ip: actor.ip,
  });
  return org;
}

export async function renameOrg(db: Database, org: Organization, name: string, actor: Actor): Promise<Organization> {
  const [updated] = await db
    .update(organizations)
    .set({ name, updatedAt: new Date() })
    .where(eq(organizations.id, org.id))
    .returning();
  await recordAudit(db, {
    orgId: org.id,
    actorUserId: actor.userId,
    action: "org.rename",
    targetType: "organization",
    targetId: org.id,
    metadata: { from: org.name, to: name },
    ip: actor.ip,
  });
  return updated;
}

/** Soft-deletes the organization; its projects stop accepting ingest within seconds. */
export async function archiveOrg(db: Database, env: Bindings, orgId: string, actor: Actor): Promise<void> {
  await db.update(organizations).set({ deletedAt: new Date() }).where(eq(organizations.id, orgId));
  // Cached key records say "enabled": drop them so ingest sees the archive within seconds.
  const keys = await db
    .select({ publicId: apiKeys.publicId })
    .from(apiKeys)
    .innerJoin(projects, eq(projects.id, apiKeys.projectId))
    .where(eq(projects.orgId, orgId));
  await invalidateKeyCache(
    env,
    keys.map((k) => k.publicId),
  );
  await recordAudit(db, {
    orgId,
    actorUserId: actor.userId,
    action: "org.archive",
    targetType: "organization",
    targetId: orgId,
    ip: actor.ip,
  });
}
