import { createRoute, z } from "@hono/zod-openapi";
import type { AlertDestination, AlertRule } from "@telemetry-tracker/db";
import type { Context } from "hono";
import { ALERT_LIMITS, CustomParams } from "../alerts/rules.ts";
import { type ProjectAccess, requireProjectRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import type { App, AppEnv } from "../context.ts";
import {
  commonErrors,
  cookieAuth,
  decodeCursor,
  encodeCursor,
  jsonBody,
  jsonContent,
  Ok,
  orRefuse,
  PageQuery,
  ProjectParams,
} from "../lib/api.ts";
import {
  createDestination,
  createRule,
  deleteDestination,
  deleteRule,
  rotateDestinationSecret,
  rulesOf,
  sendTestAlert,
  updateDestination,
  updateRule,
} from "../services/alerts.ts";
import { type After, listAlertEvents, listDeliveries, listDestinations } from "../services/reads/alerts.ts";

const tags = ["Alerts"];
const RuleParams = ProjectParams.extend({ ruleId: z.uuid().openapi({ param: { name: "ruleId", in: "path" } }) });
const DestinationParams = ProjectParams.extend({
  destinationId: z.uuid().openapi({ param: { name: "destinationId", in: "path" } }),
});

const KIND = z.enum(["new_issue", "regression", "error_spike", "quota_near", "quota_exceeded", "custom"]);
const cooldown = z.number().int().min(0).max(ALERT_LIMITS.maxCooldownSeconds);
const destinationIdList = z.array(z.uuid()).max(ALERT_LIMITS.destinationsPerProject);

const AlertRuleSchema = z
  .object({
    id: z.uuid(),
    kind: KIND,
    builtin: z.boolean(),
    name: z.string(),
    enabled: z.boolean(),
    params: z.record(z.string(), z.unknown()),
    cooldownSeconds: z.number().nullable(),
    destinationIds: z.array(z.uuid()).nullable().openapi({ description: "null: every enabled destination" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("AlertRule");

const ruleDto = (rule: AlertRule) => ({
  id: rule.id,
  kind: rule.kind,
  builtin: rule.kind !== "custom",
  name: rule.name,
  enabled: rule.enabled,
  params: rule.params,
  cooldownSeconds: rule.cooldownSeconds,
  destinationIds: rule.destinationIds,
  createdAt: rule.createdAt.toISOString(),
  updatedAt: rule.updatedAt.toISOString(),
});

const FORMAT = z.enum(["generic", "slack", "discord", "teams"]);
const AlertDestinationSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    kind: z.enum(["email", "webhook"]),
    format: FORMAT.nullable(),
    url: z.string().nullable(),
    userIds: z.array(z.uuid()).nullable(),
    enabled: z.boolean(),
    hasSecret: z.boolean(),
    consecutiveFailures: z.number(),
    disabledReason: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("AlertDestination");

const destinationDto = (d: AlertDestination) => ({
  id: d.id,
  name: d.name,
  kind: d.kind,
  format: d.format,
  url: d.url,
  userIds: d.userIds,
  enabled: d.enabled,
  hasSecret: d.secret !== null,
  consecutiveFailures: d.consecutiveFailures,
  disabledReason: d.disabledReason,
  createdAt: d.createdAt.toISOString(),
  updatedAt: d.updatedAt.toISOString(),
});

const AttemptSchema = z.object({
  attemptedAt: z.string(),
  statusCode: z.number().nullable(),
  error: z.string().nullable(),
  durationMs: z.number(),
});
const DeliverySchema = z
  .object({
    id: z.uuid(),
    alertEventId: z.uuid(),
    alertTitle: z.string(),
    destinationId: z.uuid(),
    destinationName: z.string(),
    status: z.enum(["pending", "delivered", "dead"]),
    attempts: z.number(),
    nextAttemptAt: z.string().nullable(),
    lastStatusCode: z.number().nullable(),
    lastError: z.string().nullable(),
    deliveredAt: z.string().nullable(),
    createdAt: z.string(),
    attemptLog: z.array(AttemptSchema),
  })
  .openapi("AlertDelivery");

const AlertEventSchema = z
  .object({
    id: z.uuid(),
    kind: z.string(),
    ruleId: z.uuid().nullable(),
    dedupeKey: z.string(),
    title: z.string(),
    text: z.string(),
    path: z.string().nullable(),
    data: z.record(z.string(), z.unknown()),
    firedAt: z.string(),
    deliveries: z.object({ pending: z.number(), delivered: z.number(), dead: z.number() }),
  })
  .openapi("AlertEvent");

const CreateRuleBody = z
  .object({
    name: z.string().trim().min(1).max(100),
    enabled: z.boolean().default(true),
    params: CustomParams,
    cooldownSeconds: cooldown.default(ALERT_LIMITS.defaultCooldownSeconds),
    destinationIds: destinationIdList.nullable().default(null),
  })
  .strict()
  .openapi("NewAlertRule");
const PatchRuleBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
    params: z.record(z.string(), z.unknown()).optional().openapi({ description: "Validated against the rule's kind" }),
    cooldownSeconds: cooldown.nullable().optional(),
    destinationIds: destinationIdList.nullable().optional(),
  })
  .strict()
  .openapi("AlertRulePatch");

const webhookUrl = z.string().trim().min(1).max(2048);
const CreateDestinationBody = z
  .discriminatedUnion("kind", [
    z
      .object({
        kind: z.literal("webhook"),
        name: z.string().trim().min(1).max(100),
        url: webhookUrl,
        format: FORMAT.default("generic"),
      })
      .strict(),
    z
      .object({
        kind: z.literal("email"),
        name: z.string().trim().min(1).max(100),
        userIds: z.array(z.uuid()).min(1).max(50),
      })
      .strict(),
  ])
  .openapi("NewAlertDestination");
const PatchDestinationBody = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    enabled: z.boolean().optional(),
    url: webhookUrl.optional(),
    format: FORMAT.optional(),
    userIds: z.array(z.uuid()).min(1).max(50).optional(),
  })
  .strict()
  .openapi("AlertDestinationPatch");

const secretNote = "Shown once: receivers verify `Telemetry-Signature` with it (README, Alerts)";

const routes = {
  listRules: createRoute({
    method: "get",
    path: "/api/projects/{projectId}/alerts/rules",
    tags,
    security: cookieAuth,
    summary: "Alert rules of a project, built-ins first (VIEWER+)",
    request: { params: ProjectParams },
    responses: { 200: jsonContent(z.object({ rules: z.array(AlertRuleSchema) })), ...commonErrors },
  }),
  createRule: createRoute({
    method: "post",
    path: "/api/projects/{projectId}/alerts/rules",
    tags,
    security: cookieAuth,
    summary: `Create a custom rule (EDITOR+); at most ${ALERT_LIMITS.customRulesPerProject} per project (403 alert_rule_limit)`,
    request: { params: ProjectParams, body: jsonBody(CreateRuleBody) },
    responses: { 201: jsonContent(z.object({ rule: AlertRuleSchema }), "Created"), ...commonErrors },
  }),
  patchRule: createRoute({
    method: "patch",
    path: "/api/projects/{projectId}/alerts/rules/{ruleId}",
    tags,
    security: cookieAuth,
    summary: "Change a rule: toggle, rename, params, cooldown, destinations (EDITOR+)",
    request: { params: RuleParams, body: jsonBody(PatchRuleBody) },
    responses: { 200: jsonContent(z.object({ rule: AlertRuleSchema })), ...commonErrors },
  }),
  deleteRule: createRoute({
    method: "delete",
    path: "/api/projects/{projectId}/alerts/rules/{ruleId}",
    tags,
    security: cookieAuth,
    summary: "Delete a custom rule (EDITOR+); built-ins can only be disabled (409 builtin_rule)",
    request: { params: RuleParams },
    responses: { 200: jsonContent(Ok), ...commonErrors },
  }),
  listDestinations: createRoute({
    method: "get",
    path: "/api/projects/{projectId}/alerts/destinations",
    tags,
    security: cookieAuth,
    summary: "Alert destinations (VIEWER+); never a secret",
    request: { params: ProjectParams },
    responses: { 200: jsonContent(z.object({ destinations: z.array(AlertDestinationSchema) })), ...commonErrors },
  }),
  createDestination: createRoute({
    method: "post",
    path: "/api/projects/{projectId}/alerts/destinations",
    tags,
    security: cookieAuth,
    summary: "Add an email or webhook destination (EDITOR+); a webhook's signing secret is in this answer only",
    request: { params: ProjectParams, body: jsonBody(CreateDestinationBody) },
    responses: {
      201: jsonContent(
        z.object({
          destination: AlertDestinationSchema,
          secret: z.string().optional().openapi({ description: secretNote }),
        }),
        "Created",
      ),
      ...commonErrors,
    },
  }),
  patchDestination: createRoute({
    method: "patch",
    path: "/api/projects/{projectId}/alerts/destinations/{destinationId}",
    tags,
    security: cookieAuth,
    summary: "Change a destination (EDITOR+); enabling it again clears its failure streak",
    request: { params: DestinationParams, body: jsonBody(PatchDestinationBody) },
    responses: { 200: jsonContent(z.object({ destination: AlertDestinationSchema })), ...commonErrors },
  }),
  deleteDestination: createRoute({
    method: "delete",
    path: "/api/projects/{projectId}/alerts/destinations/{destinationId}",
    tags,
    security: cookieAuth,
    summary: "Delete a destination and its queued deliveries (EDITOR+)",
    request: { params: DestinationParams },
    responses: { 200: jsonContent(Ok), ...commonErrors },
  }),
  rotateSecret: createRoute({
    method: "post",
    path: "/api/projects/{projectId}/alerts/destinations/{destinationId}/secret",
    tags,
    security: cookieAuth,
    summary: "Replace a webhook's signing secret (OWNER); the new one is in this answer only",
    request: { params: DestinationParams },
    responses: {
      200: jsonContent(z.object({ secret: z.string().openapi({ description: secretNote }) })),
      ...commonErrors,
    },
  }),
  sendTest: createRoute({
    method: "post",
    path: "/api/projects/{projectId}/alerts/destinations/{destinationId}/test",
    tags,
    security: cookieAuth,
    summary: "Send a test alert now (EDITOR+) and answer how the attempt went",
    request: { params: DestinationParams },
    responses: { 200: jsonContent(z.object({ delivery: DeliverySchema })), ...commonErrors },
  }),
  listEvents: createRoute({
    method: "get",
    path: "/api/projects/{projectId}/alerts/events",
    tags,
    security: cookieAuth,
    summary: "Fired alerts, newest first (VIEWER+)",
    request: { params: ProjectParams, query: z.object(PageQuery) },
    responses: {
      200: jsonContent(z.object({ events: z.array(AlertEventSchema), nextCursor: z.string().nullable() })),
      ...commonErrors,
    },
  }),
  listDeliveries: createRoute({
    method: "get",
    path: "/api/projects/{projectId}/alerts/deliveries",
    tags,
    security: cookieAuth,
    summary: "Delivery log with every attempt, newest first (VIEWER+)",
    request: {
      params: ProjectParams,
      query: z.object({
        ...PageQuery,
        destinationId: z.uuid().optional(),
        status: z.enum(["pending", "delivered", "dead"]).optional(),
      }),
    },
    responses: {
      200: jsonContent(z.object({ deliveries: z.array(DeliverySchema), nextCursor: z.string().nullable() })),
      ...commonErrors,
    },
  }),
};

const scopeOf = (access: ProjectAccess) => ({ orgId: access.org.id, projectId: access.project.id });
const actorOf = (c: Context<AppEnv>, access: ProjectAccess) => ({ userId: access.auth.user.id, ip: clientIp(c) });

/** The keyset position a `cursor` names (newest-first lists: time, id). */
function afterCursor(cursor: string | undefined): After | null {
  const after = decodeCursor(cursor, ["string", "string"]);
  return after ? { at: after[0] as string, id: after[1] as string } : null;
}

export function registerAlerts(app: App): void {
  app.openapi(routes.listRules, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    return c.json({ rules: (await rulesOf(c.var.services.db(), project.id)).map(ruleDto) }, 200);
  });

  app.openapi(routes.createRule, async (c) => {
    const access = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const db = c.var.services.db();
    const rule = orRefuse(await createRule(db, scopeOf(access), c.req.valid("json"), actorOf(c, access)));
    return c.json({ rule: ruleDto(rule) }, 201);
  });

  app.openapi(routes.patchRule, async (c) => {
    const { projectId, ruleId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const db = c.var.services.db();
    const rule = orRefuse(await updateRule(db, scopeOf(access), ruleId, c.req.valid("json"), actorOf(c, access)));
    return c.json({ rule: ruleDto(rule) }, 200);
  });

  app.openapi(routes.deleteRule, async (c) => {
    const { projectId, ruleId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    orRefuse(await deleteRule(c.var.services.db(), scopeOf(access), ruleId, actorOf(c, access)));
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(routes.listDestinations, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    return c.json({ destinations: (await listDestinations(c.var.services.db(), project.id)).map(destinationDto) }, 200);
  });

  app.openapi(routes.createDestination, async (c) => {
    const access = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const { destination, secret } = orRefuse(
      await createDestination(c.var.services.db(), c.env, scopeOf(access), c.req.valid("json"), actorOf(c, access)),
    );
    return c.json({ destination: destinationDto(destination), ...(secret ? { secret } : {}) }, 201);
  });

  app.openapi(routes.patchDestination, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const destination = orRefuse(
      await updateDestination(
        c.var.services.db(),
        c.env,
        scopeOf(access),
        destinationId,
        c.req.valid("json"),
        actorOf(c, access),
      ),
    );
    return c.json({ destination: destinationDto(destination) }, 200);
  });

  app.openapi(routes.deleteDestination, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    orRefuse(await deleteDestination(c.var.services.db(), scopeOf(access), destinationId, actorOf(c, access)));
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(routes.rotateSecret, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "OWNER");
    const secret = orRefuse(
      await rotateDestinationSecret(c.var.services.db(), scopeOf(access), destinationId, actorOf(c, access)),
    );
    return c.json({ secret }, 200);
  });

  app.openapi(routes.sendTest, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const db = c.var.services.db();
    const actor = { ...actorOf(c, access), email: access.auth.user.email };
    const services = { env: c.env, logger: c.var.services.logger };
    const deliveryId = orRefuse(await sendTestAlert(db, services, scopeOf(access), destinationId, actor));
    const [delivery] = (await listDeliveries(db, access.project.id, { ids: [deliveryId] }, 1, null)).items;
    return c.json({ delivery }, 200);
  });

  app.openapi(routes.listEvents, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const page = await listAlertEvents(c.var.services.db(), project.id, query.limit, afterCursor(query.cursor));
    return c.json({ events: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });

  app.openapi(routes.listDeliveries, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const { limit, cursor, ...filters } = c.req.valid("query");
    const page = await listDeliveries(c.var.services.db(), project.id, filters, limit, afterCursor(cursor));
    return c.json({ deliveries: page.items, nextCursor: page.nextCursor ? encodeCursor(page.nextCursor) : null }, 200);
  });
}
