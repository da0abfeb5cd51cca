import {
  memberships,
  type Organization,
  organizations,
  type Project,
  projects,
  type Role,
} from "@telemetry-tracker/db";
import { and, eq, isNull } from "drizzle-orm";
import type { Context } from "hono";
import type { AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { type AuthContext, requireAuth } from "./session.ts";

const RANK: Record<Role, number> = { VIEWER: 1, EDITOR: 2, OWNER: 3 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return RANK[role] >= RANK[minimum];
}

/** DESIGN §6 as flags, so the dashboard hides what the API would refuse. */
export function capabilities(role: Role) {
  const editor = roleAtLeast(role, "EDITOR");
  const owner = role === "OWNER";
  return {
    read: true,
    resolveIssues: editor,
    createKeys: editor,
    editProjectSettings: editor,
    revokeKeys: owner,
    manageProjects: owner,
    manageMembers: owner,
    manageBilling: owner,
    manageOrganization: owner,
  };
}

export type Capabilities = ReturnType<typeof capabilities>;

function assertRole(role: Role, minimum: Role): void {
  if (!roleAtLeast(role, minimum)) {
    throw new ApiError("forbidden", `This needs the ${minimum} role or higher; you are ${role}`);
  }
}

export interface OrgAccess {
  auth: AuthContext;
  org: Organization;
  role: Role;
}

/**
 * The caller's membership in an organization. Not a member, or archived: 404, so ids of other
 * tenants reveal nothing. Member with too low a role: 403.
 */
export async function requireOrgRole(c: Context<AppEnv>, orgId: string, minimum: Role): Promise<OrgAccess> {
  const auth = await requireAuth(c);
  const [row] = await c.var.services
    .db()
    .select({ org: organizations, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, auth.user.id), isNull(organizations.deletedAt)));
  if (!row) throw new ApiError("not_found", "Organization not found");
  assertRole(row.role, minimum);
  return { auth, org: row.org, role: row.role };
}

export interface ProjectAccess extends OrgAccess {
  project: Project;
}

/** Same rules for a project: reached through the caller's membership in its organization. */
export async function requireProjectRole(c: Context<AppEnv>, projectId: string, minimum: Role): Promise<ProjectAccess> {
  const auth = await requireAuth(c);
  const [row] = await c.var.services
    .db()
    .select({ project: projects, org: organizations, role: memberships.role })
    .from(projects)
    .innerJoin(organizations, eq(organizations.id, projects.orgId))
    .innerJoin(memberships, and(eq(memberships.orgId, projects.orgId), eq(memberships.userId, auth.user.id)))
    .where(and(eq(projects.id, projectId), isNull(projects.deletedAt), isNull(organizations.deletedAt)));
  if (!row) throw new ApiError("not_found", "Project not found");
  assertRole(row.role, minimum);
  return { auth, org: row.org, project: row.project, role: row.role };
}
