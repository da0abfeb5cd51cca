import {
  type Database,
  invites,
  memberships,
  organizations,
  passwordResetTokens,
  randomHex,
  sha256Hex,
  type User,
  userSessions,
  users,
} from "@telemetry-tracker/db";
import { and, asc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import { checkUserPassword, hashUserPassword } from "../auth/passwords.ts";
import type { AuthContext } from "../auth/session.ts";
import {
  clearAccountFailures,
  consumeAllowance,
  loginRetryAfter,
  RESET_MAIL_LIMIT,
  recordLoginFailure,
} from "../auth/throttle.ts";
import type { Bindings } from "../env.ts";
import type { Mailer } from "../lib/mailer.ts";
import { recordAudit } from "./audit.ts";
import { isUniqueViolation, ok, type Result, RollBack, refusalOf, refuse, throttled } from "./result.ts";

export const RESET_TOKEN_TTL_MS = 60 * 60 * 1000;

/** The organizations a user belongs to (archived ones left out), by name. */
export async function membershipsOf(db: Database, userId: string) {
  return db
    .select({ orgId: organizations.id, orgName: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(and(eq(memberships.userId, userId), isNull(organizations.deletedAt)))
    .orderBy(asc(organizations.name));
}

export interface Registration {
  email: string;
  password: string;
  displayName: string;
  inviteToken?: string;
}

/**
 * Creates an account: with a valid invitation (joining its organization), while no user exists, or
 * when ALLOW_REGISTRATION=true.
 */
export async function registerAccount(
  db: Database,
  env: Bindings,
  input: Registration,
  ip: string | null,
): Promise<Result<User>> {
  let invite: typeof invites.$inferSelect | undefined;
  if (input.inviteToken) {
    [invite] = await db
      .select()
      .from(invites)
      .where(
        and(
          eq(invites.tokenHash, await sha256Hex(input.inviteToken)),
          isNull(invites.acceptedAt),
          isNull(invites.revokedAt),
          gt(invites.expiresAt, new Date()),
        ),
      );
    if (!invite) return refuse("invalid_token", "The invitation is not valid (expired, used or revoked)");
    if (invite.email !== input.email) {
      return refuse("invite_email_mismatch", "Register with the email address the invitation was sent to");
    }
  } else if (env.ALLOW_REGISTRATION !== "true") {
    const [anyUser] = await db.select({ id: users.id }).from(users).limit(1);
    if (anyUser) return refuse("registration_closed", "Registration is by invitation only");
  }

  const passwordHash = await hashUserPassword(env, input.password);
  let created: Result<User>;
  try {
    created = await refusalOf(() =>
      db.transaction(async (tx) => {
        const [user] = await tx
          .insert(users)
          .values({ email: input.email, passwordHash, displayName: input.displayName })
          .returning();
        if (invite) {
          const [claimed] = await tx
            .update(invites)
            .set({ acceptedAt: new Date() })
            .where(and(eq(invites.id, invite.id), isNull(invites.acceptedAt)))
            .returning({ id: invites.id });
          if (!claimed) throw new RollBack(refuse("invalid_token", "The invitation has already been used"));
          await tx.insert(memberships).values({ orgId: invite.orgId, userId: user.id, role: invite.role });
        }
        return user;
      }),
    );
  } catch (error) {
    if (isUniqueViolation(error)) return refuse("email_taken", "An account with this email already exists");
    throw error;
  }
  if (created.ok && invite) {
    await recordAudit(db, {
      orgId: invite.orgId,
      actorUserId: created.value.id,
      action: "member.join",
      targetType: "user",
      targetId: created.value.id,
      metadata: { role: invite.role, via: "register" },
      ip,
    });
  }
  return created;
}

/**
 * Checks email and password under the per-account and per-IP throttle, upgrades an old hash, and
 * records the sign-in in each organization's audit log. The session itself is the caller's.
 */
export async function signIn(
  db: Database,
  env: Bindings,
  input: { email: string; password: string },
  ip: string | null,
): Promise<Result<User>> {
  const keys = { account: input.email, ip };
  const wait = await loginRetryAfter(db, keys);
  if (wait > 0) return throttled("Too many failed sign-in attempts; try again later", wait);
  const [user] = await db.select().from(users).where(eq(users.email, input.email));
  const check = await checkUserPassword(env, input.password, user?.passwordHash ?? null);
  if (!user || !check.valid) {
    await recordLoginFailure(db, keys);
    return refuse("invalid_credentials", "Email or password is wrong");
  }
  await clearAccountFailures(db, input.email);
  if (check.needsRehash) {
    await db
      .update(users)
      .set({ passwordHash: await hashUserPassword(env, input.password) })
      .where(eq(users.id, user.id));
  }
  const orgs = await membershipsOf(db, user.id);
  await recordAudit(
    db,
    orgs.map((m) => ({ orgId: m.orgId, actorUserId: user.id, action: "auth.login", ip })),
  );
  return ok(user);
}

export async function endSession(db: Database, sessionId: string): Promise<void> {
  await db.update(userSessions).set({ revokedAt: new Date() }).where(eq(userSessions.id, sessionId));
}

export async function updateDisplayName(db: Database, userId: string, displayName: string): Promise<User> {
  const [user] = await db
    .update(users)
    .set({ displayName, updatedAt: new Date() })
    .where(eq(users.id, userId))
    .returning();
  return user;
}

/** The user's live sessions, most recently used first. */
export async function listSessions(db: Database, userId: string) {
  return db
    .select()
    .from(userSessions)
    .where(and(eq(userSessions.userId, userId), isNull(userSessions.revokedAt), gt(userSessions.expiresAt, new Date())))
    .orderBy(sql`${userSessions.lastSeenAt} desc`)
    .limit(100);
}

/** Ends every live session of the user but `keepSessionId`; answers how many ended. */
export async function endOtherSessions(db: Database, userId: string, keepSessionId: string): Promise<number> {
  const revoked = await db
    .update(userSessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(userSessions.userId, userId), ne(userSessions.id, keepSessionId), isNull(userSessions.revokedAt)))
    .returning({ id: userSessions.id });
  return revoked.length;
}

export async function endOwnSession(db: Database, userId: string, sessionId: string): Promise<Result<void>> {
  const [revoked] = await db
    .update(userSessions)
    .set({ revokedAt: new Date() })
    .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, userId), isNull(userSessions.revokedAt)))
    .returning({ id: userSessions.id });
  return revoked ? ok(undefined) : refuse("not_found", "Session not found");
}

