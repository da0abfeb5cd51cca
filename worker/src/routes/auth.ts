import { createRoute, z } from "@hono/zod-openapi";
import {
  type Database,
  invites,
  memberships,
  organizations,
  passwordResetTokens,
  randomHex,
  sha256Hex,
  userSessions,
  users,
} from "@telemetry-tracker/db";
import { and, asc, eq, gt, isNull, ne, sql } from "drizzle-orm";
import type { Context } from "hono";
import { allowedOrigins } from "../auth/csrf.ts";
import { checkUserPassword, hashUserPassword } from "../auth/passwords.ts";
import { clearSessionCookie, clientIp, requireAuth, startSession } from "../auth/session.ts";
import {
  assertLoginAllowed,
  clearAccountFailures,
  consumeAllowance,
  RESET_MAIL_LIMIT,
  recordLoginFailure,
} from "../auth/throttle.ts";
import type { App, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok } from "../lib/api.ts";
import { createMailer, devLinkFor } from "../lib/mailer.ts";
import { recordAudit } from "../services/audit.ts";

export const RESET_TOKEN_TTL_MS = 60 * 60 * 1000;

const Email = z
  .email()
  .max(254)
  .transform((value) => value.trim().toLowerCase());
const Password = z.string().min(8).max(256);

export const UserSchema = z
  .object({ id: z.uuid(), email: z.string(), displayName: z.string(), createdAt: z.string() })
  .openapi("User");
const MembershipSchema = z.object({
  orgId: z.uuid(),
  orgName: z.string(),
  role: z.enum(["OWNER", "EDITOR", "VIEWER"]),
});
const MeSchema = z.object({ user: UserSchema, memberships: z.array(MembershipSchema) }).openapi("Me");
const SessionSchema = z
  .object({
    id: z.uuid(),
    current: z.boolean(),
    userAgent: z.string().nullable(),
    ip: z.string().nullable(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    expiresAt: z.string(),
  })
  .openapi("UserSession");

const userDto = (u: { id: string; email: string; displayName: string; createdAt: Date }) => ({
  id: u.id,
  email: u.email,
  displayName: u.displayName,
  createdAt: u.createdAt.toISOString(),
});

/** The first allowed dashboard origin: where links in mails point. */
export function dashboardUrl(c: Context<AppEnv>): string {
  return allowedOrigins(c.env.DASHBOARD_ORIGINS)[0] ?? new URL(c.req.url).origin;
}

function isUniqueViolation(error: unknown): boolean {
  let current = error as { code?: string; cause?: unknown } | undefined;
  while (current) {
    if (current.code === "23505") return true;
    current = current.cause as typeof current;
  }
  return false;
}

async function loadMemberships(db: Database, userId: string) {
  return db
    .select({ orgId: organizations.id, orgName: organizations.name, role: memberships.role })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.orgId))
    .where(and(eq(memberships.userId, userId), isNull(organizations.deletedAt)))
    .orderBy(asc(organizations.name));
}

const tags = ["Auth"];

const registerRoute = createRoute({
  method: "post",
  path: "/api/auth/register",
  tags,
  summary: "Create an account (open while no user exists, with ALLOW_REGISTRATION=true, or with an invite)",
  request: {
    body: jsonBody(
      z.object({
        email: Email,
        password: Password,
        displayName: z.string().trim().min(1).max(100),
        inviteToken: z.string().min(1).max(200).optional(),
      }),
    ),
  },
  responses: { 201: jsonContent(MeSchema, "Registered and signed in (Set-Cookie)"), ...commonErrors },
});

const loginRoute = createRoute({
  method: "post",
  path: "/api/auth/login",
  tags,
  summary: "Sign in; sets the session cookie. Throttled per account and per IP",
  request: { body: jsonBody(z.object({ email: Email, password: z.string().min(1).max(256) })) },
  responses: { 200: jsonContent(MeSchema, "Signed in (Set-Cookie)"), ...commonErrors },
});

const logoutRoute = createRoute({
  method: "post",
  path: "/api/auth/logout",
  tags,
  security: cookieAuth,
  summary: "End this session (server-side) and clear the cookie",
  responses: { 200: jsonContent(Ok), ...commonErrors },
});

