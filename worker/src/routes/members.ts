import { createRoute, z } from "@hono/zod-openapi";
import { requireOrgRole } from "../auth/rbac.ts";
import { clientIp, requireAuth } from "../auth/session.ts";
import type { App } from "../context.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok, OrgParams, orRefuse } from "../lib/api.ts";
import { createMailer, devLinkFor } from "../lib/mailer.ts";
import {
  acceptInvite,
  changeRole,
  type Invite,
  inviteMember,
  listInvites,
  listMembers,
  pendingInvite,
  removeMember,
  revokeInvite,
} from "../services/members.ts";
import { dashboardUrl } from "./auth.ts";

const Role = z.enum(["OWNER", "EDITOR", "VIEWER"]);
const MemberSchema = z
  .object({ userId: z.uuid(), email: z.string(), displayName: z.string(), role: Role, joinedAt: z.string() })
  .openapi("Member");
const InviteSchema = z
  .object({
    id: z.uuid(),
    email: z.string(),
    role: Role,
    status: z.enum(["pending", "accepted", "revoked", "expired"]),
    expiresAt: z.string(),
    createdAt: z.string(),
  })
  .openapi("Invite");
const InvitePreviewSchema = z
  .object({ orgName: z.string(), email: z.string(), role: Role, expiresAt: z.string() })
  .openapi("InvitePreview");

const MemberParams = OrgParams.extend({ userId: z.uuid() });
const InviteParams = OrgParams.extend({ inviteId: z.uuid() });
const TokenParams = z.object({ token: z.string().regex(/^[0-9a-f]{64}$/, "not an invitation token") });

const inviteStatus = (i: Invite): "pending" | "accepted" | "revoked" | "expired" =>
  i.acceptedAt ? "accepted" : i.revokedAt ? "revoked" : i.expiresAt.getTime() <= Date.now() ? "expired" : "pending";
const inviteDto = (i: Invite) => ({
  id: i.id,
  email: i.email,
  role: i.role,
  status: inviteStatus(i),
  expiresAt: i.expiresAt.toISOString(),
  createdAt: i.createdAt.toISOString(),
});

const tags = ["Members"];

const listRoute = createRoute({
  method: "get",
  path: "/api/orgs/{orgId}/members",
  tags,
  security: cookieAuth,
  summary: "Members and their roles (VIEWER+)",
  request: { params: OrgParams },
  responses: { 200: jsonContent(z.object({ members: z.array(MemberSchema) })), ...commonErrors },
});
const changeRoleRoute = createRoute({
  method: "patch",
  path: "/api/orgs/{orgId}/members/{userId}",
  tags,
  security: cookieAuth,
  summary: "Change a member's role (OWNER); the last OWNER cannot be demoted (409 last_owner)",
  request: { params: MemberParams, body: jsonBody(z.object({ role: Role })) },
  responses: { 200: jsonContent(MemberSchema), ...commonErrors },
});
const removeRoute = createRoute({
  method: "delete",
  path: "/api/orgs/{orgId}/members/{userId}",
  tags,
  security: cookieAuth,
  summary: "Remove a member (OWNER); the last OWNER cannot be removed (409 last_owner)",
  request: { params: MemberParams },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});
const listInvitesRoute = createRoute({
  method: "get",
  path: "/api/orgs/{orgId}/invites",
  tags,
  security: cookieAuth,
  summary: "Invitations, newest first (VIEWER+)",
  request: { params: OrgParams },
  responses: { 200: jsonContent(z.object({ invites: z.array(InviteSchema) })), ...commonErrors },
});
const createInviteRoute = createRoute({
  method: "post",
  path: "/api/orgs/{orgId}/invites",
  tags,
  security: cookieAuth,
  summary: "Invite by email with a role (OWNER); mails a 7-day link",
  request: {
    params: OrgParams,
    body: jsonBody(
      z.object({
        email: z
          .email()
          .max(254)
          .transform((v) => v.trim().toLowerCase()),
        role: Role,
      }),
    ),
  },
  responses: {
    201: jsonContent(
      InviteSchema.extend({
        devAcceptUrl: z.string().optional().openapi({
          description: "The accept link the mail carries; only when APP_ENV is not production",
        }),
      }),
      "Created and mailed",
    ),
    ...commonErrors,
  },
});
const revokeInviteRoute = createRoute({
  method: "delete",
  path: "/api/orgs/{orgId}/invites/{inviteId}",
  tags,
  security: cookieAuth,
  summary: "Revoke a pending invitation (OWNER)",
  request: { params: InviteParams },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});