/** Needs the current password (throttled like a sign-in); ends every other session. */
export async function changePassword(
  db: Database,
  env: Bindings,
  auth: AuthContext,
  input: { currentPassword: string; newPassword: string },
  ip: string | null,
): Promise<Result<void>> {
  const keys = { account: auth.user.email, ip };
  const wait = await loginRetryAfter(db, keys);
  if (wait > 0) return throttled("Too many failed sign-in attempts; try again later", wait);
  const check = await checkUserPassword(env, input.currentPassword, auth.user.passwordHash);
  if (!check.valid) {
    await recordLoginFailure(db, keys);
    return refuse("wrong_password", "The current password is wrong");
  }
  const now = new Date();
  await db
    .update(users)
    .set({ passwordHash: await hashUserPassword(env, input.newPassword), passwordChangedAt: now, updatedAt: now })
    .where(eq(users.id, auth.user.id));
  await endOtherSessions(db, auth.user.id, auth.sessionId);
  return ok(undefined);
}

/**
 * Mails a one-hour, single-use reset link when the account exists; answers the link (null for an
 * unknown address). Counted for unknown addresses too, so the throttle reveals nothing about who
 * has an account.
 */
export async function requestPasswordReset(
  db: Database,
  mailer: Mailer,
  input: { email: string; dashboardUrl: string },
): Promise<Result<string | null>> {
  const wait = await consumeAllowance(db, `reset:${input.email}`, RESET_MAIL_LIMIT);
  if (wait > 0) return throttled("Too many requests for this address; try again later", wait);
  const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, input.email));
  if (!user) return ok(null);
  const token = randomHex(32);
  await db.insert(passwordResetTokens).values({
    userId: user.id,
    tokenHash: await sha256Hex(token),
    expiresAt: new Date(Date.now() + RESET_TOKEN_TTL_MS),
  });
  const link = `${input.dashboardUrl}/reset-password?token=${token}`;
  await mailer.send({
    to: input.email,
    subject: "Reset your Telemetry Tracker password",
    text: `Someone asked to reset the password of this account. The link works once, for one hour:\n\n${link}\n\nIf it was not you, ignore this mail.`,
    link,
  });
  return ok(link);
}

/** Spends a reset token and sets the password; ends every session of the account. */
export async function resetPassword(
  db: Database,
  env: Bindings,
  input: { token: string; password: string },
): Promise<Result<void>> {
  const now = new Date();
  // Checked and spent in one statement: two concurrent uses cannot both succeed.
  const [spent] = await db
    .update(passwordResetTokens)
    .set({ usedAt: now })
    .where(
      and(
        eq(passwordResetTokens.tokenHash, await sha256Hex(input.token)),
        isNull(passwordResetTokens.usedAt),
        gt(passwordResetTokens.expiresAt, now),
      ),
    )
    .returning({ userId: passwordResetTokens.userId });
  if (!spent) return refuse("invalid_token", "The reset link is invalid, used or expired");
  const [user] = await db
    .update(users)
    .set({ passwordHash: await hashUserPassword(env, input.password), passwordChangedAt: now, updatedAt: now })
    .where(eq(users.id, spent.userId))
    .returning({ email: users.email });
  await db
    .update(userSessions)
    .set({ revokedAt: now })
    .where(and(eq(userSessions.userId, spent.userId), isNull(userSessions.revokedAt)));
  await clearAccountFailures(db, user.email);
  return ok(undefined);
}