const meRoute = createRoute({
  method: "get",
  path: "/api/auth/me",
  tags,
  security: cookieAuth,
  summary: "The signed-in user and their organizations",
  responses: { 200: jsonContent(MeSchema), ...commonErrors },
});

const updateMeRoute = createRoute({
  method: "patch",
  path: "/api/auth/me",
  tags,
  security: cookieAuth,
  summary: "Change the display name",
  request: { body: jsonBody(z.object({ displayName: z.string().trim().min(1).max(100) })) },
  responses: { 200: jsonContent(MeSchema), ...commonErrors },
});

const sessionsRoute = createRoute({
  method: "get",
  path: "/api/auth/sessions",
  tags,
  security: cookieAuth,
  summary: "My active sessions",
  responses: { 200: jsonContent(z.object({ sessions: z.array(SessionSchema) })), ...commonErrors },
});

const revokeOthersRoute = createRoute({
  method: "delete",
  path: "/api/auth/sessions/others",
  tags,
  security: cookieAuth,
  summary: "End every session but this one",
  responses: { 200: jsonContent(z.object({ revoked: z.number().int() })), ...commonErrors },
});

const revokeSessionRoute = createRoute({
  method: "delete",
  path: "/api/auth/sessions/{sessionId}",
  tags,
  security: cookieAuth,
  summary: "End one of my sessions",
  request: { params: z.object({ sessionId: z.uuid() }) },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});

const changePasswordRoute = createRoute({
  method: "post",
  path: "/api/auth/change-password",
  tags,
  security: cookieAuth,
  summary: "Change my password; every other session is ended",
  request: { body: jsonBody(z.object({ currentPassword: z.string().min(1).max(256), newPassword: Password })) },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});

const forgotRoute = createRoute({
  method: "post",
  path: "/api/auth/forgot-password",
  tags,
  summary:
    "Mail a one-hour, single-use reset link (in production the answer is the same whether or not the account exists)",
  request: { body: jsonBody(z.object({ email: Email })) },
  responses: {
    202: jsonContent(
      Ok.extend({
        devResetUrl: z.string().optional().openapi({
          description:
            "The reset link the mail carries, when the account exists; only when APP_ENV is not production (development reveals which addresses have accounts)",
        }),
      }),
      "Accepted",
    ),
    ...commonErrors,
  },
});

const resetRoute = createRoute({
  method: "post",
  path: "/api/auth/reset-password",
  tags,
  summary: "Set a new password with a reset token; ends every session of the account",
  request: { body: jsonBody(z.object({ token: z.string().min(1).max(200), password: Password })) },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});

