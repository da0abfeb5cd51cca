import {
  type AlertDestination,
  type AlertRule,
  alertDeliveries,
  alertDeliveryAttempts,
  alertDestinations,
  alertEvents,
  alertRules,
  type Database,
} from "@telemetry-tracker/db";
import { and, asc, count, desc, eq, inArray, sql } from "drizzle-orm";
import { olderThan } from "./sql.ts";

/** A keyset position: the newest-first lists continue after this (time, id). */
export interface After {
  at: string;
  id: string;
}

export type DeliveryStatus = "pending" | "delivered" | "dead";

/** A project's rules, built-ins first in their fixed order, then custom rules by age. */
export async function listRules(db: Database, projectId: string): Promise<AlertRule[]> {
  return db
    .select()
    .from(alertRules)
    .where(eq(alertRules.projectId, projectId))
    .orderBy(
      sql`array_position(array['new_issue','regression','error_spike','quota_near','quota_exceeded','custom'], ${alertRules.kind})`,
      asc(alertRules.createdAt),
      asc(alertRules.id),
    );
}

export async function findRule(db: Database, projectId: string, ruleId: string): Promise<AlertRule | null> {
  const [rule] = await db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.id, ruleId), eq(alertRules.projectId, projectId)));
  return rule ?? null;
}

export async function listDestinations(db: Database, projectId: string): Promise<AlertDestination[]> {
  return db
    .select()
    .from(alertDestinations)
    .where(eq(alertDestinations.projectId, projectId))
    .orderBy(asc(alertDestinations.createdAt), asc(alertDestinations.id));
}

export async function findDestination(
  db: Database,
  projectId: string,
  destinationId: string,
): Promise<AlertDestination | null> {
  const [destination] = await db
    .select()
    .from(alertDestinations)
    .where(and(eq(alertDestinations.id, destinationId), eq(alertDestinations.projectId, projectId)));
  return destination ?? null;
}

export interface AlertEventItem {
  id: string;
  kind: string;
  ruleId: string | null;
  dedupeKey: string;
  title: string;
  text: string;
  path: string | null;
  data: Record<string, unknown>;
  firedAt: string;
  deliveries: Record<DeliveryStatus, number>;
}

/** Fired alerts, newest first, each with how its deliveries stand. */
export async function listAlertEvents(
  db: Database,
  projectId: string,
  limit: number,
  after: After | null,
): Promise<{ items: AlertEventItem[]; nextCursor: [string, string] | null }> {
  const rows = await db
    .select()
    .from(alertEvents)
    .where(and(eq(alertEvents.projectId, projectId), olderThan(alertEvents.firedAt, alertEvents.id, after)))
    .orderBy(desc(alertEvents.firedAt), desc(alertEvents.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const tallies = page.length
    ? await db
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
  const items = page.map((row) => {
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
  return { items, nextCursor: rows.length > limit && last ? [last.firedAt.toISOString(), last.id] : null };
}

export interface DeliveryItem {
  id: string;
  alertEventId: string;
  alertTitle: string;
  destinationId: string;
  destinationName: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  attemptLog: Array<{ attemptedAt: string; statusCode: number | null; error: string | null; durationMs: number }>;
}

export interface DeliveryFilters {
  /** Only these deliveries (send-test answers its own). */
  ids?: string[];
  destinationId?: string;
  status?: DeliveryStatus;
}

/** The delivery log, newest first, with every attempt of each delivery. */
export async function listDeliveries(
  db: Database,
  projectId: string,
  filters: DeliveryFilters,
  limit: number,
  after: After | null,
): Promise<{ items: DeliveryItem[]; nextCursor: [string, string] | null }> {
  const rows = await db
    .select({ delivery: alertDeliveries, title: alertEvents.title, destinationName: alertDestinations.name })
    .from(alertDeliveries)
    .innerJoin(alertEvents, eq(alertEvents.id, alertDeliveries.alertEventId))
    .innerJoin(alertDestinations, eq(alertDestinations.id, alertDeliveries.destinationId))
    .where(
      and(
        eq(alertDeliveries.projectId, projectId),
        filters.ids ? inArray(alertDeliveries.id, filters.ids) : undefined,
        filters.destinationId ? eq(alertDeliveries.destinationId, filters.destinationId) : undefined,
        filters.status ? eq(alertDeliveries.status, filters.status) : undefined,
        olderThan(alertDeliveries.createdAt, alertDeliveries.id, after),
      ),
    )
    .orderBy(desc(alertDeliveries.createdAt), desc(alertDeliveries.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const attempts = page.length
    ? await db
        .select()
        .from(alertDeliveryAttempts)
        .where(
          inArray(
            alertDeliveryAttempts.deliveryId,
            page.map((row) => row.delivery.id),
          ),
        )
        .orderBy(asc(alertDeliveryAttempts.id))
    : [];
  const items = page.map(({ delivery, title, destinationName }) => ({
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
    deliveredAt: delivery.deliveredAt?.toISOString() ?? null,
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
  const last = page.at(-1);
  return {
    items,
    nextCursor: rows.length > limit && last ? [last.delivery.createdAt.toISOString(), last.delivery.id] : null,
  };
}
