import { createRoute, z } from "@hono/zod-openapi";
import { requireProjectRole } from "../auth/rbac.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import {
  commonErrors,
  cookieAuth,
  decodeKeyset,
  encodeCursor,
  jsonContent,
  PageQuery,
  ProjectParams,
  RangeQuery,
  Text,
} from "../lib/api.ts";
import { resolveWindow } from "../services/reads/range.ts";
import { getSession, listSessions } from "../services/reads/sessions.ts";

export const SessionSummarySchema = z
  .object({
    id: z.string(),
    sessionId: z.string(),
    app: z.string(),
    status: z.string(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    lastSeenAt: z.string(),
    durationMs: z.number(),
    errorCount: z.number(),
    userId: z.string().nullable(),
    anonymousId: z.string().nullable(),
    release: z.string().nullable(),
    environment: z.string().nullable(),
    browser: z.string().nullable(),
    os: z.string().nullable(),
    device: z.string().nullable(),
    country: z.string().nullable(),
  })
  .openapi("SessionSummary");

const TimelineItemSchema = z.object({
  kind: z.enum(["event", "error"]),
  id: z.string(),
  timestamp: z.string(),
  name: z.string(),
  message: z.string().nullable(),
  groupId: z.string().nullable(),
  url: z.string().nullable(),
  properties: z.record(z.string(), z.unknown()).nullable(),
});

const tags = ["Read"];
const short = Text.min(1).max(200);

const listRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/sessions",
  tags,
  security: cookieAuth,
  summary: "Sessions, newest first, keyset-paged; filters: status, app, environment, user, range",
  request: {
    params: ProjectParams,
    query: z.object({
      ...PageQuery,
      ...RangeQuery,
      status: z.enum(["ok", "errored", "crashed", "abnormal"]).optional(),
      app: short.optional(),
      environment: short.optional(),
      userId: short.optional().openapi({ description: "User id, or the anonymous id of sessions without one" }),
    }),
  },
  responses: {
    200: jsonContent(z.object({ sessions: z.array(SessionSummarySchema), nextCursor: z.string().nullable() })),
    ...commonErrors,
  },
});

const detailRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/sessions/{sessionRowId}",
  tags,
  security: cookieAuth,
  summary: "A session with its events and errors in time order",
  request: { params: ProjectParams.extend({ sessionRowId: z.string().regex(/^[1-9][0-9]{0,17}$/, "a session id") }) },
  responses: {
    200: jsonContent(
      z
        .object({ session: SessionSummarySchema, timeline: z.array(TimelineItemSchema), truncated: z.boolean() })
        .openapi("SessionDetail"),
    ),
    ...commonErrors,
  },
});

export function registerSessions(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const window = query.range || query.from || query.to ? resolveWindow(query, "24h") : undefined;
    const after = decodeKeyset(query.cursor, ["timestamp", "bigint"]);
    const page = await listSessions(c.var.services.db(), project.id, { ...query, window }, query.limit, after);
    return c.json({ sessions: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(detailRoute, async (c) => {
    const { projectId, sessionRowId } = c.req.valid("param");
    const { project } = await requireProjectRole(c, projectId, "VIEWER");
    const found = await getSession(c.var.services.db(), project.id, sessionRowId);
    if (!found) throw new ApiError("not_found", "Session not found");
    return c.json(found, 200);
  });
}
