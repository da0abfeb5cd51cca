import {
  type AlertDelivery,
  type AlertDestination,
  alertDeliveries,
  alertDeliveryAttempts,
  alertDestinations,
  alertEvents,
  type Database,
  memberships,
  projects,
  users,
} from "@telemetry-tracker/db";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Bindings } from "../env.ts";
import { describeError, type Logger } from "../lib/logger.ts";
import { createMailer } from "../lib/mailer.ts";
import { type AlertMessage, formatEmail, formatWebhookBody, type WebhookFormat } from "./formats.ts";
import { postJson, type SendResult } from "./outbound.ts";
import { SIGNATURE_HEADER, signPayload } from "./signing.ts";

/** Retry policy of the outbound queue (README "Alerts"). */
export const DELIVERY_POLICY = {
  firstRetryMs: 30_000,
  maxRetryMs: 4 * 60 * 60 * 1000,
  /** ± this share of the delay, so a receiver's recovery is not met by every retry at once. */
  jitter: 0.25,
  /** A delivery not through within this time of its alert is dead. */
  giveUpAfterMs: 24 * 60 * 60 * 1000,
  /** Failed attempts in a row after which a destination is disabled and the owners are told. */
  disableAfterFailures: 20,
  /** A run's claim on a delivery; longer than one request's timeout, so runs never overlap on it. */
  leaseMs: 2 * 60 * 1000,
  perRun: 50,
} as const;

/** Delay before attempt `attempts + 1`, after `attempts` failures: exponential, capped, jittered. */
export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const base = Math.min(DELIVERY_POLICY.maxRetryMs, DELIVERY_POLICY.firstRetryMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (1 - DELIVERY_POLICY.jitter + 2 * DELIVERY_POLICY.jitter * random()));
}

export interface DrainOptions {
  env: Bindings;
  logger: Logger;
  /** Injected by tests; the clock for every decision of the run (due, backoff, give-up). */
  now?: Date;
  random?: () => number;
  timeoutMs?: number;
  /** Only these deliveries (send test); otherwise everything due. */
  deliveryIds?: string[];
  /** Only this project's deliveries (tests share one database). */
  projectId?: string;
  limit?: number;
}

export interface DrainResult {
  attempted: number;
  delivered: number;
  failed: number;
  dead: number;
}

export const isProduction = (env: Pick<Bindings, "APP_ENV">) => env.APP_ENV === "production";

/** Where alert links point: the first dashboard origin, if one is configured. */
export function dashboardUrl(env: Pick<Bindings, "DASHBOARD_ORIGINS">, path: string | null): string | null {
  const origin = (env.DASHBOARD_ORIGINS ?? "").split(",")[0]?.trim();
  return origin && path ? `${origin.replace(/\/$/, "")}${path}` : null;
}

/**
 * One run of the outbound queue: claims due deliveries (a lease, so an overlapping run skips them),
 * attempts each once, logs the attempt, and schedules the retry or ends it (delivered / dead).
 * Delivery is at-least-once: a crash between a receiver's 2xx and the update below repeats it.
 */
export async function drainDeliveries(db: Database, options: DrainOptions): Promise<DrainResult> {
  const now = options.now ?? new Date();
  const result: DrainResult = { attempted: 0, delivered: 0, failed: 0, dead: 0 };
  const only = sql.join(
    [
      options.deliveryIds ? sql`and id = any(${`{${options.deliveryIds.join(",")}}`}::uuid[])` : sql``,
      options.projectId ? sql`and project_id = ${options.projectId}::uuid` : sql``,
    ],
    sql` `,
  );
  const claimed = await db.execute<{ id: string }>(sql`
    update alert_deliveries set locked_until = ${new Date(now.getTime() + DELIVERY_POLICY.leaseMs).toISOString()}::timestamptz
    where id in (
      select id from alert_deliveries
      where status = 'pending' and next_attempt_at <= ${now.toISOString()}::timestamptz
        and (locked_until is null or locked_until <= ${now.toISOString()}::timestamptz) ${only}
      order by next_attempt_at
      limit ${options.limit ?? DELIVERY_POLICY.perRun}
      for update skip locked
    )
    returning id`);
  if (claimed.rows.length === 0) return result;

  const rows = await db
    .select({ delivery: alertDeliveries, event: alertEvents, destination: alertDestinations, project: projects })
    .from(alertDeliveries)
    .innerJoin(alertEvents, eq(alertEvents.id, alertDeliveries.alertEventId))
    .innerJoin(alertDestinations, eq(alertDestinations.id, alertDeliveries.destinationId))
    .innerJoin(projects, eq(projects.id, alertDeliveries.projectId))
    .where(
      inArray(
        alertDeliveries.id,
        claimed.rows.map((row) => row.id),
      ),
    );

  for (const { delivery, event, destination, project } of rows) {
    result.attempted++;
    const message: AlertMessage = {
      id: event.id,
      kind: event.kind,
      projectId: project.id,
      projectName: project.name,
      ruleId: event.ruleId,
      title: event.title,
      text: event.text,
      url: dashboardUrl(options.env, event.path),
      data: event.data,
      firedAt: event.firedAt.toISOString(),
    };
    // A disabled destination gets nothing but a "send test", which is how one checks a fix.
    const outcome: SendResult =
      destination.enabled || event.kind === "test"
        ? await attempt(db, destination, message, project.orgId, options, now)
        : { ok: false, statusCode: null, error: "destination disabled", durationMs: 0 };
    const state = await recordAttempt(db, delivery, destination, outcome, now, options);
    result[state]++;
  }
  return result;
}

