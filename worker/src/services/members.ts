import {
  type Database,
  invites,
  memberships,
  type Organization,
  organizations,
  type Role,
  randomHex,
  sha256Hex,
  users,
} from "@telemetry-tracker/db";
import { and, asc, count, desc, eq, gt, isNull } from "drizzle-orm";
import type { AuthContext } from "../auth/session.ts";
import type { Mailer } from "../lib/mailer.ts";
import { recordAudit } from "./audit.ts";
import { type Actor, ok, type Result, RollBack, refusalOf, refuse } from "./result.ts";

export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

export type Invite = typeof invites.$inferSelect;

export async function listMembers(db: Database, orgId: string) {
  return db
    .select({
      userId: users.id,
      email: users.email,
      displayName: users.displayName,
      role: memberships.role,
      joinedAt: memberships.createdAt,
    })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.orgId, orgId))
    .orderBy(asc(users.email));
}

/** Locks the org row so two owners demoting or removing each other at once cannot both succeed. */
async function lockedMember(tx: Pick<Database, "select">, orgId: string, userId: string) {
  await tx.select({ id: organizations.id }).from(organizations).where(eq(organizations.id, orgId)).for("update");
  const [member] = await tx
    .select()
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
  if (!member) throw new RollBack(refuse("not_found", "No such member"));
  return member;
}

async function ownerCount(tx: Pick<Database, "select">, orgId: string): Promise<number> {
  const [{ owners }] = await tx
    .select({ owners: count() })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), eq(memberships.role, "OWNER")));
  return owners;
}

/** Changes a member's role; the last OWNER cannot be demoted. */
export async function changeRole(db: Database, orgId: string, userId: string, role: Role, actor: Actor) {
  const changed = await refusalOf(() =>
    db.transaction(async (tx) => {
      const member = await lockedMember(tx, orgId, userId);
      if (member.role === "OWNER" && role !== "OWNER" && (await ownerCount(tx, orgId)) <= 1) {
        throw new RollBack(refuse("last_owner", "An organization needs at least one OWNER"));
      }
      const [updated] = await tx
        .update(memberships)
        .set({ role, updatedAt: new Date() })
        .where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)))
        .returning();
      return { from: member.role, updated };
    }),
  );
  if (!changed.ok) return changed;
  const [user] = await db.select().from(users).where(eq(users.id, userId));
  await recordAudit(db, {
    orgId,
    actorUserId: actor.userId,
    action: "member.role_change",
    targetType: "user",
    targetId: userId,
    metadata: { from: changed.value.from, to: role },
    ip: actor.ip,
  });
  return ok({
    userId,
    email: user.email,
    displayName: user.displayName,
    role: changed.value.updated.role,
    joinedAt: changed.value.updated.createdAt,
  });
}

/** Removes a member; the last OWNER cannot be removed. */
export async function removeMember(db: Database, orgId: string, userId: string, actor: Actor): Promise<Result<void>> {
  const removed = await refusalOf(() =>
    db.transaction(async (tx) => {
      const member = await lockedMember(tx, orgId, userId);
      if (member.role === "OWNER" && (await ownerCount(tx, orgId)) <= 1) {
        throw new RollBack(refuse("last_owner", "The last OWNER cannot be removed"));
      }
      await tx.delete(memberships).where(and(eq(memberships.orgId, orgId), eq(memberships.userId, userId)));
      return member.role;
    }),
  );
  if (!removed.ok) return removed;
  await recordAudit(db, {
    orgId,
    actorUserId: actor.userId,
    action: "member.remove",
    targetType: "user",
    targetId: userId,
    metadata: { role: removed.value },
    ip: actor.ip,
  });
  return ok(undefined);
}

export async function listInvites(db: Database, orgId: string): Promise<Invite[]> {
  return db.select().from(invites).where(eq(invites.orgId, orgId)).orderBy(desc(invites.createdAt)).limit(200);
}

