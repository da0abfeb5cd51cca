import { action, query, redirect } from "@solidjs/router";
import { ingestBaseUrl, mutateWorker, readWorker, WorkerError, workerJson } from "./server/worker";
import type {
  AffectedSession,
  AffectedUser,
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
  Occurrence,
  Org,
  Overview,
  Page,
  Plan,
  Project,
  ProjectContext,
  ProjectUsage,
  Role,
  SessionDetail,
  SessionSummary,
  Usage,
} from "./types";

/**
 * All server access of the dashboard: `query` functions read, `action` functions change. Each runs
 * on the server ("use server") and calls the Worker's /api/* with the browser's cookie; components
 * never build API URLs themselves. Reads redirect to /login on 401; actions answer an Outcome so
 * forms can show the API's own message. The Worker's shapes are mapped to the pages' view shapes
 * here, in one place.
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

const RANGE_NAMES = new Set(["1h", "24h", "7d", "30d"]);

/** Rows per page of an issue's affected users and sessions. */
const AFFECTED_PAGE = 10;

function filterParams(filters: ViewFilters) {
  const range = filters.range && RANGE_NAMES.has(filters.range) ? filters.range : "24h";
  return filters.from && filters.to
    ? { from: filters.from, to: filters.to, app: filters.app, environment: filters.env }
    : { range, app: filters.app, environment: filters.env };
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

// ---------------------------------------------------------------- Worker shapes → view shapes

interface WireIssue {
  id: string;
  type: string;
  message: string;
  culprit: string | null;
  status: string;
  regressed?: boolean;
  occurrences?: number;
  count?: number;
  usersAffected?: number;
  firstSeen?: string;
  lastSeen?: string;
  lastRelease?: string | null;
  app?: string | null;
  environment?: string | null;
}

function toIssue(wire: WireIssue): IssueSummary {
  return {
    ...wire,
    title: wire.message ? `${wire.type}: ${wire.message}` : wire.type,
    status: wire.status as IssueStatus,
    occurrences: wire.occurrences ?? wire.count ?? 0,
  };
}

interface WireSession {
  id: string;
  sessionId: string;
  app: string;
  status: string;
  startedAt: string;
  endedAt: string | null;
  durationMs: number;
  errorCount: number;
  userId: string | null;
  anonymousId: string | null;
  environment: string | null;
  browser: string | null;
  os: string | null;
  device: string | null;
}

function toSession(wire: WireSession): SessionSummary {
  const device = [wire.device, wire.os, wire.browser].filter(Boolean).join(" · ") || null;
  return { ...wire, userId: wire.userId ?? wire.anonymousId, errors: wire.errorCount, device };
}

interface WireTotals {
  events: number;
  errors: number;
  sessions: number;
  activeUsers: number;
}

function toTotals(wire: WireTotals) {
  return { events: wire.events, errors: wire.errors, sessions: wire.sessions, users: wire.activeUsers };
}

interface WireFrame {
  file?: string | null;
  function?: string | null;
  line?: number | null;
  column?: number | null;
  in_app?: boolean;
}

interface WireOccurrence {
  id: string;
  timestamp: string;
  message: string;
  stack: string | null;
  frames: WireFrame[] | null;
  breadcrumbs: unknown[];
  tags: Record<string, string>;
  context: Record<string, unknown>;
  userId: string | null;
  anonymousId: string | null;
  sessionId: string | null;
  release: string | null;
  app: string;
  environment: string | null;
}

function toOccurrence(wire: WireOccurrence): Occurrence {
  return {
    ...wire,
    userId: wire.userId ?? wire.anonymousId,
    frames: (wire.frames ?? []).map((frame) => ({ ...frame, inApp: frame.in_app })),
    breadcrumbs: wire.breadcrumbs as Occurrence["breadcrumbs"],
  };
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
  const result = await mutateWorker<Me>("POST", "/api/auth/login", {
    body: { email: String(form.get("email") ?? ""), password: String(form.get("password") ?? "") },
  });
  if (!result.ok) return result;
  const next = String(form.get("next") ?? "");
  throw redirect(next.startsWith("/") && !next.startsWith("//") ? next : "/");
}, "login");

