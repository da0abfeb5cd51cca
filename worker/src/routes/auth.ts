import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { allowedOrigins } from "../auth/csrf.ts";
import { clearSessionCookie, clientIp, requireAuth, startSession } from "../auth/session.ts";
import type { App, AppEnv } from "../context.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok, orRefuse, Text } from "../lib/api.ts";
import { createMailer, devLinkFor } from "../lib/mailer.ts";
import {
  changePassword,
  endOtherSessions,
  endOwnSession,
  endSession,
  listSessions,
  membershipsOf,
  registerAccount,
  requestPasswordReset,
  resetPassword,
  signIn,
  updateDisplayName,
} from "../services/accounts.ts";

const Email = z
  .email()
  .max(254)
  .transform((value) => value.trim().toLowerCase());
const Password = Text.min(8).max(256);

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
        displayName: Text.trim().min(1).max(100),
        inviteToken: Text.min(1).max(200).optional(),
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
  request: { body: jsonBody(z.object({ email: Email, password: Text.min(1).max(256) })) },
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
  request: { body: jsonBody(z.object({ displayName: Text.trim().min(1).max(100) })) },
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
  request: { body: jsonBody(z.object({ currentPassword: Text.min(1).max(256), newPassword: Password })) },
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
  request: { body: jsonBody(z.object({ token: Text.min(1).max(200), password: Password })) },
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
    const db = c.var.services.db();
    const user = orRefuse(await registerAccount(db, c.env, c.req.valid("json"), clientIp(c)));
    await startSession(c, user.id);
    return c.json({ user: userDto(user), memberships: await membershipsOf(db, user.id) }, 201);
  });

  app.openapi(loginRoute, async (c) => {
    const db = c.var.services.db();
    const user = orRefuse(await signIn(db, c.env, c.req.valid("json"), clientIp(c)));
    await startSession(c, user.id);
    return c.json({ user: userDto(user), memberships: await membershipsOf(db, user.id) }, 200);
  });

  app.openapi(logoutRoute, async (c) => {
    const auth = await requireAuth(c);
    await endSession(c.var.services.db(), auth.sessionId);
    clearSessionCookie(c);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(meRoute, async (c) => {
    const auth = await requireAuth(c);
    return c.json(
      { user: userDto(auth.user), memberships: await membershipsOf(c.var.services.db(), auth.user.id) },
      200,
    );
  });

  app.openapi(updateMeRoute, async (c) => {
    const auth = await requireAuth(c);
    const db = c.var.services.db();
    const user = await updateDisplayName(db, auth.user.id, c.req.valid("json").displayName);
    return c.json({ user: userDto(user), memberships: await membershipsOf(db, user.id) }, 200);
  });

  app.openapi(sessionsRoute, async (c) => {
    const auth = await requireAuth(c);
    const rows = await listSessions(c.var.services.db(), auth.user.id);
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
    return c.json({ revoked: await endOtherSessions(c.var.services.db(), auth.user.id, auth.sessionId) }, 200);
  });

  app.openapi(revokeSessionRoute, async (c) => {
    const auth = await requireAuth(c);
    const { sessionId } = c.req.valid("param");
    orRefuse(await endOwnSession(c.var.services.db(), auth.user.id, sessionId));
    if (sessionId === auth.sessionId) clearSessionCookie(c);
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(changePasswordRoute, async (c) => {
    const auth = await requireAuth(c);
    orRefuse(await changePassword(c.var.services.db(), c.env, auth, c.req.valid("json"), clientIp(c)));
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(forgotRoute, async (c) => {
    const { email } = c.req.valid("json");
    // Before the lookup: a missing mailer answers 503 whether or not the account exists.
    const mailer = createMailer(c.env, c.var.services.logger);
    const link = orRefuse(
      await requestPasswordReset(c.var.services.db(), mailer, { email, dashboardUrl: dashboardUrl(c) }),
    );
    const devResetUrl = link ? devLinkFor(c.env, link) : undefined;
    return c.json({ ok: true as const, ...(devResetUrl ? { devResetUrl } : {}) }, 202);
  });

  app.openapi(resetRoute, async (c) => {
    orRefuse(await resetPassword(c.var.services.db(), c.env, c.req.valid("json")));
    return c.json({ ok: true as const }, 200);
  });
}
