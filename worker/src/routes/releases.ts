import { createRoute, z } from "@hono/zod-openapi";
import { requireProjectRole } from "../auth/rbac.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import {
  commonErrors,
  cookieAuth,
  decodeCursor,
  encodeCursor,
  jsonContent,
  PageQuery,
  ProjectParams,
  RangeQuery,
  ScopeQuery,
} from "../lib/api.ts";
import { resolveWindow } from "../services/reads/range.ts";
import { getRelease, listReleases, RELEASE_SORTS } from "../services/reads/releases.ts";
import { IssueSchema } from "./issues.ts";

const percent = (description: string) => z.number().nullable().openapi({ description });

const ReleaseHealthSchema = z
  .object({
    release: z.string(),
    firstSeen: z.string().nullable().openapi({ description: "Start of the first UTC hour with data, all time" }),
    lastSeen: z.string().nullable().openapi({ description: "Start of the last UTC hour with data, all time" }),
    sessions: z.number().openapi({ description: "Sessions started in the range" }),
    errored: z.number().openapi({ description: "…of which ended errored (a handled error happened)" }),
    crashed: z.number().openapi({ description: "…of which crashed" }),
    abnormal: z.number().openapi({ description: "…of which ended abnormally (the app vanished)" }),
    users: z.number().openapi({ description: "Distinct user (or anonymous) ids with a session, whole UTC days" }),
    crashedUsers: z.number(),
    crashFreeSessions: percent("Percent of sessions that did not crash; null without sessions"),
    crashFreeUsers: percent("Percent of users without a crashed session; null without users"),
    errors: z.number().openapi({ description: "Error occurrences in the range" }),
    newIssues: z.number().openapi({ description: "Issues first seen in this release" }),
    adoption: z.number().openapi({ description: "Percent of the range's release-tagged sessions" }),
  })
  .openapi("ReleaseHealth");

const tags = ["Read"];

const listRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/releases",
  tags,
  security: cookieAuth,
  summary:
    "Releases active in the range with crash-free sessions and users, status counts, errors, new issues and adoption; keyset-paged",
  description:
    "Sort `adoption` (most sessions first), `crash_free` (least crash-free first), `errors` (most first), `first_seen` (newest first).",
  request: {
    params: ProjectParams,
    query: z.object({
      ...RangeQuery,
      ...ScopeQuery,
      ...PageQuery,
      sort: z.enum(RELEASE_SORTS).default("adoption"),
    }),
  },
  responses: {
    200: jsonContent(
      z.object({
        window: z.object({ from: z.string(), to: z.string() }),
        releases: z.array(ReleaseHealthSchema),
        nextCursor: z.string().nullable(),
      }),
    ),
    ...commonErrors,
  },
});

const detailRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/releases/{release}",
  tags,
  security: cookieAuth,
  summary:
    "One release: its health over the range, a per-bucket series, the issues new in it and those that regressed in it",
  request: {
    params: ProjectParams.extend({ release: z.string().min(1).max(200) }),
    query: z.object({ ...RangeQuery, ...ScopeQuery }),
  },
  responses: {
    200: jsonContent(
      z
        .object({
          window: z.object({ from: z.string(), to: z.string(), bucket: z.enum(["5m", "1h", "6h", "1d"]) }),
          health: ReleaseHealthSchema,
          series: z.array(
            z.object({
              t: z.string(),
              sessions: z.number(),
              errored: z.number(),
              crashed: z.number(),
              abnormal: z.number(),
              errors: z.number(),
              crashFreeSessions: z.number().nullable(),
            }),
          ),
          newIssues: z
            .array(IssueSchema)
            .openapi({ description: "First seen in this release (up to 50, most occurrences first)" }),
          regressedIssues: z
            .array(IssueSchema)
            .openapi({ description: "Resolved, then seen again, last in this release (up to 50)" }),
        })
        .openapi("ReleaseDetail"),
    ),
    ...commonErrors,
  },
});

export function registerReleases(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeCursor(query.cursor, ["number", "string"]) as [number, string] | null;
    const page = await listReleases(
      c.var.services.db(),
      project.id,
      resolveWindow(query, "24h"),
      { app: query.app, environment: query.environment },
      query.sort,
      query.limit,
      after,
    );
    return c.json({ ...page, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(detailRoute, async (c) => {
    const params = c.req.valid("param");
    const { project } = await requireProjectRole(c, params.projectId, "VIEWER");
    const query = c.req.valid("query");
    const detail = await getRelease(
      c.var.services.db(),
      project.id,
      resolveWindow(query, "24h"),
      { app: query.app, environment: query.environment },
      params.release,
    );
    if (!detail) throw new ApiError("not_found", "Release not found");
    return c.json(detail, 200);
  });
}
