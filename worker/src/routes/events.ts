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
  ScopeQuery,
  Text,
} from "../lib/api.ts";
import { meterClient } from "../meter/client.ts";
import { DeadLetters } from "../meter/schemas.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { eventNames, filterOptions, getEvent, listEvents, usageByMonth } from "../services/reads/events.ts";
import { resolveWindow } from "../services/reads/range.ts";

const EventSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    timestamp: z.string(),
    receivedAt: z.string(),
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
    properties: z.record(z.string(), z.unknown()),
  })
  .openapi("Event");

const tags = ["Read"];
const short = Text.min(1).max(200);

const namesRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/events/names",
  tags,
  security: cookieAuth,
  summary:
    "Events grouped by name over a range (default 7d): count, last seen and a per-bucket trend; optionally for one app and/or environment",
  request: { params: ProjectParams, query: z.object({ ...RangeQuery, ...ScopeQuery }) },
  responses: {
    200: jsonContent(
      z
        .object({
          window: z.object({ from: z.string(), to: z.string(), bucket: z.enum(["5m", "1h", "6h", "1d"]) }),
          buckets: z
            .array(z.string())
            .openapi({ description: "Bucket starts (ISO 8601), as in the overview's series" }),
          names: z.array(
            z.object({
              name: z.string(),
              count: z.number(),
              lastSeen: z.string().nullable(),
              series: z.array(z.number()).openapi({ description: "Events per bucket, aligned with `buckets`" }),
            }),
          ),
        })
        .openapi("EventNames"),
    ),
    ...commonErrors,
  },
});

const listRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/events",
  tags,
  security: cookieAuth,
  summary: "Raw events newest first, keyset-paged; filters: name, app, environment, property key (and value), range",
  request: {
    params: ProjectParams,
    query: z.object({
      ...PageQuery,
      ...RangeQuery,
      name: short.optional(),
      app: short.optional(),
      environment: short.optional(),
      propertyKey: Text.min(1).max(100).optional(),
      propertyValue: Text.max(500).optional(),
    }),
  },
  responses: {
    200: jsonContent(z.object({ events: z.array(EventSchema), nextCursor: z.string().nullable() })),
    ...commonErrors,
  },
});

const detailRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/events/{eventId}",
  tags,
  security: cookieAuth,
  summary: "One event by its event id",
  request: { params: ProjectParams.extend({ eventId: z.uuid() }) },
  responses: { 200: jsonContent(EventSchema), ...commonErrors },
});

const filtersRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/filters",
  tags,
  security: cookieAuth,
  summary: "Apps, environments and releases seen in the project (most recent first)",
  request: { params: ProjectParams },
  responses: {
    200: jsonContent(
      z
        .object({ apps: z.array(z.string()), environments: z.array(z.string()), releases: z.array(z.string()) })
        .openapi("FilterOptions"),
    ),
    ...commonErrors,
  },
});

const usageRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/usage",
  tags,
  security: cookieAuth,
  summary: "Ingest units month by month (last 12), with the current plan's monthly quota",
  request: { params: ProjectParams },
  responses: {
    200: jsonContent(
      z.object({
        quota: z.number(),
        months: z.array(z.object({ month: z.string(), units: z.number() })),
        deadLetters: DeadLetters.nullable().openapi({ description: "null when the meter cannot be reached" }),
      }),
    ),
    ...commonErrors,
  },
});

export function registerEvents(app: App): void {
  app.openapi(namesRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const window = resolveWindow(query, "7d");
    const trend = await eventNames(c.var.services.db(), project.id, window, {
      app: query.app,
      environment: query.environment,
    });
    return c.json(
      {
        window: { from: window.from.toISOString(), to: window.to.toISOString(), bucket: window.bucketLabel },
        ...trend,
      },
      200,
    );
  });

  app.openapi(listRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    if (query.propertyValue !== undefined && !query.propertyKey) {
      throw new ApiError("validation_failed", "propertyValue needs propertyKey");
    }
    const window = query.range || query.from || query.to ? resolveWindow(query, "24h") : undefined;
    const after = decodeKeyset(query.cursor, ["timestamp", "bigint"]);
    const page = await listEvents(c.var.services.db(), project.id, { ...query, window }, query.limit, after);
    return c.json({ events: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(detailRoute, async (c) => {
    const { projectId, eventId } = c.req.valid("param");
    const { project } = await requireProjectRole(c, projectId, "VIEWER");
    const found = await getEvent(c.var.services.db(), project.id, eventId);
    if (!found) throw new ApiError("not_found", "Event not found");
    return c.json(found, 200);
  });

  app.openapi(filtersRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    return c.json(await filterOptions(c.var.services.db(), project.id), 200);
  });

  app.openapi(usageRoute, async (c) => {
    const { project, org } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const [months, deadLetters] = await Promise.all([
      usageByMonth(c.var.services.db(), project.id),
      meterClient(c.env, c.var.services.logger).deadLetters(project.id, 10),
    ]);
    return c.json({ quota: PLAN_LIMITS[effectivePlan(org)].monthlyUnits, months, deadLetters }, 200);
  });
}
