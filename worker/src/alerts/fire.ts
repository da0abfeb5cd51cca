import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import { type EffectiveRule, ruleKey } from "./rules.ts";

export interface AlertToFire {
  projectId: string;
  rule: EffectiveRule;
  /** The "at most once" identity: a second alert with the same key in this project is dropped. */
  dedupeKey: string;
  title: string;
  text: string;
  /** Dashboard page the alert is about (`/projects/…/issues/…`), or null. */
  path: string | null;
  data: Record<string, unknown>;
  firedAt: Date;
}

/**
 * Records a fired alert and enqueues one delivery per destination of the rule, atomically. Returns
 * the alert's id, or null when it was a duplicate (dedupe key already used) or inside the rule's
 * cooldown. Two concurrent callers (a retried flush, overlapping cron runs) cannot both fire: the
 * unique dedupe key and the row lock of the cooldown upsert each let exactly one through.
 */
export async function fireAlert(db: Database, alert: AlertToFire): Promise<string | null> {
  const { rule } = alert;
  const firedAt = alert.firedAt.toISOString();
  return db.transaction(async (tx) => {
    const gate =
      rule.cooldownSeconds && rule.cooldownSeconds > 0
        ? sql`
          insert into alert_cooldowns (project_id, rule_key, last_fired_at)
          values (${alert.projectId}::uuid, ${ruleKey(rule)}, ${firedAt}::timestamptz)
          on conflict (project_id, rule_key) do update set last_fired_at = excluded.last_fired_at
          where alert_cooldowns.last_fired_at <= excluded.last_fired_at - make_interval(secs => ${rule.cooldownSeconds})
          returning 1 as open`
        : sql`select 1 as open`;
    const inserted = await tx.execute<{ id: string }>(sql`
      with gate as (${gate})
      insert into alert_events (project_id, rule_id, kind, dedupe_key, title, text, path, data, fired_at)
      select ${alert.projectId}::uuid, ${rule.id}::uuid, ${rule.kind}, ${alert.dedupeKey}, ${alert.title},
        ${alert.text}, ${alert.path}, ${JSON.stringify(alert.data)}::jsonb, ${firedAt}::timestamptz
      where exists (select 1 from gate)
      on conflict (project_id, dedupe_key) do nothing
      returning id`);
    const id = inserted.rows[0]?.id ?? null;
    if (id) await enqueueDeliveries(tx as unknown as Database, alert.projectId, id, rule.destinationIds, alert.firedAt);
    return id;
  });
}

/** One pending delivery per enabled destination (all of the project's when `destinationIds` is null). */
export async function enqueueDeliveries(
  db: Database,
  projectId: string,
  alertEventId: string,
  destinationIds: string[] | null,
  at: Date,
): Promise<number> {
  const only = destinationIds === null ? sql`true` : sql`d.id = any(${`{${destinationIds.join(",")}}`}::uuid[])`;
  const result = await db.execute(sql`
    insert into alert_deliveries (project_id, alert_event_id, destination_id, next_attempt_at, created_at)
    select ${projectId}::uuid, ${alertEventId}::uuid, d.id, ${at.toISOString()}::timestamptz, ${at.toISOString()}::timestamptz
    from alert_destinations d
    where d.project_id = ${projectId}::uuid and d.enabled and ${only}
    on conflict (alert_event_id, destination_id) do nothing`);
  return result.rowCount ?? 0;
}
