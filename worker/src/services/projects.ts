import {
  apiKeys,
  type Database,
  type Organization,
  organizations,
  type Project,
  projects,
  usageMonthly,
} from "@telemetry-tracker/db";
import { and, asc, count, eq, isNull, ne } from "drizzle-orm";
import { invalidateKeyCache } from "../auth/api-keys.ts";
import type { Bindings } from "../env.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { deleteProjectArtifacts } from "../sourcemaps/artifacts.ts";
import { recordAudit } from "./audit.ts";
import { type Actor, isUniqueViolation, ok, type Refusal, type Result, RollBack, refusalOf, refuse } from "./result.ts";

/** A URL-safe slug from a display name ("project" when nothing usable is left). */
export function slugify(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48)
    .replace(/-+$/, "");
  return slug || "project";
}

const slugTaken = (slug: string | undefined, where = ""): Refusal =>
  refuse("slug_taken", `The slug "${slug}" is already used${where}`);

export async function listProjects(db: Database, orgId: string): Promise<Project[]> {
  return db
    .select()
    .from(projects)
    .where(and(eq(projects.orgId, orgId), isNull(projects.deletedAt)))
    .orderBy(asc(projects.name));
}

async function slugInUse(db: Pick<Database, "select">, orgId: string, slug: string, exceptId?: string) {
  const [clash] = await db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.orgId, orgId), eq(projects.slug, slug), exceptId ? ne(projects.id, exceptId) : undefined));
  return clash !== undefined;
}

async function projectKeyIds(db: Database, projectId: string) {
  const keys = await db.select({ publicId: apiKeys.publicId }).from(apiKeys).where(eq(apiKeys.projectId, projectId));
  return keys.map((k) => k.publicId);
}

export interface NewProject {
  name: string;
  slug?: string;
  piiDenyKeys?: string[];
}

/** Creates a project within the plan's project cap; the slug defaults to one made from the name. */
export async function createProject(
  db: Database,
  orgId: string,
  input: NewProject,
  actor: Actor,
): Promise<Result<Project>> {
  const slug = input.slug ?? slugify(input.name);
  let created: Result<Project>;
  try {
    created = await refusalOf(() =>
      db.transaction(async (tx) => {
        // The org row lock serialises concurrent creates, so two requests cannot both pass the cap.
        const [locked] = await tx.select().from(organizations).where(eq(organizations.id, orgId)).for("update");
        const plan = effectivePlan(locked);
        const limit = PLAN_LIMITS[plan].projectsPerOrg;
        const [{ active }] = await tx
          .select({ active: count() })
          .from(projects)
          .where(and(eq(projects.orgId, orgId), isNull(projects.deletedAt)));
        if (active >= limit) {
          throw new RollBack(
            refuse("project_limit", `The ${plan} plan allows ${limit} project(s)`, { details: { limit, active } }),
          );
        }
        if (await slugInUse(tx, orgId, slug)) throw new RollBack(slugTaken(slug, " in this organization"));
        const [project] = await tx
          .insert(projects)
          .values({ orgId, name: input.name, slug, piiDenyKeys: input.piiDenyKeys ?? [] })
          .returning();
        return project;
      }),
    );
  } catch (error) {
    if (isUniqueViolation(error)) return slugTaken(slug);
    throw error;
  }
  if (!created.ok) return created;
  await recordAudit(db, {
    orgId,
    actorUserId: actor.userId,
    action: "project.create",
    targetType: "project",
    targetId: created.value.id,
    metadata: { name: created.value.name, slug: created.value.slug },
    ip: actor.ip,
  });
  return created;
}

/** Renames, re-slugs or changes the PII deny list; a new deny list reaches ingest within seconds. */
export async function updateProject(
  db: Database,
  env: Bindings,
  project: Project,
  changes: Partial<NewProject>,
  actor: Actor,
): Promise<Result<Project>> {
  if (changes.slug && changes.slug !== project.slug && (await slugInUse(db, project.orgId, changes.slug, project.id))) {
    return slugTaken(changes.slug, " in this organization");
  }
  let updated: Project;
  try {
    [updated] = await db
      .update(projects)
      .set({
        ...(changes.name === undefined ? {} : { name: changes.name }),
        ...(changes.slug === undefined ? {} : { slug: changes.slug }),
        ...(changes.piiDenyKeys === undefined ? {} : { piiDenyKeys: [...new Set(changes.piiDenyKeys)] }),
        updatedAt: new Date(),
      })
      .where(eq(projects.id, project.id))
      .returning();
  } catch (error) {
    if (isUniqueViolation(error)) return slugTaken(changes.slug);
    throw error;
  }
  // Cached key records carry the deny list: drop them so ingest scrubs with the new one.
  if (changes.piiDenyKeys !== undefined) await invalidateKeyCache(env, await projectKeyIds(db, project.id));
  await recordAudit(db, {
    orgId: project.orgId,
    actorUserId: actor.userId,
    action: "project.update",
    targetType: "project",
    targetId: project.id,
    metadata: { changes: Object.keys(changes) },
    ip: actor.ip,
  });
  return ok(updated);
}

/** Soft-deletes the project; its keys stop working within seconds and its source maps are deleted. */
export async function archiveProject(db: Database, env: Bindings, project: Project, actor: Actor): Promise<void> {
  await db.update(projects).set({ deletedAt: new Date() }).where(eq(projects.id, project.id));
  await invalidateKeyCache(env, await projectKeyIds(db, project.id));
  await deleteProjectArtifacts(db, env.ARTIFACTS, project.id);
  await recordAudit(db, {
    orgId: project.orgId,
    actorUserId: actor.userId,
    action: "project.archive",
    targetType: "project",
    targetId: project.id,
    ip: actor.ip,
  });
}

/** This month's metered units of a project against its plan's quota. */
export async function monthlyUsage(db: Database, project: Project, org: Organization) {
  const month = new Date().toISOString().slice(0, 7);
  const [usage] = await db
    .select({ units: usageMonthly.units })
    .from(usageMonthly)
    .where(and(eq(usageMonthly.projectId, project.id), eq(usageMonthly.month, month)));
  const units = usage?.units ?? 0;
  const quota = PLAN_LIMITS[effectivePlan(org)].monthlyUnits;
  return { month, units, quota, fraction: quota > 0 ? units / quota : 0 };
}
