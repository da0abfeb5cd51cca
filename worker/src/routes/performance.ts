import { createRoute, z } from "@hono/zod-openapi";
import { requireProjectRole } from "../auth/rbac.ts";
import type { App } from "../context.ts";
import { RATINGS, VITAL_NAMES } from "../ingest/performance.ts";
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
import {
  getPerformanceSummary,
  listPagePerformance,
  listRoutePerformance,
  ROUTE_SORTS,
} from "../services/reads/performance.ts";
import { resolveWindow } from "../services/reads/range.ts";

const estimate = (description: string) =>
  z
    .number()
    .nullable()
    .openapi({
      description: `${description}; from the log-bucket histograms, within 4.94 % of the exact (nearest-rank) value; null without samples`,
    });
const percent = (description: string) => z.number().nullable().openapi({ description });

const VitalValues = z
  .object(
    Object.fromEntries(VITAL_NAMES.map((name) => [name, z.number().nullable()])) as Record<
      (typeof VITAL_NAMES)[number],
      z.ZodNullable<z.ZodNumber>
    >,
  )
  .openapi("VitalValues", { description: "p75 of each vital (ms; CLS unitless), null without samples" });

const VitalStats = {
  samples: z.number(),
  p75: estimate("75th percentile (ms; CLS unitless)"),
  rating: z.enum(RATINGS).nullable().openapi({ description: "Google's rating of the p75" }),
  good: percent("Percent of samples rated good (exact)"),
  needsImprovement: percent("Percent rated needs-improvement (exact)"),
  poor: percent("Percent rated poor (exact)"),
};

const RequestStats = {
  count: z.number(),
  errors: z.number().openapi({ description: "Requests answered with status ≥ 500" }),
  errorRate: percent("Percent of requests with status ≥ 500; null without requests"),
  p50: estimate("Median duration (ms)"),
  p75: estimate("75th percentile duration (ms)"),
  p95: estimate("95th percentile duration (ms)"),
};

const tags = ["Read"];
const Window = z.object({ from: z.string(), to: z.string() });

const summaryRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/performance/summary",
  tags,
  security: cookieAuth,
  summary:
    "Web Vitals (p75, good / needs-improvement / poor shares) and request durations (p50/p95, error rate), with a series",
  description:
    "Ranges up to two days start on a whole hour with 1 h buckets; longer ones on a whole UTC day with 1 d buckets.",
  request: { params: ProjectParams, query: z.object({ ...RangeQuery, ...ScopeQuery }) },
  responses: {
    200: jsonContent(
      z
        .object({
          window: Window.extend({ bucket: z.enum(["1h", "1d"]) }),
          vitals: z.array(z.object({ name: z.enum(VITAL_NAMES), ...VitalStats })),
          requests: z.object(RequestStats),
          series: z.array(
            z.object({
              t: z.string(),
              requests: z.number(),
              errors: z.number(),
              p50: estimate("Median request duration"),
              p95: estimate("95th percentile request duration"),
              vitals: VitalValues,
            }),
          ),
        })
        .openapi("PerformanceSummary"),
    ),
    ...commonErrors,
  },
});

const pagesRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/performance/pages",
  tags,
  security: cookieAuth,
  summary: "Pages by the p75 of one vital (default LCP), slowest first; keyset-paged",
  request: {
    params: ProjectParams,
    query: z.object({ ...RangeQuery, ...ScopeQuery, ...PageQuery, vital: z.enum(VITAL_NAMES).default("LCP") }),
  },
  responses: {
    200: jsonContent(
      z
        .object({
          window: Window,
          pages: z.array(
            z.object({
              page: z.string().openapi({ description: "Normalised route of the page (ids as :id)" }),
              ...VitalStats,
              vitals: VitalValues,
            }),
          ),
          nextCursor: z.string().nullable(),
        })
        .openapi("PerformancePages"),
    ),
    ...commonErrors,
  },
});

const routesRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/performance/routes",
  tags,
  security: cookieAuth,
  summary: "Server routes (method + route) by request duration, slowest first by p95 (or p75, p50); keyset-paged",
  request: {
    params: ProjectParams,
    query: z.object({ ...RangeQuery, ...ScopeQuery, ...PageQuery, sort: z.enum(ROUTE_SORTS).default("p95") }),
  },
  responses: {
    200: jsonContent(
      z
        .object({
          window: Window,
          routes: z.array(z.object({ method: z.string(), route: z.string(), ...RequestStats })),
          nextCursor: z.string().nullable(),
        })
        .openapi("PerformanceRoutes"),
    ),
    ...commonErrors,
  },
});

export function registerPerformance(app: App): void {
  app.openapi(summaryRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const scope = { app: query.app, environment: query.environment };
    return c.json(
      await getPerformanceSummary(c.var.services.db(), project.id, resolveWindow(query, "24h"), scope),
      200,
    );
  });

  app.openapi(pagesRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeCursor(query.cursor, ["number", "string"]) as [number, string] | null;
    const { items, ...page } = await listPagePerformance(
      c.var.services.db(),
      project.id,
      resolveWindow(query, "24h"),
      { app: query.app, environment: query.environment },
      query.vital,
      query.limit,
      after,
    );
    return c.json({ ...page, pages: items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(routesRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeCursor(query.cursor, ["number", "string", "string"]) as [number, string, string] | null;
    const { items, ...page } = await listRoutePerformance(
      c.var.services.db(),
      project.id,
      resolveWindow(query, "24h"),
      { app: query.app, environment: query.environment },
      query.sort,
      query.limit,
      after,
    );
    return c.json({ ...page, routes: items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });
}
