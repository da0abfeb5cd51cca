import {
  type AlertDestination,
  type AlertRule,
  alertDeliveries,
  alertDestinations,
  alertEvents,
  alertRules,
  type Database,
  memberships,
  projects,
} from "@telemetry-tracker/db";
import { and, count, eq, inArray, sql } from "drizzle-orm";
import { drainDeliveries, isProduction } from "../alerts/deliver.ts";
import { unsafeUrlReason } from "../alerts/outbound.ts";
import { ALERT_LIMITS, type CustomParams, materializeBuiltins, PARAMS_BY_KIND } from "../alerts/rules.ts";
import { generateDestinationSecret } from "../alerts/signing.ts";
import type { Bindings } from "../env.ts";
import type { Logger } from "../lib/logger.ts";
import { recordAudit } from "./audit.ts";
import { findDestination, findRule, listRules } from "./reads/alerts.ts";
import { type Actor, ok, type Refusal, type Result, RollBack, refusalOf, refuse } from "./result.ts";

/** The project a change is made in, and its organization (for the audit log and membership checks). */
export interface AlertScope {
  orgId: string;
  projectId: string;
}

export type DestinationFormat = "generic" | "slack" | "discord" | "teams";

/** A field-level 400 in the one envelope, like zod's own. */
const invalid = (path: string, message: string): Refusal =>
  refuse("validation_failed", "The request is invalid", { details: [{ path, message }] });

const noRule = () => refuse("not_found", "No such alert rule in this project");
const noDestination = () => refuse("not_found", "No such alert destination in this project");

function audit(
  db: Database,
  scope: AlertScope,
  actor: Actor,
  action: string,
  target: { type: "alert_rule" | "alert_destination"; id: string },
  metadata: Record<string, unknown> = {},
) {
  return recordAudit(db, {
    orgId: scope.orgId,
    actorUserId: actor.userId,
    action,
    targetType: target.type,
    targetId: target.id,
    metadata: { projectId: scope.projectId, ...metadata },
    ip: actor.ip,
  });
}

/** Every id names a destination of this project; else the 400 points at the first that does not. */
async function checkDestinationIds(
  db: Database,
  projectId: string,
  ids: string[] | null | undefined,
): Promise<Refusal | null> {
  if (!ids || ids.length === 0) return null;
  const found = await db
    .select({ id: alertDestinations.id })
    .from(alertDestinations)
    .where(and(eq(alertDestinations.projectId, projectId), inArray(alertDestinations.id, ids)));
  const known = new Set(found.map((row) => row.id));
  const unknown = ids.findIndex((id) => !known.has(id));
  return unknown >= 0 ? invalid(`destinationIds.${unknown}`, "no such destination in this project") : null;
}

/** Every recipient is a member of the organization; else the 400 points at the first who is not. */
async function checkMembers(db: Database, orgId: string, userIds: string[]): Promise<Refusal | null> {
  const found = await db
    .select({ userId: memberships.userId })
    .from(memberships)
    .where(and(eq(memberships.orgId, orgId), inArray(memberships.userId, userIds)));
  const known = new Set(found.map((row) => row.userId));
  const unknown = userIds.findIndex((id) => !known.has(id));
  return unknown >= 0 ? invalid(`userIds.${unknown}`, "not a member of this organization") : null;
}

/** The project row lock serialises concurrent creates against a per-project cap (as API keys do). */
async function lockProject(tx: Database, projectId: string): Promise<void> {
  await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, projectId)).for("update");
}

/** The rules of a project; built-ins get their row on first sight, so each has an id to toggle. */
export async function rulesOf(db: Database, projectId: string): Promise<AlertRule[]> {
  await materializeBuiltins(db, projectId);
  return listRules(db, projectId);
}

export interface NewRule {
  name: string;
  enabled: boolean;
  params: CustomParams;
  cooldownSeconds: number;
  destinationIds: string[] | null;
}

/** A custom rule, within the per-project cap (403 `alert_rule_limit`). */
export async function createRule(
  db: Database,
  scope: AlertScope,
  input: NewRule,
  actor: Actor,
): Promise<Result<AlertRule>> {
  const badIds = await checkDestinationIds(db, scope.projectId, input.destinationIds);
  if (badIds) return badIds;
  const created = await refusalOf(() =>
    db.transaction(async (tx) => {
      await lockProject(tx as unknown as Database, scope.projectId);
      const [{ custom }] = await tx
        .select({ custom: count() })
        .from(alertRules)
        .where(and(eq(alertRules.projectId, scope.projectId), eq(alertRules.kind, "custom")));
      if (custom >= ALERT_LIMITS.customRulesPerProject) {
        throw new RollBack(
          refuse("alert_rule_limit", `A project may have ${ALERT_LIMITS.customRulesPerProject} custom alert rules`, {
            details: { limit: ALERT_LIMITS.customRulesPerProject },
          }),
        );
      }
      const [rule] = await tx
        .insert(alertRules)
        .values({
          projectId: scope.projectId,
          kind: "custom",
          name: input.name,
          enabled: input.enabled,
          params: input.params,
          cooldownSeconds: input.cooldownSeconds,
          destinationIds: input.destinationIds,
        })
        .returning();
      return rule;
    }),
  );
  if (!created.ok) return created;
  const rule = created.value;
  await audit(db, scope, actor, "alert_rule.create", { type: "alert_rule", id: rule.id }, { name: rule.name });
  return ok(rule);
}

