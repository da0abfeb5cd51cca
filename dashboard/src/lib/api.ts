import { action, query, redirect } from "@solidjs/router";
import { ingestBaseUrl, mutateWorker, readWorker, WorkerError, workerJson } from "./server/worker";
import type {
  ApiKey,
  AuditEntry,
  AuthSession,
  Billing,
  EventGroup,
  EventRow,
  FilterOptions,
  Invite,
  InvitePreview,
  IssueDetail,
  IssueStatus,
  IssueSummary,
  Me,
  Member,
  Org,
  Overview,
  Page,
  Project,
  ProjectContext,
  Role,
  SessionDetail,
  SessionSummary,
  Usage,
} from "./types";

/**
 * All server access of the dashboard: `query` functions read, `action` functions change. Each runs
 * on the server ("use server") and calls the Worker's /api/* with the browser's cookie; components
 * never build API URLs themselves. Reads redirect to /login on 401; actions answer an Outcome so
 * forms can show the API's own message.
 */

/** The view filters every page shares, as they appear in the dashboard's URL. */
export interface ViewFilters {
  range?: string;
  from?: string;
  to?: string;
  app?: string;
  env?: string;
}

function qs(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

function filterParams(filters: ViewFilters) {
  return filters.from && filters.to
    ? { from: filters.from, to: filters.to, app: filters.app, environment: filters.env }
    : { range: filters.range || "24h", app: filters.app, environment: filters.env };
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

// ---------------------------------------------------------------- session and account

export const getMe = query(async () => {
  "use server";
  return await readWorker<Me>("/api/auth/me");
}, "me");

/** Like getMe, but answers null instead of redirecting: for pages that work signed in or out. */
export const getMaybeMe = query(async () => {
  "use server";
  try {
    return await workerJson<Me>("GET", "/api/auth/me");
  } catch {
    return null;
  }
}, "maybe-me");

export const login = action(async (form: FormData) => {
  "use server";
  const result = await mutateWorker<unknown>("POST", "/api/auth/login", {
    body: { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") },
    relayCookies: true,
  });
  if (!result.ok) return result;
  const next = String(form.get("next") ?? "");
  throw redirect(next.startsWith("/") && !next.startsWith("//") ? next : "/");
}, "login");

export const register = action(async (form: FormData) => {
  "use server";
  const inviteToken = String(form.get("inviteToken") ?? "") || undefined;
  const result = await mutateWorker<unknown>("POST", "/api/auth/register", {
    body: {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      displayName: String(form.get("displayName") ?? ""),
      ...(inviteToken ? { inviteToken } : {}),
    },
    relayCookies: true,
  });
  if (!result.ok) return result;
  throw redirect(inviteToken ? "/" : "/onboarding");
}, "register");

export const logout = action(async () => {
  "use server";
  await mutateWorker("POST", "/api/auth/logout", { body: {}, relayCookies: true });
  throw redirect("/login?signedOut=1");
}, "logout");

export const forgotPassword = action(async (form: FormData) => {
  "use server";
  return await mutateWorker<unknown>("POST", "/api/auth/forgot-password", {
    body: { email: String(form.get("email") ?? "") },
  });
}, "forgot-password");

export const resetPassword = action(async (form: FormData) => {
  "use server";
  const result = await mutateWorker<unknown>("POST", "/api/auth/reset-password", {
    body: { token: String(form.get("token") ?? ""), password: String(form.get("password") ?? "") },
    relayCookies: true,
  });
  if (!result.ok) return result;
  throw redirect("/login?reset=1");
}, "reset-password");

export const updateProfile = action(async (form: FormData) => {
  "use server";
  return await mutateWorker<Me>("PATCH", "/api/auth/me", {
    body: { displayName: String(form.get("displayName") ?? "") },
  });
}, "update-profile");

export const changePassword = action(async (form: FormData) => {
  "use server";
  return await mutateWorker<unknown>("POST", "/api/auth/change-password", {
    body: {
      currentPassword: String(form.get("currentPassword") ?? ""),
      newPassword: String(form.get("newPassword") ?? ""),
    },
    relayCookies: true,
  });
}, "change-password");

export const getAuthSessions = query(async () => {
  "use server";
  return await readWorker<{ sessions: AuthSession[] }>("/api/auth/sessions");
}, "auth-sessions");

export const revokeAuthSession = action(async (sessionId: string) => {
  "use server";
  return await mutateWorker<unknown>("DELETE", `/api/auth/sessions/${enc(sessionId)}`);
}, "revoke-auth-session");

export const revokeOtherAuthSessions = action(async () => {
  "use server";
  return await mutateWorker<unknown>("DELETE", "/api/auth/sessions/others");
}, "revoke-other-auth-sessions");

// ---------------------------------------------------------------- invites

export const getInvitePreview = query(async (token: string) => {
  "use server";
  try {
    return {
      ok: true as const,
      invite: await workerJson<{ invite: InvitePreview }>("GET", `/api/invites/${enc(token)}`),
    };
  } catch (error) {
    const message = error instanceof WorkerError ? error.message : "The invite could not be loaded";
    return { ok: false as const, message };
  }
}, "invite-preview");

export const acceptInvite = action(async (token: string) => {
  "use server";
  const result = await mutateWorker<{ orgId?: string }>("POST", `/api/invites/${enc(token)}/accept`, {
    body: {},
    relayCookies: true,
  });
  if (!result.ok) return result;
  throw redirect("/");
}, "accept-invite");

// ---------------------------------------------------------------- organizations and projects

export const getOrgs = query(async () => {
  "use server";
  return await readWorker<{ orgs: Org[] }>("/api/orgs");
}, "orgs");

export const getProjects = query(async (orgId: string) => {
  "use server";
  return await readWorker<{ projects: Project[] }>(`/api/orgs/${enc(orgId)}/projects`);
}, "projects");

export const getProjectContext = query(async (projectId: string) => {
  "use server";
  return await readWorker<ProjectContext>(`/api/projects/${enc(projectId)}/context`);
}, "project-context");

/** Where "/" should land: the first project of the first organization, or onboarding. */
export const getHome = query(async () => {
  "use server";
  const { orgs } = await readWorker<{ orgs: Org[] }>("/api/orgs");
  for (const org of orgs) {
    const { projects } = await readWorker<{ projects: Project[] }>(`/api/orgs/${enc(org.id)}/projects`);
    if (projects.length > 0) return `/projects/${projects[0].id}`;
  }
  return "/onboarding";
}, "home");

export const createOrg = action(async (name: string) => {
  "use server";
  return await mutateWorker<{ org: Org }>("POST", "/api/orgs", { body: { name } });
}, "create-org");

export const renameOrg = action(async (orgId: string, name: string) => {
  "use server";
  return await mutateWorker<{ org: Org }>("PATCH", `/api/orgs/${enc(orgId)}`, { body: { name } });
}, "rename-org");

export const createProject = action(async (orgId: string, name: string, slug?: string) => {
  "use server";
  return await mutateWorker<{ project: Project }>("POST", `/api/orgs/${enc(orgId)}/projects`, {
    body: slug ? { name, slug } : { name },
  });
}, "create-project");

export const updateProject = action(
  async (projectId: string, patch: { name?: string; slug?: string; piiDenyKeys?: string[] }) => {
    "use server";
    return await mutateWorker<{ project: Project }>("PATCH", `/api/projects/${enc(projectId)}`, { body: patch });
  },
  "update-project",
);

// ---------------------------------------------------------------- keys

export const getKeys = query(async (projectId: string) => {
  "use server";
  return await readWorker<{ keys: ApiKey[] }>(`/api/projects/${enc(projectId)}/keys`);
}, "keys");

export const createKey = action(async (projectId: string, name: string, allowedApp?: string) => {
  "use server";
  return await mutateWorker<{ key: ApiKey; secret?: string }>("POST", `/api/projects/${enc(projectId)}/keys`, {
    body: allowedApp ? { name, allowedApp } : { name },
  });
}, "create-key");

export const revokeKey = action(async (projectId: string, keyId: string) => {
  "use server";
  return await mutateWorker<unknown>("DELETE", `/api/projects/${enc(projectId)}/keys/${enc(keyId)}`);
}, "revoke-key");

// ---------------------------------------------------------------- members, invites, audit

export const getMembers = query(async (orgId: string) => {
  "use server";
  return await readWorker<{ members: Member[] }>(`/api/orgs/${enc(orgId)}/members`);
}, "members");

export const changeMemberRole = action(async (orgId: string, userId: string, role: Role) => {
  "use server";
  return await mutateWorker<unknown>("PATCH", `/api/orgs/${enc(orgId)}/members/${enc(userId)}`, { body: { role } });
}, "change-member-role");

export const removeMember = action(async (orgId: string, userId: string) => {
  "use server";
  return await mutateWorker<unknown>("DELETE", `/api/orgs/${enc(orgId)}/members/${enc(userId)}`);
}, "remove-member");

export const getInvites = query(async (orgId: string) => {
  "use server";
  return await readWorker<{ invites: Invite[] }>(`/api/orgs/${enc(orgId)}/invites`);
}, "invites");

export const createInvite = action(async (orgId: string, email: string, role: Role) => {
  "use server";
  return await mutateWorker<{ invite: Invite }>("POST", `/api/orgs/${enc(orgId)}/invites`, { body: { email, role } });
}, "create-invite");

export const revokeInvite = action(async (orgId: string, inviteId: string) => {
  "use server";
  return await mutateWorker<unknown>("DELETE", `/api/orgs/${enc(orgId)}/invites/${enc(inviteId)}`);
}, "revoke-invite");

export const getAudit = query(async (orgId: string, cursor?: string) => {
  "use server";
  return await readWorker<Page<AuditEntry>>(`/api/orgs/${enc(orgId)}/audit${qs({ cursor })}`);
}, "audit");

// ---------------------------------------------------------------- reads

export const getFilterOptions = query(async (projectId: string) => {
  "use server";
  return await readWorker<FilterOptions>(`/api/projects/${enc(projectId)}/filters`);
}, "filter-options");

export const getOverview = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  return await readWorker<Overview>(`/api/projects/${enc(projectId)}/overview${qs(filterParams(filters))}`);
}, "overview");

export interface IssueQuery extends ViewFilters {
  status?: string;
  q?: string;
  sort?: string;
  release?: string;
  cursor?: string;
}

export const getIssues = query(async (projectId: string, params: IssueQuery) => {
  "use server";
  const search = qs({
    ...filterParams(params),
    status: params.status || "unresolved",
    q: params.q,
    sort: params.sort,
    release: params.release,
    cursor: params.cursor,
  });
  return await readWorker<Page<IssueSummary>>(`/api/projects/${enc(projectId)}/issues${search}`);
}, "issues");

export const getIssue = query(async (projectId: string, issueId: string) => {
  "use server";
  return await readWorker<IssueDetail>(`/api/projects/${enc(projectId)}/issues/${enc(issueId)}`);
}, "issue");

export const setIssueStatus = action(async (projectId: string, issueId: string, status: IssueStatus) => {
  "use server";
  return await mutateWorker<unknown>("PATCH", `/api/projects/${enc(projectId)}/issues/${enc(issueId)}`, {
    body: { status },
  });
}, "set-issue-status");

export const getEventGroups = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  return await readWorker<{ groups: EventGroup[] }>(
    `/api/projects/${enc(projectId)}/events/names${qs(filterParams(filters))}`,
  );
}, "event-groups");