async function attempt(
  db: Database,
  destination: AlertDestination,
  message: AlertMessage,
  orgId: string,
  options: DrainOptions,
  now: Date,
): Promise<SendResult> {
  const started = Date.now();
  try {
    if (destination.kind === "email") {
      const recipients = await memberEmails(db, orgId, destination.userIds ?? []);
      if (recipients.length === 0) {
        return { ok: false, statusCode: null, error: "no recipients left (members removed?)", durationMs: 0 };
      }
      const mailer = createMailer(options.env, options.logger);
      const { subject, text } = formatEmail(message);
      for (const to of recipients) await mailer.send({ to, subject, text, link: message.url ?? "" });
      return { ok: true, statusCode: null, error: null, durationMs: Date.now() - started };
    }
    const body = JSON.stringify(formatWebhookBody((destination.format ?? "generic") as WebhookFormat, message));
    const headers: Record<string, string> = { "telemetry-alert-id": message.id };
    if (destination.secret) {
      headers[SIGNATURE_HEADER] = await signPayload(destination.secret, body, Math.floor(now.getTime() / 1000));
    }
    return await postJson(destination.url ?? "", body, headers, {
      production: isProduction(options.env),
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    return { ok: false, statusCode: null, error: text.slice(0, 500), durationMs: Date.now() - started };
  }
}

async function memberEmails(db: Database, orgId: string, userIds: string[]): Promise<string[]> {
  if (userIds.length === 0) return [];
  const rows = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.orgId, orgId), inArray(memberships.userId, userIds)));
  return rows.map((row) => row.email);
}

async function recordAttempt(
  db: Database,
  delivery: AlertDelivery,
  destination: AlertDestination,
  outcome: SendResult,
  now: Date,
  options: DrainOptions,
): Promise<"delivered" | "failed" | "dead"> {
  const attempts = delivery.attempts + 1;
  // A test send is one attempt, answered at once; it is not retried.
  const isTest = options.deliveryIds?.includes(delivery.id) ?? false;
  const nextAt = new Date(now.getTime() + retryDelayMs(attempts, options.random));
  const giveUpAt = delivery.createdAt.getTime() + DELIVERY_POLICY.giveUpAfterMs;
  const state = outcome.ok
    ? "delivered"
    : !destination.enabled || isTest || nextAt.getTime() > giveUpAt
      ? "dead"
      : "failed";
  await db.insert(alertDeliveryAttempts).values({
    deliveryId: delivery.id,
    attemptedAt: now,
    statusCode: outcome.statusCode,
    error: outcome.error,
    durationMs: outcome.durationMs,
  });
  await db
    .update(alertDeliveries)
    .set({
      attempts,
      status: state === "failed" ? "pending" : state,
      lastStatusCode: outcome.statusCode,
      lastError: outcome.error,
      deliveredAt: outcome.ok ? now : null,
      nextAttemptAt: state === "failed" ? nextAt : delivery.nextAttemptAt,
      lockedUntil: null,
    })
    .where(eq(alertDeliveries.id, delivery.id));
  if (destination.enabled) await trackDestinationHealth(db, destination, outcome.ok, options);
  return state;
}

/** Resets the failure streak on success; at the limit disables the destination and mails the owners. */
async function trackDestinationHealth(
  db: Database,
  destination: AlertDestination,
  ok: boolean,
  options: DrainOptions,
): Promise<void> {
  if (ok) {
    if (destination.consecutiveFailures > 0) {
      await db
        .update(alertDestinations)
        .set({ consecutiveFailures: 0 })
        .where(eq(alertDestinations.id, destination.id));
    }
    return;
  }
  const reason = `${DELIVERY_POLICY.disableAfterFailures} deliveries failed in a row`;
  // One statement decides who crosses the limit, so two runs cannot both disable and mail.
  const updated = await db.execute<{ consecutive_failures: number; disabled_now: boolean }>(sql`
    update alert_destinations set
      consecutive_failures = consecutive_failures + 1,
      enabled = case when consecutive_failures + 1 >= ${DELIVERY_POLICY.disableAfterFailures} then false else enabled end,
      disabled_reason = case when consecutive_failures + 1 >= ${DELIVERY_POLICY.disableAfterFailures} then ${reason} else disabled_reason end,
      updated_at = now()
    where id = ${destination.id}::uuid and enabled
    returning consecutive_failures, not enabled as disabled_now`);
  if (updated.rows[0]?.disabled_now) await notifyOwnersOfDisable(db, destination, reason, options);
}

async function notifyOwnersOfDisable(
  db: Database,
  destination: AlertDestination,
  reason: string,
  options: DrainOptions,
): Promise<void> {
  try {
    const owners = await db
      .select({ email: users.email, projectName: projects.name, projectId: projects.id })
      .from(projects)
      .innerJoin(memberships, and(eq(memberships.orgId, projects.orgId), eq(memberships.role, "OWNER")))
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(eq(projects.id, destination.projectId));
    const mailer = createMailer(options.env, options.logger);
    for (const owner of owners) {
      const link = dashboardUrl(options.env, `/projects/${owner.projectId}/alerts`) ?? "";
      await mailer.send({
        to: owner.email,
        subject: `[${owner.projectName}] Alert destination "${destination.name}" was disabled`,
        text: `The alert destination "${destination.name}" was disabled: ${reason}. Fix the receiver, then enable it again on the Alerts page.\n\n${link}`,
        link,
      });
    }
  } catch (error) {
    // The destination is disabled either way; the Alerts page shows why.
    options.logger.warn("could not mail the owners about a disabled destination", describeError(error));
  }
}