export interface RulePatch {
  name?: string;
  enabled?: boolean;
  /** Validated here against the rule's kind. */
  params?: Record<string, unknown>;
  cooldownSeconds?: number | null;
  destinationIds?: string[] | null;
}

export async function updateRule(
  db: Database,
  scope: AlertScope,
  ruleId: string,
  patch: RulePatch,
  actor: Actor,
): Promise<Result<AlertRule>> {
  const rule = await findRule(db, scope.projectId, ruleId);
  if (!rule) return noRule();
  let params: Record<string, unknown> | undefined;
  if (patch.params !== undefined) {
    const parsed = PARAMS_BY_KIND[rule.kind].safeParse(patch.params);
    if (!parsed.success) {
      return refuse("validation_failed", "The request is invalid", {
        details: parsed.error.issues.map((issue) => ({
          path: ["params", ...issue.path].join("."),
          message: issue.message,
        })),
      });
    }
    params = parsed.data as Record<string, unknown>;
  }
  const badIds = await checkDestinationIds(db, scope.projectId, patch.destinationIds);
  if (badIds) return badIds;
  const [updated] = await db
    .update(alertRules)
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.enabled !== undefined && { enabled: patch.enabled }),
      ...(params !== undefined && { params }),
      ...(patch.cooldownSeconds !== undefined && { cooldownSeconds: patch.cooldownSeconds }),
      ...(patch.destinationIds !== undefined && { destinationIds: patch.destinationIds }),
      updatedAt: new Date(),
    })
    .where(eq(alertRules.id, rule.id))
    .returning();
  await audit(
    db,
    scope,
    actor,
    "alert_rule.update",
    { type: "alert_rule", id: rule.id },
    { kind: rule.kind, changed: Object.keys(patch) },
  );
  return ok(updated);
}

/** Custom rules only: a built-in can be disabled, not deleted (409 `builtin_rule`). */
export async function deleteRule(db: Database, scope: AlertScope, ruleId: string, actor: Actor): Promise<Result<void>> {
  const rule = await findRule(db, scope.projectId, ruleId);
  if (!rule) return noRule();
  if (rule.kind !== "custom") return refuse("builtin_rule", "Built-in rules can be disabled, not deleted");
  await db.delete(alertRules).where(eq(alertRules.id, rule.id));
  await audit(db, scope, actor, "alert_rule.delete", { type: "alert_rule", id: rule.id }, { name: rule.name });
  return ok(undefined);
}

export type NewDestination =
  | { kind: "webhook"; name: string; url: string; format: DestinationFormat }
  | { kind: "email"; name: string; userIds: string[] };

/**
 * An email destination (recipients must be members) or a webhook (its URL checked against SSRF in
 * production), within the per-project cap. A webhook's signing secret is answered once.
 */
export async function createDestination(
  db: Database,
  env: Bindings,
  scope: AlertScope,
  input: NewDestination,
  actor: Actor,
): Promise<Result<{ destination: AlertDestination; secret: string | null }>> {
  if (input.kind === "webhook") {
    const reason = unsafeUrlReason(input.url, isProduction(env));
    if (reason) return invalid("url", reason);
  } else {
    const notMembers = await checkMembers(db, scope.orgId, input.userIds);
    if (notMembers) return notMembers;
  }
  const secret = input.kind === "webhook" ? generateDestinationSecret() : null;
  const created = await refusalOf(() =>
    db.transaction(async (tx) => {
      await lockProject(tx as unknown as Database, scope.projectId);
      const [{ existing }] = await tx
        .select({ existing: count() })
        .from(alertDestinations)
        .where(eq(alertDestinations.projectId, scope.projectId));
      if (existing >= ALERT_LIMITS.destinationsPerProject) {
        throw new RollBack(
          refuse("destination_limit", `A project may have ${ALERT_LIMITS.destinationsPerProject} alert destinations`, {
            details: { limit: ALERT_LIMITS.destinationsPerProject },
          }),
        );
      }
      const [destination] = await tx
        .insert(alertDestinations)
        .values({
          projectId: scope.projectId,
          name: input.name,
          kind: input.kind,
          format: input.kind === "webhook" ? input.format : null,
          url: input.kind === "webhook" ? input.url : null,
          userIds: input.kind === "email" ? input.userIds : null,
          secret,
        })
        .returning();
      return destination;
    }),
  );
  if (!created.ok) return created;
  const destination = created.value;
  await audit(
    db,
    scope,
    actor,
    "alert_destination.create",
    { type: "alert_destination", id: destination.id },
    { name: destination.name, kind: destination.kind, format: destination.format },
  );
  return ok({ destination, secret });
}

export interface DestinationPatch {
  name?: string;
  enabled?: boolean;
  url?: string;
  format?: DestinationFormat;
  userIds?: string[];
}