export interface EventQuery extends ViewFilters {
  name?: string;
  prop?: string;
  value?: string;
  cursor?: string;
}

export const getEvents = query(async (projectId: string, params: EventQuery) => {
  "use server";
  const search = qs({
    ...filterParams(params),
    name: params.name,
    propertyKey: params.prop,
    propertyValue: params.value,
    cursor: params.cursor,
  });
  return await readWorker<Page<EventRow>>(`/api/projects/${enc(projectId)}/events${search}`);
}, "events");

export const getEvent = query(async (projectId: string, eventId: string) => {
  "use server";
  return await readWorker<{ event: EventRow }>(`/api/projects/${enc(projectId)}/events/${enc(eventId)}`);
}, "event");

export const getSessions = query(async (projectId: string, params: ViewFilters & { cursor?: string }) => {
  "use server";
  const search = qs({ ...filterParams(params), cursor: params.cursor });
  return await readWorker<Page<SessionSummary>>(`/api/projects/${enc(projectId)}/sessions${search}`);
}, "sessions");

export const getSession = query(async (projectId: string, sessionId: string) => {
  "use server";
  return await readWorker<SessionDetail>(`/api/projects/${enc(projectId)}/sessions/${enc(sessionId)}`);
}, "session");

export const getUsage = query(async (projectId: string) => {
  "use server";
  return await readWorker<Usage>(`/api/projects/${enc(projectId)}/usage`);
}, "usage");