export const register = action(async (form: FormData) => {
  "use server";
  const inviteToken = String(form.get("inviteToken") ?? "") || undefined;
  const result = await mutateWorker<Me>("POST", "/api/auth/register", {
    body: {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      displayName: String(form.get("displayName") ?? ""),
      ...(inviteToken ? { inviteToken } : {}),
    },
  });
  if (!result.ok) return result;
  throw redirect(inviteToken ? "/" : "/onboarding");
}, "register");

export const logout = action(async () => {
  "use server";
  // The caller leaves with a full page load, so nothing private stays in memory or history.
  return await mutateWorker<unknown>("POST", "/api/auth/logout", { body: {} });
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
    const invite = await workerJson<InvitePreview>("GET", `/api/invites/${enc(token)}`);
    return { ok: true as const, invite };
  } catch (error) {
    const message = error instanceof WorkerError ? error.message : "The invite could not be loaded";
    return { ok: false as const, message };
  }
}, "invite-preview");

export const acceptInvite = action(async (token: string) => {
  "use server";
  const result = await mutateWorker<{ orgId: string; role: Role }>("POST", `/api/invites/${enc(token)}/accept`, {
    body: {},
  });
  if (!result.ok) return result;
  throw redirect("/");
}, "accept-invite");

// ---------------------------------------------------------------- organizations and projects

export const getOrgs = query(async () => {
  "use server";
  const { organizations } = await readWorker<{ organizations: Org[] }>("/api/orgs");
  return { orgs: organizations };
}, "orgs");

export const getProjects = query(async (orgId: string) => {
  "use server";
  return await readWorker<{ projects: Project[] }>(`/api/orgs/${enc(orgId)}/projects`);
}, "projects");

export const getProjectContext = query(async (projectId: string) => {
  "use server";
  const wire = await readWorker<{
    project: Project;
    organization: { id: string; name: string };
    role: Role;
    capabilities: Record<string, boolean>;
    plan: ProjectContext["org"]["plan"];
    usage: { month: string; units: number; quota: number };
  }>(`/api/projects/${enc(projectId)}/context`);
  const context: ProjectContext = {
    project: wire.project,
    org: { ...wire.organization, plan: wire.plan },
    role: wire.role,
    can: wire.capabilities,
    usage: { month: wire.usage.month, used: wire.usage.units, limit: wire.usage.quota },
  };
  return context;
}, "project-context");

/** Where "/" should land: the first project of the first organization, or onboarding. */
export const getHome = query(async () => {
  "use server";
  const { organizations } = await readWorker<{ organizations: Org[] }>("/api/orgs");
  for (const org of organizations) {
    const { projects } = await readWorker<{ projects: Project[] }>(`/api/orgs/${enc(org.id)}/projects`);
    if (projects.length > 0) return `/projects/${projects[0].id}`;
  }
  return organizations.length > 0 ? `/onboarding?org=${organizations[0].id}` : "/onboarding";
}, "home");

export const createOrg = action(async (name: string) => {
  "use server";
  const result = await mutateWorker<Org>("POST", "/api/orgs", { body: { name } });
  return result.ok ? { ok: true as const, data: { org: result.data } } : result;
}, "create-org");

export const renameOrg = action(async (orgId: string, name: string) => {
  "use server";
  return await mutateWorker<Org>("PATCH", `/api/orgs/${enc(orgId)}`, { body: { name } });
}, "rename-org");

export const createProject = action(async (orgId: string, name: string, slug?: string) => {
  "use server";
  const result = await mutateWorker<Project>("POST", `/api/orgs/${enc(orgId)}/projects`, {
    body: slug ? { name, slug } : { name },
  });
  return result.ok ? { ok: true as const, data: { project: result.data } } : result;
}, "create-project");

