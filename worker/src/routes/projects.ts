import { createRoute, z } from "@hono/zod-openapi";
import type { Project } from "@telemetry-tracker/db";
import { capabilities, requireOrgRole, requireProjectRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import type { App } from "../context.ts";
import {
  commonErrors,
  cookieAuth,
  jsonBody,
  jsonContent,
  Ok,
  OrgParams,
  orRefuse,
  ProjectParams,
  Text,
} from "../lib/api.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { archiveProject, createProject, listProjects, monthlyUsage, updateProject } from "../services/projects.ts";

const ProjectSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    /** Stable small number: the last path segment of the project's Sentry DSN. */
    numericId: z.number().int(),
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
  numericId: p.numericId,
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
const Name = Text.trim().min(1).max(100);
const DenyKeys = z.array(Text.trim().min(1).max(100)).max(100);

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

export function registerProjects(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    return c.json({ projects: (await listProjects(c.var.services.db(), org.id)).map(projectDto) }, 200);
  });

  app.openapi(createProjectRoute, async (c) => {
    const { org, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    const actor = { userId: auth.user.id, ip: clientIp(c) };
    const project = orRefuse(await createProject(c.var.services.db(), org.id, c.req.valid("json"), actor));
    return c.json(projectDto(project), 201);
  });

  app.openapi(getRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    return c.json(projectDto(project), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { project, auth } = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const actor = { userId: auth.user.id, ip: clientIp(c) };
    const updated = orRefuse(await updateProject(c.var.services.db(), c.env, project, c.req.valid("json"), actor));
    return c.json(projectDto(updated), 200);
  });

  app.openapi(archiveRoute, async (c) => {
    const { project, auth } = await requireProjectRole(c, c.req.valid("param").projectId, "OWNER");
    await archiveProject(c.var.services.db(), c.env, project, { userId: auth.user.id, ip: clientIp(c) });
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(contextRoute, async (c) => {
    const { project, org, role } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const plan = effectivePlan(org);
    return c.json(
      {
        project: projectDto(project),
        organization: { id: org.id, name: org.name },
        role,
        capabilities: capabilities(role),
        plan,
        limits: { ...PLAN_LIMITS[plan] },
        usage: await monthlyUsage(c.var.services.db(), project, org),
      },
      200,
    );
  });
}