const previewRoute = createRoute({
  method: "get",
  path: "/api/invites/{token}",
  tags,
  summary: "What an invitation is for (no sign-in needed; the token is the secret)",
  request: { params: TokenParams },
  responses: { 200: jsonContent(InvitePreviewSchema), ...commonErrors },
});
const acceptRoute = createRoute({
  method: "post",
  path: "/api/invites/{token}/accept",
  tags,
  security: cookieAuth,
  summary: "Join the organization as the invited (signed-in) user",
  request: { params: TokenParams },
  responses: { 200: jsonContent(z.object({ orgId: z.uuid(), role: Role })), ...commonErrors },
});

export function registerMembers(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    const rows = await listMembers(c.var.services.db(), org.id);
    return c.json({ members: rows.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() })) }, 200);
  });

  app.openapi(changeRoleRoute, async (c) => {
    const { orgId, userId } = c.req.valid("param");
    const { auth } = await requireOrgRole(c, orgId, "OWNER");
    const actor = { userId: auth.user.id, ip: clientIp(c) };
    const member = orRefuse(await changeRole(c.var.services.db(), orgId, userId, c.req.valid("json").role, actor));
    return c.json({ ...member, joinedAt: member.joinedAt.toISOString() }, 200);
  });

  app.openapi(removeRoute, async (c) => {
    const { orgId, userId } = c.req.valid("param");
    const { auth } = await requireOrgRole(c, orgId, "OWNER");
    orRefuse(await removeMember(c.var.services.db(), orgId, userId, { userId: auth.user.id, ip: clientIp(c) }));
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(listInvitesRoute, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    return c.json({ invites: (await listInvites(c.var.services.db(), org.id)).map(inviteDto) }, 200);
  });

  app.openapi(createInviteRoute, async (c) => {
    const { org, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    const mailer = createMailer(c.env, c.var.services.logger);
    const { invite, link } = orRefuse(
      await inviteMember(
        c.var.services.db(),
        mailer,
        org,
        auth.user,
        { ...c.req.valid("json"), dashboardUrl: dashboardUrl(c) },
        clientIp(c),
      ),
    );
    const devAcceptUrl = devLinkFor(c.env, link);
    return c.json({ ...inviteDto(invite), ...(devAcceptUrl ? { devAcceptUrl } : {}) }, 201);
  });

  app.openapi(revokeInviteRoute, async (c) => {
    const { orgId, inviteId } = c.req.valid("param");
    const { auth } = await requireOrgRole(c, orgId, "OWNER");
    orRefuse(await revokeInvite(c.var.services.db(), orgId, inviteId, { userId: auth.user.id, ip: clientIp(c) }));
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(previewRoute, async (c) => {
    const { invite, orgName } = orRefuse(await pendingInvite(c.var.services.db(), c.req.valid("param").token));
    return c.json({ orgName, email: invite.email, role: invite.role, expiresAt: invite.expiresAt.toISOString() }, 200);
  });

  app.openapi(acceptRoute, async (c) => {
    const auth = await requireAuth(c);
    const invite = orRefuse(
      await acceptInvite(c.var.services.db(), c.req.valid("param").token, auth.user, clientIp(c)),
    );
    return c.json({ orgId: invite.orgId, role: invite.role }, 200);
  });
}
