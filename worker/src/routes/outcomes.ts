import { createRoute, z } from "@hono/zod-openapi";
import { requireProjectRole } from "../auth/rbac.ts";
import type { App } from "../context.ts";
import { commonErrors, cookieAuth, jsonContent, ProjectParams } from "../lib/api.ts";
import { outcomesByMonth } from "../services/reads/outcomes.ts";

const OutcomeSchema = z
  .object({
    month: z.string(),
    source: z.enum(["client", "ignored"]).openapi({
      description: "client: dropped by a Sentry SDK (its client reports); ignored: accepted, not stored",
    }),
    category: z.string().openapi({ description: "Sentry data category: error, transaction, span, session, replay, …" }),
    reason: z
      .string()
      .openapi({ description: "e.g. ratelimit_backoff, network_error, sample_rate; unsupported_item, child_span" }),
    quantity: z.number(),
  })
  .openapi("IntakeOutcome");

const outcomesRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/usage/outcomes",
  tags: ["Read"],
  security: cookieAuth,
  summary: "What the Sentry intake saw but did not store, by month, category and reason (last 3 months)",
  request: { params: ProjectParams },
  responses: {
    200: jsonContent(z.object({ outcomes: z.array(OutcomeSchema) })),
    ...commonErrors,
  },
});

export function registerOutcomes(app: App): void {
  app.openapi(outcomesRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    return c.json({ outcomes: await outcomesByMonth(c.var.services.db(), project.id) }, 200);
  });
}
