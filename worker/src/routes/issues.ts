import { createRoute, z } from "@hono/zod-openapi";
import { requireProjectRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import {
  commonErrors,
  cookieAuth,
  decodeKeyset,
  encodeCursor,
  jsonBody,
  jsonContent,
  orRefuse,
  PageQuery,
  ProjectParams,
  RangeQuery,
  Text,
} from "../lib/api.ts";
import { setIssueStatus } from "../services/issues.ts";
import {
  getIssue,
  ISSUE_SORTS,
  type IssueSort,
  listAffectedSessions,
  listAffectedUsers,
  listIssues,
  listOccurrences,
} from "../services/reads/issues.ts";
import { resolveWindow } from "../services/reads/range.ts";
import { SessionSummarySchema } from "./sessions.ts";

export const IssueSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    message: z.string(),
    culprit: z.string().nullable(),
    status: z.string(),
    regressed: z.boolean(),
    occurrences: z.number(),
    usersAffected: z.number(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    lastRelease: z.string().nullable(),
    firstRelease: z
      .string()
      .nullable()
      .openapi({ description: "Release of its first occurrence that named one (the release it is new in)" }),
    app: z.string().nullable(),
    environment: z.string().nullable(),
  })
  .openapi("Issue");

const OccurrenceSchema = z
  .object({
    id: z.string(),
    timestamp: z.string(),
    type: z.string(),
    message: z.string(),
    level: z.string(),
    handled: z.boolean().nullable(),
    app: z.string(),
    platform: z.string().nullable(),
    environment: z.string().nullable(),
    release: z.string().nullable(),
    userId: z.string().nullable(),
    anonymousId: z.string().nullable(),
    sessionId: z.string().nullable(),
    url: z.string().nullable(),
    sdkName: z.string().nullable(),
    sdkVersion: z.string().nullable(),
    stack: z.string().nullable(),
    frames: z.array(z.unknown()).nullable(),
    breadcrumbs: z.array(z.unknown()),
    tags: z.record(z.string(), z.string()),
    context: z.record(z.string(), z.unknown()),
  })
  .openapi("ErrorOccurrence");

const tags = ["Read"];
const short = Text.min(1).max(200);
const IssueParams = ProjectParams.extend({ issueId: z.uuid() });
const Status = z.enum(["unresolved", "resolved", "ignored"]);

const listRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/issues",
  tags,
  security: cookieAuth,
  summary: "Error groups with filters and sort, keyset-paged",
  request: {
    params: ProjectParams,
    query: z.object({
      ...PageQuery,
      status: z.enum(["unresolved", "resolved", "ignored", "all"]).default("unresolved"),
      app: short.optional(),
      environment: short.optional(),
      release: short.optional(),
      q: short.optional(),
      sort: z.enum(ISSUE_SORTS).default("last_seen"),
    }),
  },
  responses: {
    200: jsonContent(z.object({ issues: z.array(IssueSchema), nextCursor: z.string().nullable() })),
    ...commonErrors,
  },
});

const detailRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/issues/{issueId}",
  tags,
  security: cookieAuth,
  summary: "An error group: latest occurrences, users and sessions affected, counts per hour (or day) over the range",
  request: { params: IssueParams, query: z.object(RangeQuery) },
  responses: {
    200: jsonContent(
      z
        .object({
          issue: IssueSchema,
          sessionsAffected: z.number(),
          counts: z.array(z.object({ t: z.string(), count: z.number() })),
          latestOccurrences: z.array(OccurrenceSchema),
          nextOccurrencesCursor: z.string().nullable(),
        })
        .openapi("IssueDetail"),
    ),
    ...commonErrors,
  },
});

const occurrencesRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/issues/{issueId}/occurrences",
  tags,
  security: cookieAuth,
  summary: "Occurrences of an error group, newest first, keyset-paged",
  request: { params: IssueParams, query: z.object(PageQuery) },
  responses: {
    200: jsonContent(z.object({ occurrences: z.array(OccurrenceSchema), nextCursor: z.string().nullable() })),
    ...commonErrors,
  },
});

const usersRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/issues/{issueId}/users",
  tags,
  security: cookieAuth,
  summary: "Users (or anonymous ids) the error group has hit, most occurrences first, keyset-paged",
  request: { params: IssueParams, query: z.object(PageQuery) },
  responses: {
    200: jsonContent(
      z.object({
        users: z.array(
          z
            .object({
              userKey: z.string().openapi({ description: "The user id, or the anonymous id when there was none" }),
              anonymous: z.boolean(),
              occurrences: z.number(),
              firstSeen: z.string(),
              lastSeen: z.string(),
            })
            .openapi("AffectedUser"),
        ),
        nextCursor: z.string().nullable(),
      }),
    ),
    ...commonErrors,
  },
});

const sessionsRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/issues/{issueId}/sessions",
  tags,
  security: cookieAuth,
  summary: "Sessions the error group has hit, latest hit first, keyset-paged, with each stored session's summary",
  request: { params: IssueParams, query: z.object(PageQuery) },
  responses: {
    200: jsonContent(
      z.object({
        sessions: z.array(
          z
            .object({
              sessionId: z.string(),
              app: z.string(),
              occurrences: z.number().openapi({ description: "Occurrences of this group in the session" }),
              firstSeen: z.string(),
              lastSeen: z.string(),
              // A union, not `.nullable()`: on a shared (referenced) schema the document would say
              // `allOf [$ref], nullable`, which generated clients read as never null.
              session: z.union([SessionSummarySchema, z.null()]).openapi({
                description: "The stored session; null when the SDK sent errors with this session id but no session",
              }),
            })
            .openapi("AffectedSession"),
        ),
        nextCursor: z.string().nullable(),
      }),
    ),
    ...commonErrors,
  },
});

const updateRoute = createRoute({
  method: "patch",
  path: "/api/projects/{projectId}/issues/{issueId}",
  tags,
  security: cookieAuth,
  summary: "Resolve, ignore or reopen (EDITOR+)",
  request: { params: IssueParams, body: jsonBody(z.object({ status: Status })) },
  responses: {
    200: jsonContent(z.object({ id: z.string(), status: Status, regressed: z.boolean() })),
    ...commonErrors,
  },
});

const CURSOR_KINDS: Record<IssueSort, "timestamp" | "bigint" | "number"> = {
  last_seen: "timestamp",
  first_seen: "timestamp",
  occurrences: "bigint",
  users: "bigint",
};

export function registerIssues(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeKeyset(query.cursor, [CURSOR_KINDS[query.sort], "uuid"]);
    const page = await listIssues(c.var.services.db(), project.id, query, query.sort, query.limit, after);
    return c.json({ issues: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(detailRoute, async (c) => {
    const { projectId, issueId } = c.req.valid("param");
    const { project } = await requireProjectRole(c, projectId, "VIEWER");
    const window = resolveWindow(c.req.valid("query"), "24h");
    const found = await getIssue(c.var.services.db(), project.id, issueId, window);
    if (!found) throw new ApiError("not_found", "Issue not found");
    return c.json(
      {
        ...found,
        nextOccurrencesCursor: found.nextOccurrencesCursor ? encodeCursor(found.nextOccurrencesCursor) : null,
      },
      200,
    );
  });

  app.openapi(occurrencesRoute, async (c) => {
    const { projectId, issueId } = c.req.valid("param");
    const { project } = await requireProjectRole(c, projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeKeyset(query.cursor, ["timestamp", "bigint"]);
    const page = await listOccurrences(c.var.services.db(), project.id, issueId, query.limit, after);
    return c.json({ occurrences: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(usersRoute, async (c) => {
    const { projectId, issueId } = c.req.valid("param");
    const { project } = await requireProjectRole(c, projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeKeyset(query.cursor, ["bigint", "text"]);
    const page = await listAffectedUsers(c.var.services.db(), project.id, issueId, query.limit, after);
    if (!page) throw new ApiError("not_found", "Issue not found");
    return c.json({ users: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(sessionsRoute, async (c) => {
    const { projectId, issueId } = c.req.valid("param");
    const { project } = await requireProjectRole(c, projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeKeyset(query.cursor, ["timestamp", "text"]);
    const page = await listAffectedSessions(c.var.services.db(), project.id, issueId, query.limit, after);
    if (!page) throw new ApiError("not_found", "Issue not found");
    return c.json({ sessions: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(updateRoute, async (c) => {
    const { projectId, issueId } = c.req.valid("param");
    const { project, auth } = await requireProjectRole(c, projectId, "EDITOR");
    const actor = { userId: auth.user.id, ip: clientIp(c) };
    const updated = orRefuse(
      await setIssueStatus(c.var.services.db(), project, issueId, c.req.valid("json").status, actor),
    );
    return c.json(updated, 200);
  });
}