/** Changes a destination; enabling a disabled one clears its failure streak. */
export async function updateDestination(
  db: Database,
  env: Bindings,
  scope: AlertScope,
  destinationId: string,
  patch: DestinationPatch,
  actor: Actor,
): Promise<Result<AlertDestination>> {
  const destination = await findDestination(db, scope.projectId, destinationId);
  if (!destination) return noDestination();
  if (destination.kind === "email" && (patch.url !== undefined || patch.format !== undefined)) {
    return invalid(patch.url !== undefined ? "url" : "format", "an email destination has no URL or format");
  }
  if (destination.kind === "webhook" && patch.userIds !== undefined) {
    return invalid("userIds", "a webhook destination has no recipients");
  }
  if (patch.url !== undefined) {
    const reason = unsafeUrlReason(patch.url, isProduction(env));
    if (reason) return invalid("url", reason);
  }
  if (patch.userIds) {
    const notMembers = await checkMembers(db, scope.orgId, patch.userIds);
    if (notMembers) return notMembers;
  }
  const reenabled = patch.enabled === true && !destination.enabled;
  const [updated] = await db
    .update(alertDestinations)
    .set({
      ...(patch.name !== undefined && { name: patch.name }),
      ...(patch.enabled !== undefined && { enabled: patch.enabled }),
      ...(patch.url !== undefined && { url: patch.url }),
      ...(patch.format !== undefined && { format: patch.format }),
      ...(patch.userIds !== undefined && { userIds: patch.userIds }),
      ...(reenabled && { consecutiveFailures: 0, disabledReason: null }),
      updatedAt: new Date(),
    })
    .where(eq(alertDestinations.id, destination.id))
    .returning();
  await audit(
    db,
    scope,
    actor,
    "alert_destination.update",
    { type: "alert_destination", id: destination.id },
    { changed: Object.keys(patch) },
  );
  return ok(updated);
}

/** Deletes a destination with its queued deliveries (cascade) and takes it out of rules naming it. */
export async function deleteDestination(
  db: Database,
  scope: AlertScope,
  destinationId: string,
  actor: Actor,
): Promise<Result<void>> {
  const destination = await findDestination(db, scope.projectId, destinationId);
  if (!destination) return noDestination();
  await db.delete(alertDestinations).where(eq(alertDestinations.id, destination.id));
  // Rules naming it keep the others; a rule left with none falls back to "every destination".
  await db.execute(sql`
    update alert_rules set destination_ids = nullif(array_remove(destination_ids, ${destination.id}::uuid), '{}')
    where project_id = ${scope.projectId}::uuid and ${destination.id}::uuid = any(destination_ids)`);
  await audit(
    db,
    scope,
    actor,
    "alert_destination.delete",
    { type: "alert_destination", id: destination.id },
    { name: destination.name },
  );
  return ok(undefined);
}

/** A new signing secret for a webhook, answered once. */
export async function rotateDestinationSecret(
  db: Database,
  scope: AlertScope,
  destinationId: string,
  actor: Actor,
): Promise<Result<string>> {
  const destination = await findDestination(db, scope.projectId, destinationId);
  if (!destination) return noDestination();
  if (destination.kind !== "webhook") return invalid("destinationId", "only webhook destinations have a secret");
  const secret = generateDestinationSecret();
  await db
    .update(alertDestinations)
    .set({ secret, updatedAt: new Date() })
    .where(eq(alertDestinations.id, destination.id));
  await audit(db, scope, actor, "alert_destination.rotate_secret", { type: "alert_destination", id: destination.id });
  return ok(secret);
}

/**
 * Fires a test alert to one destination and sends it at once; answers the delivery's id (its
 * attempt is logged like any other).
 */
export async function sendTestAlert(
  db: Database,
  services: { env: Bindings; logger: Logger },
  scope: AlertScope,
  destinationId: string,
  actor: Actor & { email: string },
): Promise<Result<string>> {
  const destination = await findDestination(db, scope.projectId, destinationId);
  if (!destination) return noDestination();
  const now = new Date();
  const [event] = await db
    .insert(alertEvents)
    .values({
      projectId: scope.projectId,
      kind: "test",
      dedupeKey: `test:${crypto.randomUUID()}`,
      title: "Test alert",
      text: `A test from ${actor.email} for destination "${destination.name}". Nothing is wrong.`,
      path: `/projects/${scope.projectId}/alerts`,
      data: { test: true },
      firedAt: now,
    })
    .returning();
  // Straight into the queue for this one destination, enabled or not: a test is how one checks a fix.
  const [queued] = await db
    .insert(alertDeliveries)
    .values({
      projectId: scope.projectId,
      alertEventId: event.id,
      destinationId: destination.id,
      nextAttemptAt: now,
      createdAt: now,
    })
    .returning({ id: alertDeliveries.id });
  await drainDeliveries(db, { env: services.env, logger: services.logger, now, deliveryIds: [queued.id] });
  await audit(db, scope, actor, "alert_destination.test", { type: "alert_destination", id: destination.id });
  return ok(queued.id);
}
