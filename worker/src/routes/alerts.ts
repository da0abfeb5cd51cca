import { createRoute, z } from "@hono/zod-openapi";
import {
  type AlertDestination,
  type AlertRule,
  alertDeliveries,
  alertDeliveryAttempts,
  alertDestinations,
  alertEvents,
  alertRules,
  type Database as DB,
  memberships,
} from "@telemetry-tracker/db";
import { and, asc, count, desc, eq, inArray, lt, or, sql } from "drizzle-orm";
import { drainDeliveries, isProduction } from "../alerts/deliver.ts";
import { unsafeUrlReason } from "../alerts/outbound.ts";
import { ALERT_LIMITS, CustomParams, materializeBuiltins, PARAMS_BY_KIND } from "../alerts/rules.ts";
import { generateDestinationSecret } from "../alerts/signing.ts";
import { type ProjectAccess, requireProjectRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import {
  commonErrors,
  cookieAuth,
  decodeCursor,
  encodeCursor,
  iso,
  jsonBody,
  jsonContent,
  Ok,
  PageQuery,
  ProjectParams,
} from "../lib/api.ts";
import { recordAudit } from "../services/audit.ts";

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

/** A field-level 400 in the one envelope, like zod's own. */
function invalid(path: string, message: string): never {
  throw new ApiError("validation_failed", "The request is invalid", { details: [{ path, message }] });
}

function parseParams(kind: AlertRule["kind"], params: unknown): Record<string, unknown> {
  const parsed = PARAMS_BY_KIND[kind].safeParse(params);
  if (!parsed.success) {
    throw new ApiError("validation_failed", "The request is invalid", {
      details: parsed.error.issues.map((issue) => ({
        path: ["params", ...issue.path].join("."),
        message: issue.message,
      })),
    });
  }
  return parsed.data as Record<string, unknown>;
}

export function registerAlerts(app: App): void {
  async function checkDestinationIds(access: ProjectAccess, ids: string[] | null | undefined, database: DB) {
    if (!ids || ids.length === 0) return;
    const found = await database
      .select({ id: alertDestinations.id })
      .from(alertDestinations)
      .where(and(eq(alertDestinations.projectId, access.project.id), inArray(alertDestinations.id, ids)));
    const known = new Set(found.map((row) => row.id));
    const unknown = ids.findIndex((id) => !known.has(id));
    if (unknown >= 0) invalid(`destinationIds.${unknown}`, "no such destination in this project");
  }

  async function checkMembers(access: ProjectAccess, userIds: string[], database: DB) {
    const found = await database
      .select({ userId: memberships.userId })
      .from(memberships)
      .where(and(eq(memberships.orgId, access.org.id), inArray(memberships.userId, userIds)));
    const known = new Set(found.map((row) => row.userId));
    const unknown = userIds.findIndex((id) => !known.has(id));
    if (unknown >= 0) invalid(`userIds.${unknown}`, "not a member of this organization");
  }

  const audit = (
    c: Parameters<typeof clientIp>[0],
    access: ProjectAccess,
    database: DB,
    action: string,
    target: { type: string; id: string },
    metadata: Record<string, unknown> = {},
  ) =>
    recordAudit(database, {
      orgId: access.org.id,
      actorUserId: access.auth.user.id,
      action,
      targetType: target.type,
      targetId: target.id,
      metadata: { projectId: access.project.id, ...metadata },
      ip: clientIp(c),
    });

  async function findRule(database: DB, projectId: string, ruleId: string): Promise<AlertRule> {
    const [rule] = await database
      .select()
      .from(alertRules)
      .where(and(eq(alertRules.id, ruleId), eq(alertRules.projectId, projectId)));
    if (!rule) throw new ApiError("not_found", "No such alert rule in this project");
    return rule;
  }

  async function findDestination(database: DB, projectId: string, destinationId: string): Promise<AlertDestination> {
    const [destination] = await database
      .select()
      .from(alertDestinations)
      .where(and(eq(alertDestinations.id, destinationId), eq(alertDestinations.projectId, projectId)));
    if (!destination) throw new ApiError("not_found", "No such alert destination in this project");
    return destination;
  }

  app.openapi(routes.listRules, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const database = c.var.services.db();
    // Built-ins get their row on first sight, so each has an id to toggle; they are on by default.
    await materializeBuiltins(database, project.id);
    const rows = await database
      .select()
      .from(alertRules)
      .where(eq(alertRules.projectId, project.id))
      .orderBy(
        sql`array_position(array['new_issue','regression','error_spike','quota_near','quota_exceeded','custom'], ${alertRules.kind})`,
        asc(alertRules.createdAt),
        asc(alertRules.id),
      );
    return c.json({ rules: rows.map(ruleDto) }, 200);
  });

  app.openapi(routes.createRule, async (c) => {
    const access = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const body = c.req.valid("json");
    const database = c.var.services.db();
    await checkDestinationIds(access, body.destinationIds, database);
    const rule = await database.transaction(async (tx) => {
      // Serialises concurrent creates against the cap (same pattern as API keys).
      await tx.execute(sql`select id from projects where id = ${access.project.id}::uuid for update`);
      const [{ custom }] = await tx
        .select({ custom: count() })
        .from(alertRules)
        .where(and(eq(alertRules.projectId, access.project.id), eq(alertRules.kind, "custom")));
      if (custom >= ALERT_LIMITS.customRulesPerProject) {
        throw new ApiError(
          "alert_rule_limit",
          `A project may have ${ALERT_LIMITS.customRulesPerProject} custom alert rules`,
          { details: { limit: ALERT_LIMITS.customRulesPerProject } },
        );
      }
      const [created] = await tx
        .insert(alertRules)
        .values({
          projectId: access.project.id,
          kind: "custom",
          name: body.name,
          enabled: body.enabled,
          params: body.params,
          cooldownSeconds: body.cooldownSeconds,
          destinationIds: body.destinationIds,
        })
        .returning();
      return created;
    });
    await audit(c, access, database, "alert_rule.create", { type: "alert_rule", id: rule.id }, { name: rule.name });
    return c.json({ rule: ruleDto(rule) }, 201);
  });

  app.openapi(routes.patchRule, async (c) => {
    const { projectId, ruleId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const body = c.req.valid("json");
    const database = c.var.services.db();
    const rule = await findRule(database, access.project.id, ruleId);
    const params = body.params === undefined ? undefined : parseParams(rule.kind, body.params);
    await checkDestinationIds(access, body.destinationIds, database);
    const [updated] = await database
      .update(alertRules)
      .set({
        ...(body.name !== undefined && { name: body.name }),
        ...(body.enabled !== undefined && { enabled: body.enabled }),
        ...(params !== undefined && { params }),
        ...(body.cooldownSeconds !== undefined && { cooldownSeconds: body.cooldownSeconds }),
        ...(body.destinationIds !== undefined && { destinationIds: body.destinationIds }),
        updatedAt: new Date(),
      })
      .where(eq(alertRules.id, rule.id))
      .returning();
    await audit(
      c,
      access,
      database,
      "alert_rule.update",
      { type: "alert_rule", id: rule.id },
      {
        kind: rule.kind,
        changed: Object.keys(body),
      },
    );
    return c.json({ rule: ruleDto(updated) }, 200);
  });

  app.openapi(routes.deleteRule, async (c) => {
    const { projectId, ruleId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const database = c.var.services.db();
    const rule = await findRule(database, access.project.id, ruleId);
    if (rule.kind !== "custom") throw new ApiError("builtin_rule", "Built-in rules can be disabled, not deleted");
    await database.delete(alertRules).where(eq(alertRules.id, rule.id));
    await audit(c, access, database, "alert_rule.delete", { type: "alert_rule", id: rule.id }, { name: rule.name });
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(routes.listDestinations, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const rows = await c.var.services
      .db()
      .select()
      .from(alertDestinations)
      .where(eq(alertDestinations.projectId, project.id))
      .orderBy(asc(alertDestinations.createdAt), asc(alertDestinations.id));
    return c.json({ destinations: rows.map(destinationDto) }, 200);
  });

  app.openapi(routes.createDestination, async (c) => {
    const access = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const body = c.req.valid("json");
    const database = c.var.services.db();
    if (body.kind === "webhook") {
      const reason = unsafeUrlReason(body.url, isProduction(c.env));
      if (reason) invalid("url", reason);
    } else {
      await checkMembers(access, body.userIds, database);
    }
    const secret = body.kind === "webhook" ? generateDestinationSecret() : null;
    const destination = await database.transaction(async (tx) => {
      await tx.execute(sql`select id from projects where id = ${access.project.id}::uuid for update`);
      const [{ existing }] = await tx
        .select({ existing: count() })
        .from(alertDestinations)
        .where(eq(alertDestinations.projectId, access.project.id));
      if (existing >= ALERT_LIMITS.destinationsPerProject) {
        throw new ApiError(
          "destination_limit",
          `A project may have ${ALERT_LIMITS.destinationsPerProject} alert destinations`,
          { details: { limit: ALERT_LIMITS.destinationsPerProject } },
        );
      }
      const [created] = await tx
        .insert(alertDestinations)
        .values({
          projectId: access.project.id,
          name: body.name,
          kind: body.kind,
          format: body.kind === "webhook" ? body.format : null,
          url: body.kind === "webhook" ? body.url : null,
          userIds: body.kind === "email" ? body.userIds : null,
          secret,
        })
        .returning();
      return created;
    });
    await audit(
      c,
      access,
      database,
      "alert_destination.create",
      { type: "alert_destination", id: destination.id },
      {
        name: destination.name,
        kind: destination.kind,
        format: destination.format,
      },
    );
    return c.json({ destination: destinationDto(destination), ...(secret ? { secret } : {}) }, 201);
  });

  app.openapi(routes.patchDestination, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const body = c.req.valid("json");
    const database = c.var.services.db();
    const destination = await findDestination(database, access.project.id, destinationId);
    if (destination.kind === "email" && (body.url !== undefined || body.format !== undefined)) {
      invalid(body.url !== undefined ? "url" : "format", "an email destination has no URL or format");
    }
    if (destination.kind === "webhook" && body.userIds !== undefined) {
      invalid("userIds", "a webhook destination has no recipients");
    }
    if (body.url !== undefined) {
      const reason = unsafeUrlReason(body.url, isProduction(c.env));
      if (reason) invalid("url", reason);
    }
    if (body.userIds) await checkMembers(access, body.userIds, database);
    const reenabled = body.enabled === true && !destination.enabled;
    const [updated] = await database
      .update(alertDestinations)
      .set({
        ...(body.name !== undefined && { name: body.name }),
        ...(body.enabled !== undefined && { enabled: body.enabled }),
        ...(body.url !== undefined && { url: body.url }),
        ...(body.format !== undefined && { format: body.format }),
        ...(body.userIds !== undefined && { userIds: body.userIds }),
        ...(reenabled && { consecutiveFailures: 0, disabledReason: null }),
        updatedAt: new Date(),
      })
      .where(eq(alertDestinations.id, destination.id))
      .returning();
    await audit(
      c,
      access,
      database,
      "alert_destination.update",
      { type: "alert_destination", id: destination.id },
      {
        changed: Object.keys(body),
      },
    );
    return c.json({ destination: destinationDto(updated) }, 200);
  });

  app.openapi(routes.deleteDestination, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const database = c.var.services.db();
    const destination = await findDestination(database, access.project.id, destinationId);
    await database.delete(alertDestinations).where(eq(alertDestinations.id, destination.id));
    // Rules naming it keep the others; a rule left with none falls back to "every destination".
    await database.execute(sql`
      update alert_rules set destination_ids = nullif(array_remove(destination_ids, ${destination.id}::uuid), '{}')
      where project_id = ${access.project.id}::uuid and ${destination.id}::uuid = any(destination_ids)`);
    await audit(
      c,
      access,
      database,
      "alert_destination.delete",
      { type: "alert_destination", id: destination.id },
      {
        name: destination.name,
      },
    );
    return c.json({ ok: true as const }, 200);
  });

  app.openapi(routes.rotateSecret, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "OWNER");
    const database = c.var.services.db();
    const destination = await findDestination(database, access.project.id, destinationId);
    if (destination.kind !== "webhook") invalid("destinationId", "only webhook destinations have a secret");
    const secret = generateDestinationSecret();
    await database
      .update(alertDestinations)
      .set({ secret, updatedAt: new Date() })
      .where(eq(alertDestinations.id, destination.id));
    await audit(c, access, database, "alert_destination.rotate_secret", {
      type: "alert_destination",
      id: destination.id,
    });
    return c.json({ secret }, 200);
  });

  app.openapi(routes.sendTest, async (c) => {
    const { projectId, destinationId } = c.req.valid("param");
    const access = await requireProjectRole(c, projectId, "EDITOR");
    const database = c.var.services.db();
    const destination = await findDestination(database, access.project.id, destinationId);
    const now = new Date();
    const [event] = await database
      .insert(alertEvents)
      .values({
        projectId: access.project.id,
        kind: "test",
        dedupeKey: `test:${crypto.randomUUID()}`,
        title: "Test alert",
        text: `A test from ${access.auth.user.email} for destination "${destination.name}". Nothing is wrong.`,
        path: `/projects/${access.project.id}/alerts`,
        data: { test: true },
        firedAt: now,
      })
      .returning();
    // Straight into the queue for this one destination, enabled or not: a test is how one checks a fix.
    await database.insert(alertDeliveries).values({
      projectId: access.project.id,
      alertEventId: event.id,
      destinationId: destination.id,
      nextAttemptAt: now,
      createdAt: now,
    });
    const [queued] = await database
      .select({ id: alertDeliveries.id })
      .from(alertDeliveries)
      .where(eq(alertDeliveries.alertEventId, event.id));
    await drainDeliveries(database, {
      env: c.env,
      logger: c.var.services.logger,
      now,
      deliveryIds: [queued.id],
    });
    await audit(c, access, database, "alert_destination.test", { type: "alert_destination", id: destination.id });
    const [delivery] = await listDeliveryRows(database, access.project.id, { ids: [queued.id], limit: 1 });
    return c.json({ delivery }, 200);
  });

  app.openapi(routes.listEvents, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeCursor(query.cursor, ["string", "string"]);
    const database = c.var.services.db();
    const rows = await database
      .select()
      .from(alertEvents)
      .where(
        and(
          eq(alertEvents.projectId, project.id),
          after
            ? or(
                lt(alertEvents.firedAt, new Date(after[0] as string)),
                and(eq(alertEvents.firedAt, new Date(after[0] as string)), lt(alertEvents.id, after[1] as string)),
              )
            : undefined,
        ),
      )
      .orderBy(desc(alertEvents.firedAt), desc(alertEvents.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const tallies = page.length
      ? await database
          .select({ eventId: alertDeliveries.alertEventId, status: alertDeliveries.status, n: count() })
          .from(alertDeliveries)
          .where(
            inArray(
              alertDeliveries.alertEventId,
              page.map((row) => row.id),
            ),
          )
          .groupBy(alertDeliveries.alertEventId, alertDeliveries.status)
      : [];
    const events = page.map((row) => {
      const deliveries = { pending: 0, delivered: 0, dead: 0 };
      for (const tally of tallies) if (tally.eventId === row.id) deliveries[tally.status] = tally.n;
      return {
        id: row.id,
        kind: row.kind,
        ruleId: row.ruleId,
        dedupeKey: row.dedupeKey,
        title: row.title,
        text: row.text,
        path: row.path,
        data: row.data,
        firedAt: row.firedAt.toISOString(),
        deliveries,
      };
    });
    const last = page.at(-1);
    const nextCursor = rows.length > query.limit && last ? encodeCursor([last.firedAt.toISOString(), last.id]) : null;
    return c.json({ events, nextCursor }, 200);
  });

  app.openapi(routes.listDeliveries, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeCursor(query.cursor, ["string", "string"]);
    const rows = await listDeliveryRows(c.var.services.db(), project.id, {
      limit: query.limit + 1,
      destinationId: query.destinationId,
      status: query.status,
      after: after ? { createdAt: after[0] as string, id: after[1] as string } : undefined,
    });
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > query.limit && last ? encodeCursor([last.createdAt, last.id]) : null;
    return c.json({ deliveries: page, nextCursor }, 200);
  });
}

