import type { components } from "./api/schema";

/**
 * The shapes the pages use. Where a page shows the Worker's answer as it is, the type is the
 * Worker's own (generated from its OpenAPI document into `api/schema.d.ts`); where the dashboard
 * reshapes it (titles, renamed totals, joined device labels), the view type is built from the
 * Worker's type, so a changed route still breaks the typecheck here.
 */
type Schemas = components["schemas"];

export type Role = Schemas["Member"]["role"];
export type Plan = Schemas["Organization"]["plan"];
export type IssueStatus = "unresolved" | "resolved" | "ignored";

export type Me = Schemas["Me"];
export type Org = Schemas["Organization"];
export type Project = Schemas["Project"];
export type ApiKey = Schemas["ApiKey"];
export type Member = Schemas["Member"];
export type Invite = Schemas["Invite"];
export type InvitePreview = Schemas["InvitePreview"];
export type AuthSession = Schemas["UserSession"];
export type AuditEntry = Schemas["AuditEntry"];
export type AffectedUser = Schemas["AffectedUser"];
export type EventRow = Schemas["Event"];
export type FilterOptions = Schemas["FilterOptions"];
export type EventGroup = Schemas["EventNames"]["names"][number];
/** One project's units this month against the plan's quota, as the billing page shows them. */
export type ProjectUsage = Schemas["Billing"]["projects"][number];
export type PlanLimits = Schemas["Billing"]["limits"];
/** The global search's answer: hits grouped by kind, each kind with its count. */
export type SearchResults = Schemas["SearchResults"];

/** The Worker's shapes the mappers in `api/` reshape. */
export type WireIssue = Schemas["Issue"] | Schemas["Overview"]["topErrorGroups"][number];
export type WireSession = Schemas["SessionSummary"];
export type WireOccurrence = Schemas["ErrorOccurrence"];
export type WireTotals = Schemas["Overview"]["totals"];

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface ProjectContext {
  project: Project;
  org: Schemas["ProjectContext"]["organization"] & { plan: Plan };
  role: Role;
  can: Schemas["ProjectContext"]["capabilities"];
  usage: { month: string; used: number; limit: number };
}

export interface Totals {
  events: number;
  errors: number;
  sessions: number;
  users: number;
}

export interface SeriesPoint extends Totals {
  t: string;
}

export interface Overview {
  range: Schemas["Overview"]["window"];
  totals: Totals;
  previous: Totals;
  series: SeriesPoint[];
  topIssues: IssueSummary[];
  topEvents: Schemas["Overview"]["topEvents"];
  recentSessions: SessionSummary[];
}

/** An issue as lists show it: the Worker's error group with a title and one occurrence count. */
export type IssueSummary = Omit<Partial<Schemas["Issue"]>, "status" | "occurrences"> &
  Pick<Schemas["Issue"], "id" | "type" | "message" | "culprit"> & {
    title: string;
    status: IssueStatus;
    occurrences: number;
  };

/** Where a frame points: file, function, line and column. */
export interface FramePosition {
  file?: string | null;
  function?: string | null;
  line?: number | null;
  column?: number | null;
}

/**
 * A stack frame as stored: as the SDK sent it, or — when an uploaded source map resolved it — the
 * original position with source context, and the SDK's (minified) frame in `raw`.
 */
export interface Frame extends FramePosition {
  inApp?: boolean;
  symbolicated?: boolean;
  raw?: FramePosition;
  preContext?: string[];
  contextLine?: string;
  postContext?: string[];
}

export type SourceMapArtifact = Schemas["SourceMapArtifact"];

export interface Breadcrumb {
  timestamp?: string;
  category?: string;
  message?: string;
  level?: string;
  data?: Record<string, unknown>;
}

export type Occurrence = Omit<WireOccurrence, "frames" | "breadcrumbs"> & {
  frames: Frame[];
  breadcrumbs: Breadcrumb[];
};

/** One release's health as the Worker answers it (crash-free values are percents, null without data). */
export type ReleaseHealth = Schemas["ReleaseHealth"];

/** A release's detail with its issue lists titled like every other issue list. */
export type ReleaseDetail = Omit<Schemas["ReleaseDetail"], "newIssues" | "regressedIssues"> & {
  newIssues: IssueSummary[];
  regressedIssues: IssueSummary[];
};

export type IssueDetail = IssueSummary & {
  occurrencesList: Occurrence[];
  nextOccurrencesCursor: string | null;
  hourly: Schemas["IssueDetail"]["counts"];
  sessionsAffected: number;
};

/** A session as lists show it: the user or anonymous id, the error count and one device label. */
export type SessionSummary = Omit<WireSession, "device"> & {
  errors: number;
  device: string | null;
};

/** A session an issue has hit; `session` is null when no session was stored for the id. */
export type AffectedSession = Omit<Schemas["AffectedSession"], "session"> & { session: SessionSummary | null };

export type TimelineItem =
  | { kind: "event"; id: string; name: string; timestamp: string; properties?: Record<string, unknown> }
  | { kind: "error"; id: string; issueId: string | null; message: string; timestamp: string };

export type SessionDetail = SessionSummary & { timeline: TimelineItem[]; truncated: boolean };

export interface Usage {
  limit: number;
  months: { month: string; units: number }[];
  /** Rows Postgres refused as data, kept by the meter; null when it could not be asked. */
  deadLetters: Schemas["DeadLetters"] | null;
}

/** GET /api/orgs/:orgId/billing: answered with or without Stripe (`billing.configured`). */
export type Billing = Schemas["Billing"];
