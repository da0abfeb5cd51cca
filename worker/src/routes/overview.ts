import { createRoute, z } from "@hono/zod-openapi";
import { requireProjectRole } from "../auth/rbac.ts";
import type { App } from "../context.ts";
import { commonErrors, cookieAuth, jsonContent, ProjectParams, RangeQuery, ScopeQuery } from "../lib/api.ts";
import { getOverview } from "../services/reads/overview.ts";
import { resolveWindow } from "../services/reads/range.ts";
import { SessionSummarySchema } from "./sessions.ts";

const Totals = z.object({
  events: z.number(),
  errors: z.number(),
  sessions: z.number(),
  activeUsers: z.number().openapi({ description: "Distinct user (or anonymous) ids among sessions started" }),
});

const OverviewSchema = z
  .object({
    window: z.object({ from: z.string(), to: z.string(), bucket: z.enum(["5m", "1h", "6h", "1d"]) }),
    totals: Totals,
    previous: z.object({ from: z.string(), to: z.string(), totals: Totals }),
    series: z.array(Totals.extend({ t: z.string() })),
    topErrorGroups: z.array(
      z.object({
        id: z.string(),
        type: z.string(),
        message: z.string(),
        culprit: z.string().nullable(),
        status: z.string(),
        count: z.number(),
      }),
    ),
    topEvents: z.array(z.object({ name: z.string(), count: z.number() })),
    recentSessions: z.array(SessionSummarySchema),
  })
  .openapi("Overview");

const route = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/overview",
  tags: ["Read"],
  security: cookieAuth,
  summary:
    "Totals and series for a range (bucket chosen by range), the previous period, top errors and events, recent sessions; optionally for one app and/or environment",
  request: { params: ProjectParams, query: z.object({ ...RangeQuery, ...ScopeQuery }) },
  responses: { 200: jsonContent(OverviewSchema), ...commonErrors },
});

export function registerOverview(app: App): void {
  app.openapi(route, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const window = resolveWindow(query, "24h");
    const scope = { app: query.app, environment: query.environment };
    return c.json(await getOverview(c.var.services.db(), project.id, window, scope), 200);
  });
}
