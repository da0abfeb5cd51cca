import { createRoute, z } from "@hono/zod-openapi";
import { type Database, invites, memberships, organizations, randomHex, sha256Hex, users } from "@telemetry-tracker/db";
import { and, asc, count, desc, eq, gt, isNull } from "drizzle-orm";
import { requireOrgRole } from "../auth/rbac.ts";
import { clientIp, requireAuth } from "../auth/session.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok, OrgParams } from "../lib/api.ts";
import { createMailer, devLinkFor } from "../lib/mailer.ts";
import { recordAudit } from "../services/audit.ts";
import { dashboardUrl } from "./auth.ts";

export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

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

type InviteRow = typeof invites.$inferSelect;
const inviteStatus = (i: InviteRow): "pending" | "accepted" | "revoked" | "expired" =>
  i.acceptedAt ? "accepted" : i.revokedAt ? "revoked" : i.expiresAt.getTime() <= Date.now() ? "expired" : "pending";
const inviteDto = (i: InviteRow) => ({
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

async function pendingInvite(db: Database, token: string) {
  const [row] = await db
    .select({ invite: invites, orgName: organizations.name })
    .from(invites)
    .innerJoin(organizations, eq(organizations.id, invites.orgId))
    .where(
      and(
        eq(invites.tokenHash, await sha256Hex(token)),
        isNull(invites.acceptedAt),
        isNull(invites.revokedAt),
        gt(invites.expiresAt, new Date()),
        isNull(organizations.deletedAt),
      ),
    );
  if (!row) throw new ApiError("not_found", "This invitation does not exist, has expired or was already used");
  return row;
}

export function registerMembers(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    const rows = await c.var.services
      .db()
      .select({
        userId: users.id,
        email: users.email,
        displayName: users.displayName,
        role: memberships.role,
        joinedAt: memberships.createdAt,
      })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(memberships.orgId, org.id))
      .orderBy(asc(users.email));
    return c.json({ members: rows.map((m) => ({ ...m, joinedAt: m.joinedAt.toISOString() })) }, 200);
  });

  app.openapi(changeRoleRoute, async (c) => {
    const { orgId, userId } = c.req.valid("param");
    const { auth } = await requireOrgRole(c, orgId, "OWNER");
    const { role } = c.req.valid("json");
    const db = c.var.services.db();
    const result = await db.transaction(async (tx) => {
      // Lock the org so two owners demoting each other at once cannot both succeed.
      await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)).for("update");
      const [member] = await tx
        .select()
        .from(memberships)
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
      if (!member) throw new ApiError("not_found", "No such member");
      if (member.role === "OWNER" && role !== "OWNER") {
        const [{ owners }] = await tx
          .select({ owners: count() })
          .from(memberships)
          .where(and(eq(memberships.orgId, orgId), eq(memberships.role, "OWNER")));
        if (owners <= 1) throw new ApiError("last_owner", "An organization needs at least one OWNER");
      }
      const [updated] = await tx
        .update(memberships)
        .set({ role, updatedAt: new Date() })
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
        .returning();
      return { from: member.role, updated };
    });
    const [user] = await db.select().from(users).where(eq(users.id, userId));
    await recordAudit(db, {
      orgId,
      actorUserId: auth.user.id,
      action: "member.role_change",
      targetType: "user",
      targetId: userId,
      metadata: { from: result.from, to: role },
      ip: clientIp(c),
    });
    return c.json(
      {
        userId,
        email: user.email,
        displayName: user.displayName,
        role: result.updated.role,
        joinedAt: result.updated.createdAt.toISOString(),
      },
      200,
    );
  });

  app.openapi(removeRoute, async (c) => {
    const { orgId, userId } = c.req.valid("param");
    const { auth } = await requireOrgRole(c, orgId, "OWNER");
    const db = c.var.services.db();
    const removedRole = await db.transaction(async (tx) => {
      await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)).for("update");
      const [member] = await tx
        .select()
        .from(memberships)
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
      if (!member) throw new ApiError("not_found", "No such member");
      if (member.role === "OWNER") {
        const [{ owners }] = await tx
          .select({ owners: count() })
          .from(memberships)
          .where(and(eq(memberships.orgId, orgId), eq(memberships.role, "OWNER")));
        if (owners <= 1) throw new ApiError("last_owner", "The last OWNER cannot be removed");
      }
      await tx.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
      return member.role;
    });
    await recordAudit(db, {
      orgId,
      actorUserId: auth.user.id,
      action: "member.remove",
      targetType: "user",
      targetId: userId,
      metadata: { role: removedRole },
      ip: clientIp(c),
    });
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(listInvitesRoute, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    const rows = await c.var.services
      .db()
      .select()
      .from(invites)
      .where(eq(invites.orgId, org.id))
      .orderBy(desc(invites.createdAt))
      .limit(200);
    return c.json({ invites: rows.map(inviteDto) }, 200);
  });

  app.openapi(createInviteRoute, async (c) => {
    const { org, auth } = await requireOrgRole(c, c.req.valid("param").orgId, "OWNER");
    const { email, role } = c.req.valid("json");
    const mailer = createMailer(c.env, c.var.services.logger);
    const db = c.var.services.db();
    const [existing] = await db
      .select({ userId: memberships.userId })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.orgId, org.id), eq(users.email, email)));
    if (existing) throw new ApiError("already_member", `${email} is already a member`);
    const token = randomHex(32);
    const [invite] = await db
      .insert(invites)
      .values({
        orgId: org.id,
        email,
        role,
        tokenHash: await sha256Hex(token),
        invitedBy: auth.user.id,
        expiresAt: new Date(Date.now() + INVITE_TTL_MS),
      })
      .returning();
    const link = `${dashboardUrl(c)}/invite/${token}`;
    await mailer.send({
      to: email,
      subject: `${auth.user.displayName} invited you to ${org.name} on Telemetry Tracker`,
      text: `You have been invited to join ${org.name} as ${role}. The link is valid for 7 days:\n\n${link}`,
      link,
    });
    await recordAudit(db, {
      orgId: org.id,
      actorUserId: auth.user.id,
      action: "invite.create",
      targetType: "invite",
      targetId: invite.id,
      metadata: { email, role },
      ip: clientIp(c),
    });
    const devAcceptUrl = devLinkFor(c.env, link);
    return c.json({ ...inviteDto(invite), ...(devAcceptUrl ? { devAcceptUrl } : {}) }, 201);
  });

  app.openapi(revokeInviteRoute, async (c) => {
    const { orgId, inviteId } = c.req.valid("param");
    const { auth } = await requireOrgRole(c, orgId, "OWNER");
    const db = c.var.services.db();
    const [revoked] = await db
      .update(invites)
      .set({ revokedAt: new Date() })
      .where(
        and(eq(invites.id, inviteId), eq(invites.orgId, orgId), isNull(invites.revokedAt), isNull(invites.acceptedAt)),
      )
      .returning({ id: invites.id });
    if (!revoked) throw new ApiError("not_found", "No pending invitation with this id");
    await recordAudit(db, {
      orgId,
      actorUserId: auth.user.id,
      action: "invite.revoke",
      targetType: "invite",
      targetId: inviteId,
      ip: clientIp(c),
    });
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(previewRoute, async (c) => {
    const { invite, orgName } = await pendingInvite(c.var.services.db(), c.req.valid("param").token);
    return c.json({ orgName, email: invite.email, role: invite.role, expiresAt: invite.expiresAt.toISOString() }, 200);
  });

  app.openapi(acceptRoute, async (c) => {
    const auth = await requireAuth(c);
    const db = c.var.services.db();
    const { invite } = await pendingInvite(db, c.req.valid("param").token);
    if (invite.email !== auth.user.email) {
      throw new ApiError("invite_email_mismatch", "This invitation was sent to another email address");
    }
    await db.transaction(async (tx) => {
      const [claimed] = await tx
        .update(invites)
        .set({ acceptedAt: new Date() })
        .where(and(eq(invites.id, invite.id), isNull(invites.acceptedAt), isNull(invites.revokedAt)))
        .returning({ id: invites.id });
      if (!claimed) throw new ApiError("not_found", "This invitation was already used");
      const inserted = await tx
        .insert(memberships)
        .values({ orgId: invite.orgId, userId: auth.user.id, role: invite.role })
        .onConflictDoNothing()
        .returning({ userId: memberships.userId });
      if (inserted.length === 0) throw new ApiError("already_member", "You are already a member");
    });
    await recordAudit(db, {
      orgId: invite.orgId,
      actorUserId: auth.user.id,
      action: "member.join",
      targetType: "user",
      targetId: auth.user.id,
      metadata: { role: invite.role, via: "invite" },
      ip: clientIp(c),
    });
    return c.json({ orgId: invite.orgId, role: invite.role }, 200);
  });
}
