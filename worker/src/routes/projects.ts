import { createRoute, z } from "@hono/zod-openapi";
import { apiKeys, type Database, organizations, type Project, projects, usageMonthly } from "@telemetry-tracker/db";
import { and, asc, count, eq, isNull, ne } from "drizzle-orm";
import { invalidateKeyCache } from "../auth/api-keys.ts";
import { capabilities, requireOrgRole, requireProjectRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok, OrgParams, ProjectParams } from "../lib/api.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { recordAudit } from "../services/audit.ts";
import { deleteProjectArtifacts } from "../sourcemaps/artifacts.ts";

const ProjectSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    slug: z.string(),
    piiDenyKeys: z.array(z.string()),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Project");

export const projectDto = (p: Project) => ({
  id: p.id,
  orgId: p.orgId,
  name: p.name,
  slug: p.slug,
  piiDenyKeys: p.piiDenyKeys,
  createdAt: p.createdAt.toISOString(),
  updatedAt: p.updatedAt.toISOString(),
});

const Slug = z
  .string()
  .min(1)
  .max(48)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, "lower-case letters, digits and single dashes");
const Name = z.string().trim().min(1).max(100);
const DenyKeys = z.array(z.string().trim().min(1).max(100)).max(100);

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

const currentMonth = () => new Date().toISOString().slice(0, 7);

const tags = ["Projects"];

const listRoute = createRoute({
  method: "get",
  path: "/api/orgs/{orgId}/projects",
  tags,
  security: cookieAuth,
  summary: "Projects of an organization (VIEWER+)",
  request: { params: OrgParams },
  responses: { 200: jsonContent(z.object({ projects: z.array(ProjectSchema) })), ...commonErrors },
});
const createProjectRoute = createRoute({
  method: "post",
  path: "/api/orgs/{orgId}/projects",
  tags,
  security: cookieAuth,
  summary: "Create a project (OWNER); 403 project_limit beyond the plan, 409 slug_taken",
  request: {
    params: OrgParams,
    body: jsonBody(z.object({ name: Name, slug: Slug.optional(), piiDenyKeys: DenyKeys.optional() })),
  },
  responses: { 201: jsonContent(ProjectSchema, "Created"), ...commonErrors },
});
const getRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}",
  tags,
  security: cookieAuth,
  summary: "One project (VIEWER+)",
  request: { params: ProjectParams },
  responses: { 200: jsonContent(ProjectSchema), ...commonErrors },
});
const updateRoute = createRoute({
  method: "patch",
  path: "/api/projects/{projectId}",
  tags,
  security: cookieAuth,
  summary: "Rename, change slug or PII deny list (EDITOR+); 409 slug_taken",
  request: {
    params: ProjectParams,
    body: jsonBody(z.object({ name: Name.optional(), slug: Slug.optional(), piiDenyKeys: DenyKeys.optional() })),
  },
  responses: { 200: jsonContent(ProjectSchema), ...commonErrors },
});
const archiveRoute = createRoute({
  method: "delete",
  path: "/api/projects/{projectId}",
  tags,
  security: cookieAuth,
  summary: "Archive (soft delete, OWNER): its keys stop working",
  request: { params: ProjectParams },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});
const contextRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/context",
  tags,
  security: cookieAuth,
  summary: "What the dashboard needs around a project: my role, capabilities, plan, usage vs quota",
  request: { params: ProjectParams },
  responses: {
    200: jsonContent(
      z
        .object({
          project: ProjectSchema,
          organization: z.object({ id: z.uuid(), name: z.string() }),
          role: z.enum(["OWNER", "EDITOR", "VIEWER"]),
          capabilities: z.record(z.string(), z.boolean()),
          plan: z.enum(["FREE", "PRO", "BUSINESS"]),
          limits: z.record(z.string(), z.number()),
          usage: z.object({ month: z.string(), units: z.number(), quota: z.number(), fraction: z.number() }),
        })
        .openapi("ProjectContext"),
    ),
    ...commonErrors,
  },
});

async function projectKeyIds(db: Database, projectId: string) {
  const keys = await db.select({ publicId: apiKeys.publicId }).from(apiKeys).where(eq(apiKeys.projectId, projectId));
  return keys.map((k) => k.publicId);
}

async function assertSlugFree(db: Pick<Database, "select">, orgId: string, slug: string, exceptId?: string) {
  const [clash] = await db
    .select({ id: projects.id })
    .from(projects)
    .where(and(eq(projects.orgId, orgId), eq(projects.slug, slug), exceptId ? ne(projects.id, exceptId) : undefined));
  if (clash) throw new ApiError("slug_taken", `The slug "${slug}" is already used in this organization`);
}

