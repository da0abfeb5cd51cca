import { action, query } from "@solidjs/router";
import { mutate, read, worker } from "../server/worker";
import type { AuditEntry, Page, Role } from "../types";

/** Organizations, their members, invites and audit log. */

export const getOrgs = query(async () => {
  "use server";
  const { organizations } = await read(worker().GET("/api/orgs"));
  return { orgs: organizations };
}, "orgs");

export const createOrg = action(async (name: string) => {
  "use server";
  const result = await mutate(worker().POST("/api/orgs", { body: { name } }));
  return result.ok ? { ok: true as const, data: { org: result.data } } : result;
}, "create-org");

export const renameOrg = action(async (orgId: string, name: string) => {
  "use server";
  return await mutate(worker().PATCH("/api/orgs/{orgId}", { params: { path: { orgId } }, body: { name } }));
}, "rename-org");

export const getMembers = query(async (orgId: string) => {
  "use server";
  return await read(worker().GET("/api/orgs/{orgId}/members", { params: { path: { orgId } } }));
}, "members");

export const changeMemberRole = action(async (orgId: string, userId: string, role: Role) => {
  "use server";
  return await mutate(
    worker().PATCH("/api/orgs/{orgId}/members/{userId}", { params: { path: { orgId, userId } }, body: { role } }),
  );
}, "change-member-role");

export const removeMember = action(async (orgId: string, userId: string) => {
  "use server";
  return await mutate(worker().DELETE("/api/orgs/{orgId}/members/{userId}", { params: { path: { orgId, userId } } }));
}, "remove-member");

export const getInvites = query(async (orgId: string) => {
  "use server";
  return await read(worker().GET("/api/orgs/{orgId}/invites", { params: { path: { orgId } } }));
}, "invites");

/** Outside production the answer carries `devAcceptUrl`, the link the mail would have held. */
export const createInvite = action(async (orgId: string, email: string, role: Role) => {
  "use server";
  return await mutate(
    worker().POST("/api/orgs/{orgId}/invites", { params: { path: { orgId } }, body: { email, role } }),
  );
}, "create-invite");

export const revokeInvite = action(async (orgId: string, inviteId: string) => {
  "use server";
  return await mutate(
    worker().DELETE("/api/orgs/{orgId}/invites/{inviteId}", { params: { path: { orgId, inviteId } } }),
  );
}, "revoke-invite");

export const getAudit = query(async (orgId: string, cursor?: string) => {
  "use server";
  const wire = await read(
    worker().GET("/api/orgs/{orgId}/audit", { params: { path: { orgId }, query: { cursor, limit: 50 } } }),
  );
  const page: Page<AuditEntry> = { items: wire.entries, nextCursor: wire.nextCursor };
  return page;
}, "audit");