/** Billing answers 503 billing_not_configured until Stripe is set up: that is a state, not an error. */
export const getBilling = query(async (orgId: string) => {
  "use server";
  try {
    return {
      configured: true,
      ...(await workerJson<Omit<Billing, "configured">>("GET", `/api/orgs/${enc(orgId)}/billing`)),
    };
  } catch (error) {
    if (error instanceof WorkerError && error.code === "billing_not_configured") {
      const notConfigured: Billing = { configured: false, message: error.message };
      return notConfigured;
    }
    if (error instanceof WorkerError && error.status === 401) throw redirect("/login");
    throw new Error(error instanceof Error ? error.message : String(error));
  }
}, "billing");

export const startCheckout = action(async (orgId: string, plan: string) => {
  "use server";
  const result = await mutateWorker<{ url: string }>("POST", `/api/orgs/${enc(orgId)}/billing/checkout`, {
    body: { plan },
  });
  if (!result.ok) return result;
  throw redirect(result.data.url);
}, "start-checkout");

export const openBillingPortal = action(async (orgId: string) => {
  "use server";
  const result = await mutateWorker<{ url: string }>("POST", `/api/orgs/${enc(orgId)}/billing/portal`, { body: {} });
  if (!result.ok) return result;
  throw redirect(result.data.url);
}, "billing-portal");

/** The public ingest base URL the SDK snippets point at (INGEST_URL, else the Worker's URL in dev). */
export const getIngestUrl = query(async () => {
  "use server";
  return ingestBaseUrl();
}, "ingest-url");

/** Whether anything has reached the project yet: drives the "waiting for your first event" panel. */
export const getFirstActivity = query(async (projectId: string) => {
  "use server";
  const base = `/api/projects/${enc(projectId)}`;
  const [events, issues] = await Promise.all([
    readWorker<Page<EventRow>>(`${base}/events?range=30d&limit=1`),
    readWorker<Page<IssueSummary>>(`${base}/issues?range=30d&status=all&limit=1`),
  ]);
  const first = events.items[0];
  return { received: events.items.length > 0 || issues.items.length > 0, firstEventName: first?.name ?? null };
}, "first-activity");
