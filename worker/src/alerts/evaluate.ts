import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import type { Bindings } from "../env.ts";
import type { Logger } from "../lib/logger.ts";
import { drainDeliveries } from "./deliver.ts";
import { fireAlert } from "./fire.ts";
import { JOBS, withHeartbeat } from "./heartbeat.ts";
import { customParamsOf, type EffectiveRule, loadRules, SpikeParams } from "./rules.ts";

/** Minute counts older than this are pruned (the longest window plus the longest baseline fits). */
const MINUTE_COUNTS_KEPT_MS = 2 * 24 * 60 * 60 * 1000;
const PRUNE_BATCH = 5_000;

const floorMinute = (at: Date) => new Date(Math.floor(at.getTime() / 60_000) * 60_000);
const minutesBefore = (at: Date, minutes: number) => new Date(at.getTime() - minutes * 60_000).toISOString();

/**
 * The window rules, run by the every-minute cron: error spikes and custom count rules, both from the
 * per-minute counts the flush keeps. A window ends with the current (partial) minute. Each firing's
 * dedupe key names the minute evaluated, and the rule's cooldown gate holds it quiet afterwards, so
 * two overlapping runs fire once.
 */
export async function evaluateWindowRules(db: Database, now: Date): Promise<number> {
  const minute = floorMinute(now);
  let fired = 0;

  // Projects with any error in the last hour (the longest spike window) are the only candidates.
  const candidates = await db.execute<{ project_id: string }>(sql`
    select distinct project_id from alert_counts_minute
    where series = 'errors' and minute > ${minutesBefore(minute, 60)}::timestamptz and minute <= ${minute.toISOString()}::timestamptz`);
  for (const { project_id: projectId } of candidates.rows) {
    const rule = (await loadRules(db, projectId)).find((r) => r.kind === "error_spike" && r.enabled);
    if (!rule) continue;
    if (await evaluateSpike(db, projectId, rule, minute, now)) fired++;
  }

  // Custom count rules with anything counted in the last day (the longest window they may have).
  const countRules = await db.execute<{ id: string; project_id: string }>(sql`
    select r.id, r.project_id from alert_rules r
    where r.kind = 'custom' and r.enabled and r.params ? 'count' and exists (
      select 1 from alert_counts_minute c where c.project_id = r.project_id and c.series = r.id::text
        and c.minute > ${minutesBefore(minute, 24 * 60)}::timestamptz)`);
  for (const row of countRules.rows) {
    const rule = (await loadRules(db, row.project_id)).find((r) => r.id === row.id);
    if (rule && (await evaluateCount(db, row.project_id, rule, minute, now))) fired++;
  }
  return fired;
}

async function sumSeries(
  db: Database,
  projectId: string,
  series: string,
  after: string,
  upTo: string,
): Promise<number> {
  const result = await db.execute<{ total: number }>(sql`
    select coalesce(sum(count), 0)::bigint as total from alert_counts_minute
    where project_id = ${projectId}::uuid and series = ${series}
      and minute > ${after}::timestamptz and minute <= ${upTo}::timestamptz`);
  return Number(result.rows[0]?.total ?? 0);
}

async function evaluateSpike(db: Database, projectId: string, rule: EffectiveRule, minute: Date, now: Date) {
  const params = SpikeParams.parse(rule.params);
  const windowStart = minutesBefore(minute, params.windowMinutes);
  const current = await sumSeries(db, projectId, "errors", windowStart, minute.toISOString());
  if (current < params.floor) return false;
  const baseline = await sumSeries(
    db,
    projectId,
    "errors",
    minutesBefore(minute, params.windowMinutes + params.baselineMinutes),
    windowStart,
  );
  // The baseline's rate scaled to one window: what "normal" would have been.
  const expected = (baseline * params.windowMinutes) / params.baselineMinutes;
  if (current < params.multiplier * expected) return false;
  const id = await fireAlert(db, {
    projectId,
    rule,
    dedupeKey: `error_spike:${rule.id ?? rule.kind}:${minute.toISOString()}`,
    title: `Error spike: ${current} errors in the last ${params.windowMinutes} min`,
    text: `${current} errors in the last ${params.windowMinutes} minutes, against ${expected.toFixed(1)} expected from the previous ${params.baselineMinutes} minutes (threshold ${params.multiplier}× and at least ${params.floor}).`,
    path: `/projects/${projectId}/issues`,
    data: { current, expected, ...params },
    firedAt: now,
  });
  return id !== null;
}

async function evaluateCount(db: Database, projectId: string, rule: EffectiveRule, minute: Date, now: Date) {
  const params = customParamsOf(rule);
  if (!params?.count || !rule.id) return false;
  const { threshold, windowMinutes } = params.count;
  const total = await sumSeries(db, projectId, rule.id, minutesBefore(minute, windowMinutes), minute.toISOString());
  if (total < threshold) return false;
  const id = await fireAlert(db, {
    projectId,
    rule,
    dedupeKey: `custom:${rule.id}:${minute.toISOString()}`,
    title: `${rule.name}: ${total} matching ${params.target} in ${windowMinutes} min`,
    text: `${total} ${params.target} matching the rule's conditions in the last ${windowMinutes} minutes (threshold ${threshold}).`,
    path: params.target === "errors" ? `/projects/${projectId}/issues` : `/projects/${projectId}/events`,
    data: { ruleId: rule.id, total, threshold, windowMinutes },
    firedAt: now,
  });
  return id !== null;
}

async function pruneMinuteCounts(db: Database, now: Date): Promise<void> {
  await db.execute(sql`
    delete from alert_counts_minute where ctid in (
      select ctid from alert_counts_minute where minute < ${new Date(now.getTime() - MINUTE_COUNTS_KEPT_MS).toISOString()}::timestamptz
      limit ${PRUNE_BATCH})`);
}

/**
 * The every-minute cron: evaluate window rules, then drain the outbound queue. Each half leaves its
 * heartbeat; a failure of one does not skip the other.
 */
export async function runAlertJobs(
  db: Database,
  env: Bindings,
  logger: Logger,
  now = new Date(),
): Promise<{ fired: number; delivered: number }> {
  let fired = 0;
  let delivered = 0;
  try {
    fired = await withHeartbeat(db, JOBS.alertEvaluator, now, async () => {
      const count = await evaluateWindowRules(db, now);
      await pruneMinuteCounts(db, now);
      return count;
    });
  } catch (error) {
    logger.error("alert evaluation failed", { message: (error as Error).message });
  }
  try {
    const result = await withHeartbeat(db, JOBS.alertDelivery, now, () => drainDeliveries(db, { env, logger, now }));
    delivered = result.delivered;
  } catch (error) {
    logger.error("alert delivery run failed", { message: (error as Error).message });
  }
  return { fired, delivered };
}
