import { action, query } from "@solidjs/router";
import { mutate, read, worker } from "../server/worker";
import type { AffectedSession, AffectedUser, IssueDetail, IssueStatus, IssueSummary, Occurrence, Page } from "../types";
import { toIssue, toOccurrence, toSession } from "./mappers";
import { AFFECTED_PAGE, compact, OCCURRENCES_PAGE, scopeParams, type ViewFilters, windowParams } from "./params";

export interface IssueQuery extends ViewFilters {
  status?: string;
  q?: string;
  sort?: string;
  release?: string;
  cursor?: string;
}

const STATUSES = ["unresolved", "resolved", "ignored", "all"] as const;
const SORTS = ["last_seen", "first_seen", "occurrences", "users"] as const;

function oneOf<T extends string>(allowed: readonly T[], value: string | undefined): T | undefined {
  return allowed.find((option) => option === value);
}

export const getIssues = query(async (projectId: string, params: IssueQuery) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/issues", {
      params: {
        path: { projectId },
        query: compact({
          ...scopeParams(params),
          status: oneOf(STATUSES, params.status) ?? "unresolved",
          q: params.q,
          sort: oneOf(SORTS, params.sort),
          release: params.release,
          cursor: params.cursor,
        }),
      },
    }),
  );
  const page: Page<IssueSummary> = { items: wire.issues.map(toIssue), nextCursor: wire.nextCursor };
  return page;
}, "issues");

/** The issue's chart follows the view's time range (the detail route has no app/environment scope). */
export const getIssue = query(async (projectId: string, issueId: string, filters: ViewFilters = {}) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/issues/{issueId}", {
      params: { path: { projectId, issueId }, query: compact(windowParams(filters)) },
    }),
  );
  const detail: IssueDetail = {
    ...toIssue(wire.issue),
    sessionsAffected: wire.sessionsAffected,
    hourly: wire.counts,
    occurrencesList: wire.latestOccurrences.map(toOccurrence),
    nextOccurrencesCursor: wire.nextOccurrencesCursor,
  };
  return detail;
}, "issue");

/** Occurrences after the detail's latest ones, newest first; `cursor` pages on. */
export const getIssueOccurrences = query(async (projectId: string, issueId: string, cursor: string) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/issues/{issueId}/occurrences", {
      params: { path: { projectId, issueId }, query: { cursor, limit: OCCURRENCES_PAGE } },
    }),
  );
  const page: Page<Occurrence> = { items: wire.occurrences.map(toOccurrence), nextCursor: wire.nextCursor };
  return page;
}, "issue-occurrences");

/** Users (or anonymous ids) the issue has hit, most occurrences first; `cursor` pages on. */
export const getIssueUsers = query(async (projectId: string, issueId: string, cursor?: string) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/issues/{issueId}/users", {
      params: { path: { projectId, issueId }, query: compact({ cursor, limit: AFFECTED_PAGE }) },
    }),
  );
  const page: Page<AffectedUser> = { items: wire.users, nextCursor: wire.nextCursor };
  return page;
}, "issue-users");

/** Sessions the issue has hit, latest hit first, with the stored session when there is one. */
export const getIssueSessions = query(async (projectId: string, issueId: string, cursor?: string) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/issues/{issueId}/sessions", {
      params: { path: { projectId, issueId }, query: compact({ cursor, limit: AFFECTED_PAGE }) },
    }),
  );
  const page: Page<AffectedSession> = {
    items: wire.sessions.map((row) => ({ ...row, session: row.session ? toSession(row.session) : null })),
    nextCursor: wire.nextCursor,
  };
  return page;
}, "issue-sessions");

export const setIssueStatus = action(async (projectId: string, issueId: string, status: IssueStatus) => {
  "use server";
  return await mutate(
    worker().PATCH("/api/projects/{projectId}/issues/{issueId}", {
      params: { path: { projectId, issueId } },
      body: { status },
    }),
  );
}, "set-issue-status");
