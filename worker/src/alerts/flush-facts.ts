import type { Database, Plan } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import type { ErrorRow, EventRow } from "../meter/buffered-row.ts";
import type { QuotaRefusal } from "../meter/flush.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { fireAlert } from "./fire.ts";
import { customParamsOf, type EffectiveRule, loadRules, matchesCustom, QuotaNearParams } from "./rules.ts";

/** What a flush learned, in the transaction that learned it (worker/src/meter/flush.ts). */
export interface FlushFacts {
  projectId: string;
  /** Error groups this flush created. */
  newGroups: Array<{ id: string; type: string; message: string; app: string | null; environment: string | null }>;
  /** Resolved groups this flush reopened, with when they had been resolved (identifies the episode). */
  reopenedGroups: Array<{ id: string; type: string; message: string; resolvedAt: string | null }>;
  /** Events and error occurrences this flush actually inserted (a replayed row is not here). */
  inserted: Array<EventRow | ErrorRow>;
  /** Monthly usage as Postgres had it before and after this flush. */
  usage: Array<{ month: string; before: number; after: number }>;
  /** Months in which the meter has refused ingest for quota (its first refusal of each). */
  quotaRefusals: QuotaRefusal[];
  now: Date;
}

/** New groups alerted per flush at most: a burst of distinct errors must not stall the flush. */
export const MAX_ISSUE_ALERTS_PER_FLUSH = 25;

const issuePath = (projectId: string, groupId: string) => `/projects/${projectId}/issues/${groupId}`;
const short = (text: string, max = 200) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * The event-driven half of alerting: new issues, regressions, custom rules without a count, quota
 * crossings, and the per-minute counts the window rules read. Runs inside the flush's transaction,
 * so it happens exactly when the rows land; a replayed flush inserts nothing new and so fires nothing
 * (and the dedupe keys would stop it anyway).
 */
export async function recordFlushFacts(db: Database, facts: FlushFacts): Promise<number> {
  const { projectId, now } = facts;
  const errors = facts.inserted.filter((row): row is ErrorRow => row.kind === "error");
  if (errors.length > 0) await addMinuteCounts(db, projectId, "errors", errors);
  const crossing = facts.usage.some((u) => u.after > u.before);
  const refused = facts.quotaRefusals.length > 0;
  if (
    facts.inserted.length === 0 &&
    facts.newGroups.length === 0 &&
    facts.reopenedGroups.length === 0 &&
    !crossing &&
    !refused
  ) {
    return 0;
  }
  const rules = (await loadRules(db, projectId)).filter((rule) => rule.enabled);
  const byKind = (kind: EffectiveRule["kind"]) => rules.find((rule) => rule.kind === kind);
  let fired = 0;
  const fire = async (alert: Parameters<typeof fireAlert>[1]) => {
    if (await fireAlert(db, alert)) fired++;
  };

  const newIssue = byKind("new_issue");
  if (newIssue) {
    for (const group of facts.newGroups.slice(0, MAX_ISSUE_ALERTS_PER_FLUSH)) {
      await fire({
        projectId,
        rule: newIssue,
        dedupeKey: `new_issue:${group.id}`,
        title: short(`New issue: ${group.type}: ${group.message}`),
        text: [group.message, group.app && `app ${group.app}`, group.environment && `environment ${group.environment}`]
          .filter(Boolean)
          .join(" · "),
        path: issuePath(projectId, group.id),
        data: {
          issueId: group.id,
          type: group.type,
          message: group.message,
          app: group.app,
          environment: group.environment,
        },
        firedAt: now,
      });
    }
  }

  const regression = byKind("regression");
  if (regression) {
    for (const group of facts.reopenedGroups.slice(0, MAX_ISSUE_ALERTS_PER_FLUSH)) {
      await fire({
        projectId,
        rule: regression,
        dedupeKey: `regression:${group.id}:${group.resolvedAt ?? "unknown"}`,
        title: short(`Regression: ${group.type}: ${group.message}`),
        text: `A resolved issue was seen again${group.resolvedAt ? ` (resolved ${group.resolvedAt})` : ""}: ${group.message}`,
        path: issuePath(projectId, group.id),
        data: { issueId: group.id, type: group.type, message: group.message, resolvedAt: group.resolvedAt },
        firedAt: now,
      });
    }
  }

  for (const rule of rules.filter((r) => r.kind === "custom")) {
    const params = customParamsOf(rule);
    if (!params || !rule.id) continue;
    const matching = facts.inserted.filter((row) => matchesCustom(params, row));
    if (matching.length === 0) continue;
    if (params.count) {
      // Counted now, judged by the minute cron over the rule's window.
      await addMinuteCounts(db, projectId, rule.id, matching);
      continue;
    }
    const first = matching[0];
    const what = first.kind === "event" ? `event ${first.name}` : `${first.type}: ${first.message}`;
    await fire({
      projectId,
      rule,
      dedupeKey: `custom:${rule.id}:${first.event_id}`,
      title: short(`${rule.name}: ${what}`),
      text: `${matching.length} matching ${params.target} in this batch; first: ${short(what, 500)}`,
      path: first.kind === "error" ? `/projects/${projectId}/issues` : `/projects/${projectId}/events`,
      data: { ruleId: rule.id, matched: matching.length, eventId: first.event_id, app: first.app },
      firedAt: now,
    });
  }

  if (crossing && (byKind("quota_near") || byKind("quota_exceeded"))) {
    fired += await quotaCrossings(db, facts, byKind("quota_near"), byKind("quota_exceeded"));
  }
  const exceeded = byKind("quota_exceeded");
  if (exceeded) {
    // Usage can stop just under the quota when batches are refused whole, so the crossing below
    // never sees it reached; the refusal says it. Same dedupe key: the month fires once either way.
    for (const { month, at, used, quota } of facts.quotaRefusals) {
      await fire({
        projectId,
        rule: exceeded,
        dedupeKey: `quota_exceeded:${month}`,
        title: "Monthly quota used up: ingest refuses new units",
        text: `Ingest refused data that would go over the quota: ${used.toLocaleString("en-US")} of ${quota.toLocaleString("en-US")} units used in ${month}; the count resets at the start of next month (UTC).`,
        path: `/projects/${projectId}/settings/usage`,
        data: { month, used, limit: quota, refusedAt: new Date(at).toISOString() },
        firedAt: now,
      });
    }
  }
  return fired;
}