/** Creates an invitation and mails its 7-day link; answers the invite and the link. */
export async function inviteMember(
  db: Database,
  mailer: Mailer,
  org: Organization,
  inviter: AuthContext["user"],
  input: { email: string; role: Role; dashboardUrl: string },
  ip: string | null,
): Promise<Result<{ invite: Invite; link: string }>> {
  const { email, role } = input;
  const [existing] = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, org.id), eq(users.email, email)));
  if (existing) return refuse("already_member", `${email} is already a member`);
  const token = randomHex(32);
  const [invite] = await db
    .insert(invites)
    .values({
      orgId: org.id,
      email,
      role,
      tokenHash: await sha256Hex(token),
      invitedBy: inviter.id,
      expiresAt: new Date(Date.now() + INVITE_TTL_MS),
    })
    .returning();
  const link = `${input.dashboardUrl}/invite/${token}`;
  await mailer.send({
    to: email,
    subject: `${inviter.displayName} invited you to ${org.name} on Telemetry Tracker`,
    text: `You have been invited to join ${org.name} as ${role}. The link is valid for 7 days:\n\n${link}`,
    link,
  });
  await recordAudit(db, {
    orgId: org.id,
    actorUserId: inviter.id,
    action: "invite.create",
    targetType: "invite",
    targetId: invite.id,
    metadata: { email, role },
    ip,
  });
  return ok({ invite, link });
}

export async function revokeInvite(db: Database, orgId: string, inviteId: string, actor: Actor): Promise<Result<void>> {
  const [revoked] = await db
    .update(invites)
    .set({ revokedAt: new Date() })
    .where(
      and(eq(invites.id, inviteId), eq(invites.orgId, orgId), isNull(invites.revokedAt), isNull(invites.acceptedAt)),
    )
    .returning({ id: invites.id });
  if (!revoked) return refuse("not_found", "No pending invitation with this id");
  await recordAudit(db, {
    orgId,
    actorUserId: actor.userId,
    action: "invite.revoke",
    targetType: "invite",
    targetId: inviteId,
    ip: actor.ip,
  });
  return ok(undefined);
}

/** A usable invitation by its token, with its organization's name. */
export async function pendingInvite(db: Database, token: string): Promise<Result<{ invite: Invite; orgName: string }>> {
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
  return row ? ok(row) : refuse("not_found", "This invitation does not exist, has expired or was already used");
}

/** The signed-in user joins the organization the invitation is for (it must be addressed to them). */
export async function acceptInvite(
  db: Database,
  token: string,
  user: AuthContext["user"],
  ip: string | null,
): Promise<Result<Invite>> {
  const pending = await pendingInvite(db, token);
  if (!pending.ok) return pending;
  const { invite } = pending.value;
  if (invite.email !== user.email) {
    return refuse("invite_email_mismatch", "This invitation was sent to another email address");
  }
  const joined = await refusalOf(() =>
    db.transaction(async (tx) => {
      const [claimed] = await tx
        .update(invites)
        .set({ acceptedAt: new Date() })
        .where(and(eq(invites.id, invite.id), isNull(invites.acceptedAt), isNull(invites.revokedAt)))
        .returning({ id: invites.id });
      if (!claimed) throw new RollBack(refuse("not_found", "This invitation was already used"));
      const inserted = await tx
        .insert(memberships)
        .values({ orgId: invite.orgId, userId: user.id, role: invite.role })
        .onConflictDoNothing()
        .returning({ userId: memberships.userId });
      if (inserted.length === 0) throw new RollBack(refuse("already_member", "You are already a member"));
    }),
  );
  if (!joined.ok) return joined;
  await recordAudit(db, {
    orgId: invite.orgId,
    actorUserId: user.id,
    action: "member.join",
    targetType: "user",
    targetId: user.id,
    metadata: { role: invite.role, via: "invite" },
    ip,
  });
  return ok(invite);
}