export function registerAuth(app: App): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "sessionCookie", {
    type: "apiKey",
    in: "cookie",
    name: "tt_session",
    description: "Session cookie set by /api/auth/login and /register (named __Host-tt_session in production)",
  });
  app.openapi(registerRoute, async (c) => {
    const body = c.req.valid("json");
    const db = c.var.services.db();
    let invite: typeof invites.$inferSelect | undefined;
    if (body.inviteToken) {
      [invite] = await db
        .select()
        .from(invites)
        .where(
          and(
            eq(invites.tokenHash, await sha256Hex(body.inviteToken)),
            isNull(invites.acceptedAt),
            isNull(invites.revokedAt),
            gt(invites.expiresAt, new Date()),
          ),
        );
      if (!invite) throw new ApiError("invalid_token", "The invitation is not valid (expired, used or revoked)");
      if (invite.email !== body.email) {
        throw new ApiError("invite_email_mismatch", "Register with the email address the invitation was sent to");
      }
    } else if (c.env.ALLOW_REGISTRATION !== "true") {
      const [anyUser] = await db.select({ id: users.id }).from(users).limit(1);
      if (anyUser) throw new ApiError("registration_closed", "Registration is by invitation only");
    }

    const passwordHash = await hashUserPassword(c.env, body.password);
    let user: typeof users.$inferSelect;
    try {
      user = await db.transaction(async (tx) => {
        const [created] = await tx
          .insert(users)
          .values({ email: body.email, passwordHash, displayName: body.displayName })
          .returning();
        if (invite) {
          const [claimed] = await tx
            .update(invites)
            .set({ acceptedAt: new Date() })
            .where(and(eq(invites.id, invite.id), isNull(invites.acceptedAt)))
            .returning({ id: invites.id });
          if (!claimed) throw new ApiError("invalid_token", "The invitation has already been used");
          await tx.insert(memberships).values({ orgId: invite.orgId, userId: created.id, role: invite.role });
        }
        return created;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ApiError("email_taken", "An account with this email already exists");
      throw error;
    }
    if (invite) {
      await recordAudit(db, {
        orgId: invite.orgId,
        actorUserId: user.id,
        action: "member.join",
        targetType: "user",
        targetId: user.id,
        metadata: { role: invite.role, via: "register" },
        ip: clientIp(c),
      });
    }
    await startSession(c, user.id);
    return c.json({ user: userDto(user), memberships: await loadMemberships(db, user.id) }, 201);
  });

  app.openapi(loginRoute, async (c) => {
    const { email, password } = c.req.valid("json");
    const db = c.var.services.db();
    const keys = { account: email, ip: clientIp(c) };
    await assertLoginAllowed(db, keys);
    const [user] = await db.select().from(users).where(eq(users.email, email));
    const check = await checkUserPassword(c.env, password, user?.passwordHash ?? null);
    if (!user || !check.valid) {
      await recordLoginFailure(db, keys);
      throw new ApiError("invalid_credentials", "Email or password is wrong");
    }
    await clearAccountFailures(db, email);
    if (check.needsRehash) {
      await db
        .update(users)
        .set({ passwordHash: await hashUserPassword(c.env, password) })
        .where(eq(users.id, user.id));
    }
    await startSession(c, user.id);
    const orgs = await loadMemberships(db, user.id);
    await recordAudit(
      db,
      orgs.map((m) => ({ orgId: m.orgId, actorUserId: user.id, action: "auth.login", ip: clientIp(c) })),
    );
    return c.json({ user: userDto(user), memberships: orgs }, 200);
  });

  app.openapi(logoutRoute, async (c) => {
    const auth = await requireAuth(c);
    await c.var.services
      .db()
      .update(userSessions)
      .set({ revokedAt: new Date() })
      .where(eq(userSessions.id, auth.sessionId));
    clearSessionCookie(c);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(meRoute, async (c) => {
    const auth = await requireAuth(c);
    return c.json(
      { user: userDto(auth.user), memberships: await loadMemberships(c.var.services.db(), auth.user.id) },
      200,
    );
  });

  app.openapi(updateMeRoute, async (c) => {
    const auth = await requireAuth(c);
    const db = c.var.services.db();
    const [user] = await db
      .update(users)
      .set({ displayName: c.req.valid("json").displayName, updatedAt: new Date() })
      .where(eq(users.id, auth.user.id))
      .returning();
    return c.json({ user: userDto(user), memberships: await loadMemberships(db, user.id) }, 200);
  });

  app.openapi(sessionsRoute, async (c) => {
    const auth = await requireAuth(c);
    const rows = await c.var.services
      .db()
      .select()
      .from(userSessions)
      .where(
        and(
          eq(userSessions.userId, auth.user.id),
          isNull(userSessions.revokedAt),
          gt(userSessions.expiresAt, new Date()),
        ),
      )
      .orderBy(sql`${userSessions.lastSeenAt} desc`)
      .limit(100);
    return c.json(
      {
        sessions: rows.map((s) => ({
          id: s.id,
          current: s.id === auth.sessionId,
          userAgent: s.userAgent,
          ip: s.ip,
          createdAt: s.createdAt.toISOString(),
          lastSeenAt: s.lastSeenAt.toISOString(),
          expiresAt: s.expiresAt.toISOString(),
        })),
      },
      200,
    );
  });

  app.openapi(revokeOthersRoute, async (c) => {
    const auth = await requireAuth(c);
    const revoked = await c.var.services
      .db()
      .update(userSessions)
      .set({ revokedAt: new Date() })
      .where(
        and(eq(userSessions.userId, auth.user.id), ne(userSessions.id, auth.sessionId), isNull(userSessions.revokedAt)),
      )
      .returning({ id: userSessions.id });
    return c.json({ revoked: revoked.length }, 200);
  });

  app.openapi(revokeSessionRoute, async (c) => {
    const auth = await requireAuth(c);
    const { sessionId } = c.req.valid("param");
    const [revoked] = await c.var.services
      .db()
      .update(userSessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(userSessions.id, sessionId), eq(userSessions.userId, auth.user.id), isNull(userSessions.revokedAt)))
      .returning({ id: userSessions.id });
    if (!revoked) throw new ApiError("not_found", "Session not found");
    if (sessionId === auth.sessionId) clearSessionCookie(c);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(changePasswordRoute, async (c) => {
    const auth = await requireAuth(c);
    const { currentPassword, newPassword } = c.req.valid("json");
    const db = c.var.services.db();
    const keys = { account: auth.user.email, ip: clientIp(c) };
    await assertLoginAllowed(db, keys);
    const check = await checkUserPassword(c.env, currentPassword, auth.user.passwordHash);
    if (!check.valid) {
      await recordLoginFailure(db, keys);
      throw new ApiError("wrong_password", "The current password is wrong");
    }
    const now = new Date();
    await db
      .update(users)
      .set({ passwordHash: await hashUserPassword(c.env, newPassword), passwordChangedAt: now, updatedAt: now })
      .where(eq(users.id, auth.user.id));
    await db
      .update(userSessions)
      .set({ revokedAt: now })
      .where(
        and(eq(userSessions.userId, auth.user.id), ne(userSessions.id, auth.sessionId), isNull(userSessions.revokedAt)),
      );
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(forgotRoute, async (c) => {
    const { email } = c.req.valid("json");
    // Before the lookup: a missing mailer answers 503 whether or not the account exists.
    const mailer = createMailer(c.env, c.var.services.logger);
    const db = c.var.services.db();
    // Counted for unknown addresses too, so the 429 reveals nothing about who has an account.
    await consumeAllowance(db, `reset:${email}`, RESET_MAIL_LIMIT);
    const [user] = await db.select({ id: users.id }).from(users).where(eq(users.email, email));
    let devResetUrl: string | undefined;
    if (user) {
      const token = randomHex(32);
      await db.insert(passwordResetTokens).values({
        userId: user.id,
        tokenHash: await sha256Hex(token),
        expiresAt: new Date(Date.now() + RESET_TOKEN_TTL_MS),
      });
      const link = `${dashboardUrl(c)}/reset-password?token=${token}`;
      await mailer.send({
        to: email,
        subject: "Reset your Telemetry Tracker password",
        text: `Someone asked to reset the password of this account. The link works once, for one hour:\n\n${link}\n\nIf it was not you, ignore this mail.`,
        link,
      });
      devResetUrl = devLinkFor(c.env, link);
    }
    return c.json({ ok: true as const, ...(devResetUrl ? { devResetUrl } : {}) }, 202);
  });

  app.openapi(resetRoute, async (c) => {
    const { token, password } = c.req.valid("json");
    const db = c.var.services.db();
    const now = new Date();
    // Checked and spent in one statement: two concurrent uses cannot both succeed.
    const [spent] = await db
      .update(passwordResetTokens)
      .set({ usedAt: now })
      .where(
        and(
          eq(passwordResetTokens.tokenHash, await sha256Hex(token)),
          isNull(passwordResetTokens.usedAt),
          gt(passwordResetTokens.expiresAt, now),
        ),
      )
      .returning({ userId: passwordResetTokens.userId });
    if (!spent) throw new ApiError("invalid_token", "The reset link is invalid, used or expired");
    await db
      .update(users)
      .set({ passwordHash: await hashUserPassword(c.env, password), passwordChangedAt: now, updatedAt: now })
      .where(eq(users.id, spent.userId));
    await db
      .update(userSessions)
      .set({ revokedAt: now })
      .where(and(eq(userSessions.userId, spent.userId), isNull(userSessions.revokedAt)));
    await clearAccountFailures(
      db,
      (await db.select({ email: users.email }).from(users).where(eq(users.id, spent.userId)))[0].email,
    );
    return c.json({ ok: true as const }, 200);
  });
}