async function quotaCrossings(
  db: Database,
  facts: FlushFacts,
  near: EffectiveRule | undefined,
  exceeded: EffectiveRule | undefined,
): Promise<number> {
  const org = await db.execute<{ plan: Plan; subscription_status: string | null }>(sql`
    select o.plan, o.subscription_status from projects p join organizations o on o.id = p.org_id
    where p.id = ${facts.projectId}::uuid`);
  const row = org.rows[0];
  if (!row) return 0;
  const limit =
    PLAN_LIMITS[effectivePlan({ plan: row.plan, subscriptionStatus: row.subscription_status })].monthlyUnits;
  let fired = 0;
  for (const { month, before, after } of facts.usage) {
    const percent = near ? QuotaNearParams.parse(near.params).percent : 0;
    const nearAt = Math.ceil((limit * percent) / 100);
    const candidates: Array<[EffectiveRule | undefined, number, string, string]> = [
      [near, nearAt, `quota_near:${month}`, `${percent}% of the monthly quota used`],
      [exceeded, limit, `quota_exceeded:${month}`, "Monthly quota used up: ingest refuses new units"],
    ];
    for (const [rule, threshold, dedupeKey, title] of candidates) {
      if (!rule || !(before < threshold && after >= threshold)) continue;
      const id = await fireAlert(db, {
        projectId: facts.projectId,
        rule,
        dedupeKey,
        title,
        text: `${after.toLocaleString("en-US")} of ${limit.toLocaleString("en-US")} units used in ${month}; the count resets at the start of next month (UTC).`,
        path: `/projects/${facts.projectId}/settings/usage`,
        data: { month, used: after, limit },
        firedAt: facts.now,
      });
      if (id) fired++;
    }
  }
  return fired;
}

/** Adds rows to a per-minute series (by each row's own timestamp). */
async function addMinuteCounts(
  db: Database,
  projectId: string,
  series: string,
  rows: Array<EventRow | ErrorRow>,
): Promise<void> {
  const perMinute = new Map<string, number>();
  for (const row of rows) {
    const minute = `${row.timestamp.slice(0, 16)}:00Z`;
    perMinute.set(minute, (perMinute.get(minute) ?? 0) + 1);
  }
  const values = [...perMinute].map(([minute, count]) => ({ minute, count }));
  await db.execute(sql`
    insert into alert_counts_minute (project_id, series, minute, count)
    select ${projectId}::uuid, ${series}, x.minute, x.count
    from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as x(minute timestamptz, count bigint)
    on conflict (project_id, series, minute) do update set count = alert_counts_minute.count + excluded.count`);
}