export const updateProject = action(
  async (projectId: string, patch: { name?: string; slug?: string; piiDenyKeys?: string[] }) => {
    "use server";
    return await mutateWorker<Project>("PATCH", `/api/projects/${enc(projectId)}`, { body: patch });
  },
  "update-project",
);

// ---------------------------------------------------------------- keys

export const getKeys = query(async (projectId: string) => {
  "use server";
  return await readWorker<{ keys: ApiKey[] }>(`/api/projects/${enc(projectId)}/keys`);
}, "keys");

/** The full key is in this answer only; the Worker keeps a hash. */
export const createKey = action(async (projectId: string, name: string, allowedApp?: string) => {
  "use server";
  const result = await mutateWorker<{ apiKey: ApiKey; key: string }>("POST", `/api/projects/${enc(projectId)}/keys`, {
    body: allowedApp ? { name, allowedApp } : { name },
  });
  return result.ok ? { ok: true as const, data: { apiKey: result.data.apiKey, secret: result.data.key } } : result;
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

/** Outside production the answer carries `devAcceptUrl`, the link the mail would have held. */
export const createInvite = action(async (orgId: string, email: string, role: Role) => {
  "use server";
  return await mutateWorker<Invite & { devAcceptUrl?: string }>("POST", `/api/orgs/${enc(orgId)}/invites`, {
    body: { email, role },
  });
}, "create-invite");

export const revokeInvite = action(async (orgId: string, inviteId: string) => {
  "use server";
  return await mutateWorker<unknown>("DELETE", `/api/orgs/${enc(orgId)}/invites/${enc(inviteId)}`);
}, "revoke-invite");

export const getAudit = query(async (orgId: string, cursor?: string) => {
  "use server";
  const wire = await readWorker<{ entries: AuditEntry[]; nextCursor: string | null }>(
    `/api/orgs/${enc(orgId)}/audit${qs({ cursor, limit: 50 })}`,
  );
  const page: Page<AuditEntry> = { items: wire.entries, nextCursor: wire.nextCursor };
  return page;
}, "audit");

// ---------------------------------------------------------------- reads

export const getFilterOptions = query(async (projectId: string) => {
  "use server";
  return await readWorker<FilterOptions>(`/api/projects/${enc(projectId)}/filters`);
}, "filter-options");

export const getOverview = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  const wire = await readWorker<{
    window: { from: string; to: string; bucket: string };
    totals: WireTotals;
    previous: { totals: WireTotals };
    series: Array<WireTotals & { t: string }>;
    topErrorGroups: WireIssue[];
    topEvents: { name: string; count: number }[];
    recentSessions: WireSession[];
  }>(`/api/projects/${enc(projectId)}/overview${qs(filterParams(filters))}`);
  const overview: Overview = {
    range: wire.window,
    totals: toTotals(wire.totals),
    previous: toTotals(wire.previous.totals),
    series: wire.series.map((point) => ({ t: point.t, ...toTotals(point) })),
    topIssues: wire.topErrorGroups.map(toIssue),
    topEvents: wire.topEvents,
    recentSessions: wire.recentSessions.map(toSession),
  };
  return overview;
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
  const wire = await readWorker<{ issues: WireIssue[]; nextCursor: string | null }>(
    `/api/projects/${enc(projectId)}/issues${search}`,
  );
  const page: Page<IssueSummary> = { items: wire.issues.map(toIssue), nextCursor: wire.nextCursor };
  return page;
}, "issues");