function isUniqueViolation(error: unknown): boolean {
  let current = error as { code?: string; cause?: unknown } | undefined;
  while (current) {
    if (current.code === "23505") return true;
    current = current.cause as typeof current;
  }
  return false;
}

export function registerProjects(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    const rows = await c.var.services
      .db()
      .select()
      .from(projects)
      .where(and(eq(projects.orgId, org.id), isNull(projects.deletedAt)))
      .orderBy(asc(projects.name));
    return c.json({ projects: rows.map(projectDto) }, 200);
  });

  app.openapi(createProjectRoute, async (c) => {
    const { org, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    const body = c.req.valid("json");
    const slug = body.slug ?? slugify(body.name);
    const db = c.var.services.db();
    let project: Project;
    try {
      project = await db.transaction(async (tx) => {
        // The org row lock serialises concurrent creates, so two requests cannot both pass the cap.
        const [locked] = await tx.select().from(organizations).where(eq(organizations.id, org.id)).for("update");
        const limit = PLAN_LIMITS[effectivePlan(locked)].projectsPerOrg;
        const [{ active }] = await tx
          .select({ active: count() })
          .from(projects)
          .where(and(eq(projects.orgId, org.id), isNull(projects.deletedAt)));
        if (active >= limit) {
          throw new ApiError("project_limit", `The ${effectivePlan(locked)} plan allows ${limit} project(s)`, {
            details: { limit, active },
          });
        }
        await assertSlugFree(tx, org.id, slug);
        const [created] = await tx
          .insert(projects)
          .values({ orgId: org.id, name: body.name, slug, piiDenyKeys: body.piiDenyKeys ?? [] })
          .returning();
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError("slug_taken", `The slug "${slug}" is already used`);
      throw error;
    }
    await recordAudit(db, {
      orgId: org.id,
      actorUserId: auth.user.id,
      action: "project.create",
      targetType: "project",
      targetId: project.id,
      metadata: { name: project.name, slug: project.slug },
      ip: clientIp(c),
    });
    return c.json(projectDto(project), 201);
  });

  app.openapi(getRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    return c.json(projectDto(project), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { project, auth } = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const body = c.req.valid("json");
    const db = c.var.services.db();
    if (body.slug && body.slug !== project.slug) await assertSlugFree(db, project.orgId, body.slug, project.id);
    let updated: Project;
    try {
      [updated] = await db
        .update(projects)
        .set({
          ...(body.name === undefined ? {} : { name: body.name }),
          ...(body.slug === undefined ? {} : { slug: body.slug }),
          ...(body.piiDenyKeys === undefined ? {} : { piiDenyKeys: [...new Set(body.piiDenyKeys)] }),
          updatedAt: new Date(),
        })
        .where(eq(projects.id, project.id))
        .returning();
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError("slug_taken", `The slug "${body.slug}" is already used`);
      throw error;
    }
    if (body.piiDenyKeys !== undefined) await invalidateKeyCache(c.env, await projectKeyIds(db, project.id));
    await recordAudit(db, {
      orgId: project.orgId,
      actorUserId: auth.user.id,
      action: "project.update",
      targetType: "project",
      targetId: project.id,
      metadata: { changes: Object.keys(body) },
      ip: clientIp(c),
    });
    return c.json(projectDto(updated), 200);
  });

  app.openapi(archiveRoute, async (c) => {
    const { project, auth } = await requireProjectRole(c, c.req.valid("param").projectId, "OWNER");
    const db = c.var.services.db();
    await db.update(projects).set({ deletedAt: new Date() }).where(eq(projects.id, project.id));
    await invalidateKeyCache(c.env, await projectKeyIds(db, project.id));
    await deleteProjectArtifacts(db, c.env.ARTIFACTS, project.id);
    await recordAudit(db, {
      orgId: project.orgId,
      actorUserId: auth.user.id,
      action: "project.archive",
      targetType: "project",
      targetId: project.id,
      ip: clientIp(c),
    });
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(contextRoute, async (c) => {
    const { project, org, role } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const plan = effectivePlan(org);
    const month = currentMonth();
    const [usage] = await c.var.services
      .db()
      .select({ units: usageMonthly.units })
      .from(usageMonthly)
      .where(and(eq(usageMonthly.projectId, project.id), eq(usageMonthly.month, month)));
    const units = usage?.units ?? 0;
    const quota = PLAN_LIMITS[plan].monthlyUnits;
    return c.json(
      {
        project: projectDto(project),
        organization: { id: org.id, name: org.name },
        role,
        capabilities: capabilities(role),
        plan,
        limits: { ...PLAN_LIMITS[plan] },
        usage: { month, units, quota, fraction: quota > 0 ? units / quota : 0 },
      },
      200,
    );
  });
}
