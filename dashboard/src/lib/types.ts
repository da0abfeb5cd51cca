/**
 * The shapes the dashboard reads from the Worker's /api/* (see GET /openapi.json). Kept narrow: only
 * what the pages show.
 */
export type Role = "OWNER" | "EDITOR" | "VIEWER";
export type Plan = "FREE" | "PRO" | "BUSINESS";
export type IssueStatus = "unresolved" | "resolved" | "ignored";

export interface User {
  id: string;
  email: string;
  displayName: string;
  createdAt: string;
}

export interface Me {
  user: User;
  memberships: { orgId: string; orgName: string; role: Role }[];
}

export interface Org {
  id: string;
  name: string;
  plan: Plan;
  role: Role;
  capabilities: Record<string, boolean>;
}

export interface Project {
  id: string;
  orgId: string;
  name: string;
  slug: string;
  piiDenyKeys?: string[];
}

export interface ProjectContext {
  project: Project;
  org: { id: string; name: string; plan: Plan };
  role: Role;
  can: Record<string, boolean>;
  usage: { month: string; used: number; limit: number };
  hasEvents?: boolean;
}

export interface ApiKey {
  id: string;
  name: string;
  /** `tt_live_<publicId>_…`: what a person recognises the key by, never the secret. */
  preview: string;
  allowedApp: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  status: "active" | "revoked" | "expired";
}

export interface Member {
  userId: string;
  email: string;
  displayName: string;
  role: Role;
  joinedAt: string;
}

export interface Invite {
  id: string;
  email: string;
  role: Role;
  status: "pending" | "accepted" | "revoked" | "expired";
  expiresAt: string;
  createdAt: string;
}

export interface InvitePreview {
  orgName: string;
  email: string;
  role: Role;
  expiresAt: string;
}

export interface AuthSession {
  id: string;
  userAgent: string | null;
  ip: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

export interface AuditEntry {
  id: number | string;
  action: string;
  actor: { id: string; email: string; displayName?: string } | null;
  targetType: string | null;
  targetId: string | null;
  metadata: Record<string, unknown>;
  ip: string | null;
  createdAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface SeriesPoint {
  t: string;
  events: number;
  errors: number;
  sessions: number;
  users: number;
}

export interface Totals {
  events: number;
  errors: number;
  sessions: number;
  users: number;
}

export interface Overview {
  range: { from: string; to: string; bucket: string };
  totals: Totals;
  previous: Totals;
  series: SeriesPoint[];
  topIssues: IssueSummary[];
  topEvents: { name: string; count: number }[];
  recentSessions: SessionSummary[];
}

export interface IssueSummary {
  id: string;
  title: string;
  type?: string | null;
  message?: string | null;
  culprit?: string | null;
  status: IssueStatus;
  regressed?: boolean;
  occurrences: number;
  usersAffected?: number;
  firstSeen?: string;
  lastSeen?: string;
  lastRelease?: string | null;
  app?: string | null;
  environment?: string | null;
}

export interface Frame {
  file?: string | null;
  function?: string | null;
  line?: number | null;
  column?: number | null;
  inApp?: boolean;
}

export interface Breadcrumb {
  timestamp?: string;
  category?: string;
  message?: string;
  level?: string;
  data?: Record<string, unknown>;
}

export interface Occurrence {
  id: string;
  eventId?: string;
  timestamp: string;
  message?: string | null;
  stack?: string | null;
  frames?: Frame[];
  breadcrumbs?: Breadcrumb[];
  tags?: Record<string, string>;
  context?: Record<string, unknown>;
  userId?: string | null;
  sessionId?: string | null;
  release?: string | null;
  app?: string | null;
  environment?: string | null;
}

export interface IssueDetail extends IssueSummary {
  occurrencesList: Occurrence[];
  hourly: { t: string; count: number }[];
  sessionsAffected: number;
}

export interface EventGroup {
  name: string;
  count: number;
  lastSeen: string;
  /** Events per bucket, aligned with the answer's `buckets`. */
  series: number[];
}

/** A user (or anonymous id) an issue has hit. */
export interface AffectedUser {
  userKey: string;
  anonymous: boolean;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
}

/** A session an issue has hit; `session` is null when no session was stored for the id. */
export interface AffectedSession {
  sessionId: string;
  app: string;
  occurrences: number;
  firstSeen: string;
  lastSeen: string;
  session: SessionSummary | null;
}

export interface EventRow {
  id: string;
  name: string;
  timestamp: string;
  app?: string | null;
  environment?: string | null;
  userId?: string | null;
  sessionId?: string | null;
  properties?: Record<string, unknown>;
  context?: Record<string, unknown>;
}

export interface SessionSummary {
  id: string;
  sessionId: string;
  app?: string | null;
  environment?: string | null;
  userId?: string | null;
  status?: string | null;
  startedAt: string;
  endedAt?: string | null;
  durationMs?: number | null;
  errors?: number;
  events?: number;
  device?: string | null;
}

export interface SessionDetail extends SessionSummary {
  timeline: Array<
    | { kind: "event"; id: string; name: string; timestamp: string; properties?: Record<string, unknown> }
    | { kind: "error"; id: string; issueId?: string | null; message: string; timestamp: string }
  >;
  truncated: boolean;
}

export interface FilterOptions {
  apps: string[];
  environments: string[];
  releases: string[];
}

export interface UsageMonth {
  month: string;
  units: number;
}

export interface Usage {
  limit: number;
  months: UsageMonth[];
}

/** One project's units this month against the plan's quota, as the billing page shows them. */
export interface ProjectUsage {
  id: string;
  name: string;
  slug: string;
  units: number;
  quota: number;
  /** units / quota (may exceed 1 once ingest starts refusing). */
  fraction: number;
}

export interface PlanLimits {
  monthlyUnits?: number;
  requestsPerSecond?: number;
  projectsPerOrg?: number;
  activeKeysPerProject?: number;
  retentionDays?: number;
  [name: string]: number | undefined;
}

/** GET /api/orgs/:orgId/billing, when Stripe is set up on this installation. */
export interface BillingAccount {
  configured: true;
  /** The plan whose limits apply now: a lapsed subscription counts as FREE. */
  plan: Plan;
  /** What was bought; differs from `plan` while a subscription is lapsed. */
  purchasedPlan: Plan;
  /** Stripe's subscription status, null without one. */
  status: string | null;
  periodEnd: string | null;
  warning: { code: "past_due"; message: string } | null;
  /** The Stripe customer portal can be opened. */
  hasCustomer: boolean;
  /** A live subscription: plan changes go through the portal, not a new checkout. */
  hasSubscription: boolean;
  limits: PlanLimits;
  month: string;
  projects: ProjectUsage[];
}

/** The Worker answers 503 billing_not_configured: every organization stays on its stored plan. */
export interface BillingUnconfigured {
  configured: false;
  message: string;
}

export type Billing = BillingAccount | BillingUnconfigured;