/** The issue's chart follows the view's time range (the detail route has no app/environment scope). */
export const getIssue = query(async (projectId: string, issueId: string, filters: ViewFilters = {}) => {
  "use server";
  const range = filterParams({ range: filters.range, from: filters.from, to: filters.to });
  const wire = await readWorker<{
    issue: WireIssue;
    sessionsAffected: number;
    counts: { t: string; count: number }[];
    latestOccurrences: WireOccurrence[];
  }>(`/api/projects/${enc(projectId)}/issues/${enc(issueId)}${qs(range)}`);
  const detail: IssueDetail = {
    ...toIssue(wire.issue),
    sessionsAffected: wire.sessionsAffected,
    hourly: wire.counts,
    occurrencesList: wire.latestOccurrences.map(toOccurrence),
  };
  return detail;
}, "issue");

/** Users (or anonymous ids) the issue has hit, most occurrences first; `cursor` pages on. */
export const getIssueUsers = query(async (projectId: string, issueId: string, cursor?: string) => {
  "use server";
  const wire = await readWorker<{ users: AffectedUser[]; nextCursor: string | null }>(
    `/api/projects/${enc(projectId)}/issues/${enc(issueId)}/users${qs({ cursor, limit: AFFECTED_PAGE })}`,
  );
  const page: Page<AffectedUser> = { items: wire.users, nextCursor: wire.nextCursor };
  return page;
}, "issue-users");

/** Sessions the issue has hit, latest hit first, with the stored session when there is one. */
export const getIssueSessions = query(async (projectId: string, issueId: string, cursor?: string) => {
  "use server";
  const wire = await readWorker<{
    sessions: Array<Omit<AffectedSession, "session"> & { session: WireSession | null }>;
    nextCursor: string | null;
  }>(`/api/projects/${enc(projectId)}/issues/${enc(issueId)}/sessions${qs({ cursor, limit: AFFECTED_PAGE })}`);
  const page: Page<AffectedSession> = {
    items: wire.sessions.map((row) => ({ ...row, session: row.session ? toSession(row.session) : null })),
    nextCursor: wire.nextCursor,
  };
  return page;
}, "issue-sessions");

export const setIssueStatus = action(async (projectId: string, issueId: string, status: IssueStatus) => {
  "use server";
  return await mutateWorker<{ id: string; status: IssueStatus; regressed: boolean }>(
    "PATCH",
    `/api/projects/${enc(projectId)}/issues/${enc(issueId)}`,
    { body: { status } },
  );
}, "set-issue-status");

export const getEventGroups = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  const wire = await readWorker<{
    window: { from: string; to: string; bucket: string };
    buckets: string[];
    names: EventGroup[];
  }>(`/api/projects/${enc(projectId)}/events/names${qs(filterParams(filters))}`);
  return {
    window: wire.window,
    times: wire.buckets.map((bucket) => new Date(bucket).getTime() / 1000),
    groups: wire.names,
  };
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
    propertyValue: params.prop ? params.value : undefined,
    cursor: params.cursor,
  });
  const wire = await readWorker<{ events: EventRow[]; nextCursor: string | null }>(
    `/api/projects/${enc(projectId)}/events${search}`,
  );
  const page: Page<EventRow> = { items: wire.events, nextCursor: wire.nextCursor };
  return page;
}, "events");

export const getEvent = query(async (projectId: string, eventId: string) => {
  "use server";
  return { event: await readWorker<EventRow>(`/api/projects/${enc(projectId)}/events/${enc(eventId)}`) };
}, "event");

export const getSessions = query(async (projectId: string, params: ViewFilters & { cursor?: string }) => {
  "use server";
  const search = qs({ ...filterParams(params), cursor: params.cursor });
  const wire = await readWorker<{ sessions: WireSession[]; nextCursor: string | null }>(
    `/api/projects/${enc(projectId)}/sessions${search}`,
  );
  const page: Page<SessionSummary> = { items: wire.sessions.map(toSession), nextCursor: wire.nextCursor };
  return page;
}, "sessions");

