import { createRoute, z } from "@hono/zod-openapi";
import type { Organization } from "@telemetry-tracker/db";
import { capabilities, requireOrgRole } from "../auth/rbac.ts";
import { clientIp, requireAuth } from "../auth/session.ts";
import type { App } from "../context.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok, OrgParams, Text } from "../lib/api.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { archiveOrg, createOrg, listOrgs, renameOrg } from "../services/orgs.ts";

const Role = z.enum(["OWNER", "EDITOR", "VIEWER"]);
const Plan = z.enum(["FREE", "PRO", "BUSINESS"]);

const OrgSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    plan: Plan.openapi({ description: "The plan whose limits apply now (a lapsed subscription counts as FREE)" }),
    purchasedPlan: Plan,
    subscriptionStatus: z.string().nullable(),
    role: Role,
    capabilities: z.record(z.string(), z.boolean()),
    limits: z.object({ projectsPerOrg: z.number().int(), activeKeysPerProject: z.number().int() }),
    createdAt: z.string(),
  })
  .openapi("Organization");

export const orgDto = (org: Organization, role: z.infer<typeof Role>) => {
  const plan = effectivePlan(org);
  return {
    id: org.id,
    name: org.name,
    plan,
    purchasedPlan: org.plan,
    subscriptionStatus: org.subscriptionStatus,
    role,
    capabilities: capabilities(role),
    limits: {
      projectsPerOrg: PLAN_LIMITS[plan].projectsPerOrg,
      activeKeysPerProject: PLAN_LIMITS[plan].activeKeysPerProject,
    },
    createdAt: org.createdAt.toISOString(),
  };
};

const tags = ["Organizations"];
const Name = Text.trim().min(1).max(100);

const listRoute = createRoute({
  method: "get",
  path: "/api/orgs",
  tags,
  security: cookieAuth,
  summary: "My organizations",
  responses: { 200: jsonContent(z.object({ organizations: z.array(OrgSchema) })), ...commonErrors },
});
const createOrgRoute = createRoute({
  method: "post",
  path: "/api/orgs",
  tags,
  security: cookieAuth,
  summary: "Create an organization; the creator becomes its OWNER",
  request: { body: jsonBody(z.object({ name: Name })) },
  responses: { 201: jsonContent(OrgSchema, "Created"), ...commonErrors },
});
const getRoute = createRoute({
  method: "get",
  path: "/api/orgs/{orgId}",
  tags,
  security: cookieAuth,
  summary: "One organization (VIEWER+)",
  request: { params: OrgParams },
  responses: { 200: jsonContent(OrgSchema), ...commonErrors },
});
const renameRoute = createRoute({
  method: "patch",
  path: "/api/orgs/{orgId}",
  tags,
  security: cookieAuth,
  summary: "Rename (OWNER)",
  request: { params: OrgParams, body: jsonBody(z.object({ name: Name })) },
  responses: { 200: jsonContent(OrgSchema), ...commonErrors },
});
const archiveRoute = createRoute({
  method: "delete",
  path: "/api/orgs/{orgId}",
  tags,
  security: cookieAuth,
  summary: "Archive (soft delete, OWNER): its projects stop accepting ingest",
  request: { params: OrgParams },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});

export function registerOrgs(app: App): void {
  app.openapi(listRoute, async (c) => {
    const auth = await requireAuth(c);
    const rows = await listOrgs(c.var.services.db(), auth.user.id);
    return c.json({ organizations: rows.map((r) => orgDto(r.org, r.role)) }, 200);
  });

  app.openapi(createOrgRoute, async (c) => {
    const auth = await requireAuth(c);
    const actor = { userId: auth.user.id, ip: clientIp(c) };
    const org = await createOrg(c.var.services.db(), c.req.valid("json").name, actor);
    return c.json(orgDto(org, "OWNER"), 201);
  });

  app.openapi(getRoute, async (c) => {
    const { org, role } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    return c.json(orgDto(org, role), 200);
  });

  app.openapi(renameRoute, async (c) => {
    const { org, role, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    const actor = { userId: auth.user.id, ip: clientIp(c) };
    const updated = await renameOrg(c.var.services.db(), org, c.req.valid("json").name, actor);
    return c.json(orgDto(updated, role), 200);
  });

  app.openapi(archiveRoute, async (c) => {
    const { org, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    await archiveOrg(c.var.services.db(), c.env, org.id, { userId: auth.user.id, ip: clientIp(c) });
    return c.json({ ok: true as const }, 200);
  });
}
