import { userSessions, users } from "@telemetry-tracker/db";
import { and, eq, gt, isNull } from "drizzle-orm";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { jwtVerify, SignJWT } from "jose";
import type { AppEnv, AuthContext } from "../context.ts";
import type { Bindings } from "../env.ts";
import { ApiError } from "../errors.ts";

/** 30 days, renewed (sliding) on use once the cookie is a day old. */
export const SESSION_TTL_MS = 30 * 24 * 60 * 60 * 1000;
export const SESSION_RENEW_AFTER_MS = 24 * 60 * 60 * 1000;
const ISSUER = "telemetry-tracker";

/** `__Host-` in production: the browser then insists on Secure, Path=/ and no Domain. */
export function sessionCookieName(env: Pick<Bindings, "APP_ENV">): string {
  return env.APP_ENV === "production" ? "__Host-tt_session" : "tt_session";
}

function signingKey(env: Bindings): Uint8Array {
  const secret = env.SESSION_SECRET;
  if (!secret || secret.length < 32) {
    throw new ApiError("misconfigured", "SESSION_SECRET is not set (at least 32 characters)");
  }
  return new TextEncoder().encode(secret);
}

export interface SessionClaims {
  sessionId: string;
  userId: string;
  issuedAt: number;
}

export async function signSessionToken(env: Bindings, claims: { sessionId: string; userId: string }, expiresAt: Date) {
  return new SignJWT({ sid: claims.sessionId })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
    .sign(signingKey(env));
}

/** Checks signature and expiry only: a forged or expired token is refused here, before any I/O. */
export async function verifySessionToken(env: Bindings, token: string): Promise<SessionClaims | null> {
  try {
    const { payload } = await jwtVerify(token, signingKey(env), { issuer: ISSUER, algorithms: ["HS256"] });
    if (typeof payload.sid !== "string" || typeof payload.sub !== "string" || typeof payload.iat !== "number") {
      return null;
    }
    return { sessionId: payload.sid, userId: payload.sub, issuedAt: payload.iat * 1000 };
  } catch {
    return null;
  }
}

export function setSessionCookie(c: Context<AppEnv>, token: string, expiresAt: Date): void {
  setCookie(c, sessionCookieName(c.env), token, {
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    expires: expiresAt,
  });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, sessionCookieName(c.env), { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
}

export function clientIp(c: Context<AppEnv>): string | null {
  return c.req.header("cf-connecting-ip") ?? null;
}

/** Creates the server-side session row and sets the cookie naming it. */
export async function startSession(c: Context<AppEnv>, userId: string): Promise<{ sessionId: string }> {
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  const [row] = await c.var.services
    .db()
    .insert(userSessions)
    .values({ userId, expiresAt, userAgent: c.req.header("user-agent")?.slice(0, 500), ip: clientIp(c) })
    .returning({ id: userSessions.id });
  setSessionCookie(c, await signSessionToken(c.env, { sessionId: row.id, userId }, expiresAt), expiresAt);
  return { sessionId: row.id };
}

// Declared beside the request variables that hold it (context.ts), so the two modules do not import each other.
export type { AuthContext } from "../context.ts";

/**
 * The signed-in user, or a 401. Order matters: the token's signature and expiry are checked before
 * the database is asked whether the session row is still live (logout, password change).
 */
export async function requireAuth(c: Context<AppEnv>): Promise<AuthContext> {
  const cached = c.get("auth");
  if (cached) return cached;
  const token = getCookie(c, sessionCookieName(c.env));
  if (!token) throw new ApiError("unauthorized", "Sign in first");
  const claims = await verifySessionToken(c.env, token);
  if (!claims) throw new ApiError("unauthorized", "The session is invalid or has expired");

  const db = c.var.services.db();
  const now = new Date();
  const [row] = await db
    .select({
      id: users.id,
      email: users.email,
      displayName: users.displayName,
      passwordHash: users.passwordHash,
      createdAt: users.createdAt,
    })
    .from(userSessions)
    .innerJoin(users, eq(users.id, userSessions.userId))
    .where(
      and(
        eq(userSessions.id, claims.sessionId),
        eq(userSessions.userId, claims.userId),
        isNull(userSessions.revokedAt),
        gt(userSessions.expiresAt, now),
      ),
    );
  if (!row) throw new ApiError("unauthorized", "The session has ended; sign in again");

  if (now.getTime() - claims.issuedAt >= SESSION_RENEW_AFTER_MS) {
    const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
    await db.update(userSessions).set({ expiresAt, lastSeenAt: now }).where(eq(userSessions.id, claims.sessionId));
    setSessionCookie(c, await signSessionToken(c.env, claims, expiresAt), expiresAt);
  }
  const auth = { user: row, sessionId: claims.sessionId };
  c.set("auth", auth);
  return auth;
}