export const getSession = query(async (projectId: string, sessionId: string) => {
  "use server";
  const wire = await readWorker<{
    session: WireSession;
    timeline: Array<{
      kind: "event" | "error";
      id: string;
      timestamp: string;
      name: string;
      message: string | null;
      groupId: string | null;
      properties: Record<string, unknown> | null;
    }>;
    truncated: boolean;
  }>(`/api/projects/${enc(projectId)}/sessions/${enc(sessionId)}`);
  const detail: SessionDetail = {
    ...toSession(wire.session),
    truncated: wire.truncated,
    timeline: wire.timeline.map((item) =>
      item.kind === "error"
        ? {
            kind: "error" as const,
            id: item.id,
            timestamp: item.timestamp,
            message: item.message ?? item.name,
            issueId: item.groupId,
          }
        : {
            kind: "event" as const,
            id: item.id,
            timestamp: item.timestamp,
            name: item.name,
            properties: item.properties ?? undefined,
          },
    ),
  };
  return detail;
}, "session");

export const getUsage = query(async (projectId: string) => {
  "use server";
  const wire = await readWorker<{ quota: number; months: Usage["months"] }>(`/api/projects/${enc(projectId)}/usage`);
  const usage: Usage = { limit: wire.quota, months: wire.months };
  return usage;
}, "usage");

interface WireBilling {
  plan: Plan;
  purchasedPlan: Plan;
  status: string | null;
  periodEnd: string | null;
  warning: { code: "past_due"; message: string } | null;
  hasCustomer: boolean;
  hasSubscription: boolean;
  limits: Record<string, number>;
  month: string;
  projects: ProjectUsage[];
}

/** Billing answers 503 billing_not_configured until Stripe is set up: that is a state, not an error. */
export const getBilling = query(async (orgId: string) => {
  "use server";
  try {
    const wire = await workerJson<WireBilling>("GET", `/api/orgs/${enc(orgId)}/billing`);
    const billing: Billing = {
      configured: true,
      plan: wire.plan,
      purchasedPlan: wire.purchasedPlan ?? wire.plan,
      status: wire.status,
      periodEnd: wire.periodEnd,
      warning: wire.warning ?? null,
      hasCustomer: wire.hasCustomer,
      hasSubscription: wire.hasSubscription,
      limits: wire.limits ?? {},
      month: wire.month,
      projects: wire.projects ?? [],
    };
    return billing;
  } catch (error) {
    // A 404 means this Worker has no billing routes at all, which for the page is the same state.
    if (error instanceof WorkerError && (error.code === "billing_not_configured" || error.status === 404)) {
      const billing: Billing = { configured: false, message: error.message };
      return billing;
    }
    if (error instanceof WorkerError && error.status === 401) throw redirect("/login");
    throw new Error(error instanceof Error ? error.message : String(error));
  }
}, "billing");

/**
 * Checkout and portal answer Stripe's URL instead of redirecting: the page leaves with a full
 * navigation (Stripe's pages are another site), and `returnUrl` is the page the person is on, which
 * the Worker accepts only on an allowed dashboard origin.
 */
export const startCheckout = action(async (orgId: string, plan: "PRO" | "BUSINESS", returnUrl?: string) => {
  "use server";
  return await mutateWorker<{ url: string }>("POST", `/api/orgs/${enc(orgId)}/billing/checkout`, {
    body: returnUrl ? { plan, returnUrl } : { plan },
  });
}, "start-checkout");

export const openBillingPortal = action(async (orgId: string, returnUrl?: string) => {
  "use server";
  return await mutateWorker<{ url: string }>("POST", `/api/orgs/${enc(orgId)}/billing/portal`, {
    body: returnUrl ? { returnUrl } : {},
  });
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
    readWorker<{ events: EventRow[] }>(`${base}/events?range=30d&limit=1`),
    readWorker<{ issues: WireIssue[] }>(`${base}/issues?status=all&limit=1`),
  ]);
  const first = events.events[0];
  return { received: events.events.length > 0 || issues.issues.length > 0, firstEventName: first?.name ?? null };
}, "first-activity");
