import { action, query, redirect } from "@solidjs/router";
import { mutate, read, settle, WorkerError, worker } from "../server/worker";

/** The signed-in person: sign in and out, registration, password, profile, devices, invites. */

export const getMe = query(async () => {
  "use server";
  return await read(worker().GET("/api/auth/me"));
}, "me");

/** Like getMe, but answers null instead of redirecting: for pages that work signed in or out. */
export const getMaybeMe = query(async () => {
  "use server";
  try {
    return await settle(worker().GET("/api/auth/me"));
  } catch {
    return null;
  }
}, "maybe-me");

export const login = action(async (form: FormData) => {
  "use server";
  const result = await mutate(
    worker().POST("/api/auth/login", {
      body: { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") },
    }),
  );
  if (!result.ok) return result;
  const next = String(form.get("next") ?? "");
  throw redirect(next.startsWith("/") && !next.startsWith("//") ? next : "/");
}, "login");

export const register = action(async (form: FormData) => {
  "use server";
  const inviteToken = String(form.get("inviteToken") ?? "") || undefined;
  const result = await mutate(
    worker().POST("/api/auth/register", {
      body: {
        email: String(form.get("email") ?? ""),
        password: String(form.get("password") ?? ""),
        displayName: String(form.get("displayName") ?? ""),
        ...(inviteToken ? { inviteToken } : {}),
      },
    }),
  );
  if (!result.ok) return result;
  throw redirect(inviteToken ? "/" : "/onboarding");
}, "register");

export const logout = action(async () => {
  "use server";
  // The caller leaves with a full page load, so nothing private stays in memory or history.
  return await mutate(worker().POST("/api/auth/logout"));
}, "logout");

export const forgotPassword = action(async (form: FormData) => {
  "use server";
  return await mutate(worker().POST("/api/auth/forgot-password", { body: { email: String(form.get("email") ?? "") } }));
}, "forgot-password");

export const resetPassword = action(async (form: FormData) => {
  "use server";
  const result = await mutate(
    worker().POST("/api/auth/reset-password", {
      body: { token: String(form.get("token") ?? ""), password: String(form.get("password") ?? "") },
    }),
  );
  if (!result.ok) return result;
  throw redirect("/login?reset=1");
}, "reset-password");

export const updateProfile = action(async (form: FormData) => {
  "use server";
  return await mutate(worker().PATCH("/api/auth/me", { body: { displayName: String(form.get("displayName") ?? "") } }));
}, "update-profile");

export const changePassword = action(async (form: FormData) => {
  "use server";
  return await mutate(
    worker().POST("/api/auth/change-password", {
      body: {
        currentPassword: String(form.get("currentPassword") ?? ""),
        newPassword: String(form.get("newPassword") ?? ""),
      },
    }),
  );
}, "change-password");

export const getAuthSessions = query(async () => {
  "use server";
  return await read(worker().GET("/api/auth/sessions"));
}, "auth-sessions");

export const revokeAuthSession = action(async (sessionId: string) => {
  "use server";
  return await mutate(worker().DELETE("/api/auth/sessions/{sessionId}", { params: { path: { sessionId } } }));
}, "revoke-auth-session");

export const revokeOtherAuthSessions = action(async () => {
  "use server";
  return await mutate(worker().DELETE("/api/auth/sessions/others"));
}, "revoke-other-auth-sessions");

export const getInvitePreview = query(async (token: string) => {
  "use server";
  try {
    const invite = await settle(worker().GET("/api/invites/{token}", { params: { path: { token } } }));
    return { ok: true as const, invite };
  } catch (error) {
    const message = error instanceof WorkerError ? error.message : "The invite could not be loaded";
    return { ok: false as const, message };
  }
}, "invite-preview");

export const acceptInvite = action(async (token: string) => {
  "use server";
  const result = await mutate(worker().POST("/api/invites/{token}/accept", { params: { path: { token } } }));
  if (!result.ok) return result;
  throw redirect("/");
}, "accept-invite");