async function listDeliveryRows(
  database: DB,
  projectId: string,
  options: {
    limit: number;
    ids?: string[];
    destinationId?: string;
    status?: "pending" | "delivered" | "dead";
    after?: { createdAt: string; id: string };
  },
) {
  const rows = await database
    .select({ delivery: alertDeliveries, title: alertEvents.title, destinationName: alertDestinations.name })
    .from(alertDeliveries)
    .innerJoin(alertEvents, eq(alertEvents.id, alertDeliveries.alertEventId))
    .innerJoin(alertDestinations, eq(alertDestinations.id, alertDeliveries.destinationId))
    .where(
      and(
        eq(alertDeliveries.projectId, projectId),
        options.ids ? inArray(alertDeliveries.id, options.ids) : undefined,
        options.destinationId ? eq(alertDeliveries.destinationId, options.destinationId) : undefined,
        options.status ? eq(alertDeliveries.status, options.status) : undefined,
        options.after
          ? or(
              lt(alertDeliveries.createdAt, new Date(options.after.createdAt)),
              and(
                eq(alertDeliveries.createdAt, new Date(options.after.createdAt)),
                lt(alertDeliveries.id, options.after.id),
              ),
            )
          : undefined,
      ),
    )
    .orderBy(desc(alertDeliveries.createdAt), desc(alertDeliveries.id))
    .limit(options.limit);
  const attempts = rows.length
    ? await database
        .select()
        .from(alertDeliveryAttempts)
        .where(
          inArray(
            alertDeliveryAttempts.deliveryId,
            rows.map((row) => row.delivery.id),
          ),
        )
        .orderBy(asc(alertDeliveryAttempts.id))
    : [];
  return rows.map(({ delivery, title, destinationName }) => ({
    id: delivery.id,
    alertEventId: delivery.alertEventId,
    alertTitle: title,
    destinationId: delivery.destinationId,
    destinationName,
    status: delivery.status,
    attempts: delivery.attempts,
    nextAttemptAt: delivery.status === "pending" ? delivery.nextAttemptAt.toISOString() : null,
    lastStatusCode: delivery.lastStatusCode,
    lastError: delivery.lastError,
    deliveredAt: iso(delivery.deliveredAt),
    createdAt: delivery.createdAt.toISOString(),
    attemptLog: attempts
      .filter((attempt) => attempt.deliveryId === delivery.id)
      .map((attempt) => ({
        attemptedAt: attempt.attemptedAt.toISOString(),
        statusCode: attempt.statusCode,
        error: attempt.error,
        durationMs: attempt.durationMs,
      })),
  }));
}
