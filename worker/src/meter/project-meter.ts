import { DurableObject } from "cloudflare:workers";
import { createDatabase, type DatabaseHandle, type Plan } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import { type Bindings, databaseOptions } from "../env.ts";
import type { ErrorCode } from "../errors.ts";
import { createLogger, describeError, type Logger } from "../lib/logger.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { symbolicateErrorRows } from "../sourcemaps/at-flush.ts";
import { type BufferedRow, sessionKey } from "./buffered-row.ts";
import {
  describeFlushError,
  type IntakeOutcome,
  type MonthlyOutcome,
  type MonthlyUsage,
  type QuotaRefusal,
  writeIsolatingBadRows,
} from "./flush.ts";
import { migrate } from "./storage.ts";

export interface QuotaState {
  used: number;
  limit: number;
  remaining: number;
  /** Start of the next UTC month, when the count resets. */
  resetsAt: string;
}

export interface AdmitRequest {
  projectId: string;
  /** Public id of the key used, so a revoked key is refused here even if an isolate cached it. */
  publicId: string;
  /** The plan as the key record knew it; used until the meter learns a fresher one. */
  plan: Plan;
  /**
   * The rows as one JSON array, serialized by the Worker: the meter is the one serial point per
   * project, so it should not parse or stringify what it only stores.
   */
  rowsJson: string;
  rowCount: number;
  /** `event_id` of every row, in order: a repeat of an id accepted in the last day is free and dropped. */
  eventIds: string[];
  /** Distinct `app` labels of the rows. */
  apps: string[];
  /** Events and errors: one unit each. */
  chargeableRows: number;
  /** `app\0session_id` of every session row; each one the meter has not seen costs a unit. */
  sessionKeys: string[];
  /** What the Sentry intake only counts (free; kept with the admission, lost with a refusal). */
  outcomes?: IntakeOutcome[];
}

/** The meter's refusals are answered with the error code of the same name. */
export type AdmitRefusal = Extract<
  ErrorCode,
  "revoked_api_key" | "rate_limited" | "quota_exceeded" | "app_limit" | "buffer_full"
>;

export type AdmitResult =
  | { ok: true; accepted: number; units: number; quota: QuotaState }
  | { ok: false; code: AdmitRefusal; message: string; retryAfterSeconds?: number; quota?: QuotaState };

export interface MeterStats {
  projectId: string | null;
  plan: Plan | null;
  bufferedRows: number;
  bufferedBytes: number;
  lastFlushAt: string | null;
  lastFlushError: string | null;
  consecutiveFlushFailures: number;
  /** When the oldest row still in the buffer was admitted; null when the buffer is empty. */
  oldestBufferedAt: string | null;
  deadLetterCount: number;
  usage: MonthlyUsage[];
}

export interface DeadLetterEntry {
  id: number;
  at: string;
  error: string;
  kind: string | null;
  eventId: string | null;
  /** The refused row as buffered, cut to a few KB. */
  row: string;
}

export interface DeadLetterReport {
  count: number;
  /** Newest first. */
  recent: DeadLetterEntry[];
}

/** Bounds of the durable buffer; past them ingest answers 503 instead of growing without limit. */
export const DEFAULT_BUFFER_LIMITS = { rows: 500_000, bytes: 256 * 1024 * 1024 };
const FLUSH_BATCH_ROWS = 1_000;
const FLUSH_BATCH_BYTES = 4 * 1024 * 1024;
const MAX_BACKOFF_MS = 60_000;
const PLAN_REFRESH_MS = 60_000;
/** A session silent for this long is forgotten, so a late update of it counts as a new session. */
const KNOWN_SESSION_TTL_MS = 7 * 24 * 60 * 60 * 1000;
const HOUR_MS = 60 * 60 * 1000;
/** Accepted event ids are remembered this long (SDKs retry for up to 24 h), in hourly buckets. */
export const SEEN_EVENT_ID_HOURS = 25;
const DEAD_LETTER_ROW_CHARS = 4_096;

/** Thrown inside the admission transaction to roll back what it wrote and answer a refusal. */
class Refused {
  readonly result: AdmitResult;
  constructor(result: AdmitResult) {
    this.result = result;
  }
}

export function utcMonth(at: number): string {
  return new Date(at).toISOString().slice(0, 7);
}

export function nextMonthStart(at: number): number {
  const date = new Date(at);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/**
 * The admission without the rows whose event id is not in `fresh` (accepted before: a retry) or
 * repeats an earlier row of the same batch. Parses the rows, which is fine: retries are the rare path.
 */
function withoutRepeats(request: AdmitRequest, fresh: Set<string>): AdmitRequest {
  const kept: BufferedRow[] = [];
  for (const row of JSON.parse(request.rowsJson) as BufferedRow[]) {
    if (!fresh.delete(row.event_id)) continue;
    kept.push(row);
  }
  return {
    ...request,
    rowsJson: JSON.stringify(kept),
    rowCount: kept.length,
    eventIds: kept.map((row) => row.event_id),
    apps: [...new Set(kept.map((row) => row.app))],
    chargeableRows: kept.filter((row) => row.kind !== "session").length,
    sessionKeys: kept.flatMap((row) => (row.kind === "session" ? [sessionKey(row.app, row.session_id)] : [])),
  };
}

/**
 * One per project (DESIGN.md §4). Admits or refuses each ingest request against the plan's monthly
 * quota and rate, appends accepted rows to its SQLite buffer in the same transaction as the usage
 * count (durable before the Worker answers 202), and flushes the buffer to Postgres from its alarm.
 * A Postgres outage only grows the buffer; the rows stay until a flush succeeds.
 */
export class ProjectMeter extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;
  private readonly logger: Logger;
  /** Lowered by tests (runInDurableObject) to reach the full-buffer path. */
  bufferLimits = { ...DEFAULT_BUFFER_LIMITS };
  /** The time admissions are judged at; tests (runInDurableObject) move it into another month. */
  clock: () => number = Date.now;
  private bufferedRows = 0;
  private bufferedBytes = 0;
  private tokens = 0;
  private tokensAt = 0;
  private lastFlushAt: number | null = null;
  private lastFlushError: string | null = null;
  private consecutiveFailures = 0;
  private database: DatabaseHandle | undefined;
  private flushing: Promise<number> | undefined;
  private alarmArmed = false;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.logger = createLogger(env.LOG_LEVEL, { component: "ProjectMeter" });
    ctx.blockConcurrencyWhile(async () => {
      migrate(ctx.storage);
      const totals = this.sql
        .exec<{ rows: number; bytes: number }>("select count(*) as rows, coalesce(sum(bytes), 0) as bytes from buffer")
        .one();
      this.bufferedRows = totals.rows;
      this.bufferedBytes = totals.bytes;
    });
  }

  private getMeta(key: string): string | null {
    return this.sql.exec<{ value: string }>("select value from meta where key = ?", key).toArray()[0]?.value ?? null;
  }

  private setMeta(key: string, value: string): void {
    this.sql.exec(
      "insert into meta (key, value) values (?, ?) on conflict (key) do update set value = excluded.value",
      key,
      value,
    );
  }

  private plan(fallback: Plan): Plan {
    const stored = this.getMeta("plan") as Plan | null;
    if (stored) return stored;
    this.setMeta("plan", fallback);
    return fallback;
  }

  private usedThisMonth(now: number): number {
    return (
      this.sql.exec<{ units: number }>("select units from usage where month = ?", utcMonth(now)).toArray()[0]?.units ??
      0
    );
  }

  private quotaState(plan: Plan, now: number): QuotaState {
    const limit = PLAN_LIMITS[plan].monthlyUnits;
    const used = this.usedThisMonth(now);
    return { used, limit, remaining: Math.max(0, limit - used), resetsAt: new Date(nextMonthStart(now)).toISOString() };
  }

  /** Token bucket: `rps` tokens a second, holding at most one second's worth. */
  private takeToken(rps: number, now: number): number | null {
    if (this.tokensAt === 0) this.tokens = rps;
    else this.tokens = Math.min(rps, this.tokens + ((now - this.tokensAt) / 1000) * rps);
    this.tokensAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return null;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / rps));
  }

  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const now = this.clock();
    if (!this.getMeta("project_id")) this.setMeta("project_id", request.projectId);
    if (this.sql.exec("select 1 from revoked_keys where public_id = ?", request.publicId).toArray().length > 0) {
      return { ok: false, code: "revoked_api_key", message: "The API key has been revoked" };
    }
    const plan = this.plan(request.plan);
    const limits = PLAN_LIMITS[plan];

    const waitSeconds = this.takeToken(limits.requestsPerSecond, now);
    if (waitSeconds !== null) {
      return {
        ok: false,
        code: "rate_limited",
        message: `More than ${limits.requestsPerSecond} requests per second for this project`,
        retryAfterSeconds: waitSeconds,
      };
    }

    try {
      const written = this.ctx.storage.transactionSync(() => this.admitInTransaction(request, plan, now));
      this.bufferedRows += written.rows;
      this.bufferedBytes += written.bytes;
      await this.ensureAlarm(now);
      return { ok: true, accepted: request.rowCount, units: written.units, quota: written.quota };
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
      if (error.result.ok === false && error.result.code === "quota_exceeded" && error.result.quota) {
        await this.recordQuotaRefusal(error.result.quota, now);
      }
      return error.result;
    }
  }

  /**
   * The month's first quota refusal is kept (after the refused transaction rolled back) for the next
   * flush to carry to Postgres as the `quota_exceeded` alert; later refusals of the month change
   * nothing. SQLite only: the refusal answers without waiting on Postgres.
   */
  private async recordQuotaRefusal(quota: QuotaState, now: number): Promise<void> {
    const recorded = this.sql
      .exec(
        "insert into quota_refusals (month, at, used, quota, dirty) values (?, ?, ?, ?, 1) on conflict (month) do nothing returning month",
        utcMonth(now),
        now,
        quota.used,
        quota.limit,
      )
      .toArray();
    if (recorded.length > 0) await this.ensureAlarm(now);
  }

  /**
   * Everything an admission writes, in one transaction: the rows, the usage count, the new labels,
   * sessions and event ids are durable together. A refusal throws `Refused`, which rolls it back.
   */
  private admitInTransaction(request: AdmitRequest, plan: Plan, now: number) {
    const limits = PLAN_LIMITS[plan];
    // Remember the ids; those already remembered (a retry) are not returned, and their rows are
    // neither charged nor buffered again. One statement in the common case of no repeats.
    const fresh = new Set(
      this.sql
        .exec<{ event_id: string }>(
          "insert or ignore into seen_event_ids (event_id, hour) select value, ? from json_each(?) returning event_id",
          Math.floor(now / HOUR_MS),
          JSON.stringify(request.eventIds),
        )
        .toArray()
        .map((row) => row.event_id),
    );
    const admission = fresh.size === request.eventIds.length ? request : withoutRepeats(request, fresh);

    const knownApps = new Set(
      this.sql
        .exec<{ app: string }>("select app from app_labels")
        .toArray()
        .map((r) => r.app),
    );
    const newApps = admission.apps.filter((app) => !knownApps.has(app));
    if (knownApps.size + newApps.length > limits.appLabels) {
      throw new Refused({
        ok: false,
        code: "app_limit",
        message: `The ${plan} plan allows ${limits.appLabels} distinct app labels per project; "${newApps[0]}" would exceed it`,
      });
    }

    // Units: 1 per event and error, 1 per session the meter has not seen; updates and ends are free.
    const newSessions = new Set<string>();
    for (const key of admission.sessionKeys) {
      if (newSessions.has(key)) continue;
      if (this.sql.exec("select 1 from known_sessions where key = ?", key).toArray().length === 0) newSessions.add(key);
    }
    const units = admission.chargeableRows + newSessions.size;

    const quota = this.quotaState(plan, now);
    if (units > 0 && quota.used + units > quota.limit) {
      throw new Refused({
        ok: false,
        code: "quota_exceeded",
        message: `Monthly quota of ${quota.limit} units reached; it resets at ${quota.resetsAt}`,
        retryAfterSeconds: Math.max(1, Math.ceil((nextMonthStart(now) - now) / 1000)),
        quota,
      });
    }

    if (
      this.bufferedRows + admission.rowCount > this.bufferLimits.rows ||
      this.bufferedBytes + admission.rowsJson.length > this.bufferLimits.bytes
    ) {
      // Most likely Postgres has been unreachable for a while; the alarm keeps retrying.
      throw new Refused({
        ok: false,
        code: "buffer_full",
        message: "Ingest is backed up; retry later",
        retryAfterSeconds: Math.min(60, 5 * (1 + this.consecutiveFailures)),
      });
    }

    const inserted =
      admission.rowCount === 0
        ? []
        : this.sql
            .exec<{ bytes: number }>(
              "insert into buffer (row, bytes, admitted_at) select value, length(value), ? from json_each(?) returning bytes",
              now,
              admission.rowsJson,
            )
            .toArray();
    for (const app of newApps) this.sql.exec("insert or ignore into app_labels (app) values (?)", app);
    // Every session in the batch is refreshed, so a long session is not forgotten while active.
    for (const key of new Set(admission.sessionKeys)) {
      this.sql.exec("insert or replace into known_sessions (key, seen_at) values (?, ?)", key, now);
    }
    if (units > 0) {
      this.sql.exec(
        "insert into usage (month, units, dirty) values (?, ?, 1) on conflict (month) do update set units = units + excluded.units, dirty = 1",
        utcMonth(now),
        units,
      );
    }
    for (const { source, category, reason, quantity } of request.outcomes ?? []) {
      this.sql.exec(
        `insert into outcomes (month, source, category, reason, quantity, dirty) values (?, ?, ?, ?, ?, 1)
         on conflict (month, source, category, reason) do update set quantity = quantity + excluded.quantity, dirty = 1`,
        utcMonth(now),
        source,
        category,
        reason,
        quantity,
      );
    }
    return {
      rows: inserted.length,
      bytes: inserted.reduce((sum, row) => sum + row.bytes, 0),
      units,
      quota: { ...quota, used: quota.used + units, remaining: Math.max(0, quota.remaining - units) },
    };
  }

  private async ensureAlarm(now: number): Promise<void> {
    // Remembered in memory so a busy meter does not read its alarm on every admit; after a restart
    // the flag is false and storage is asked again.
    if (this.alarmArmed) return;
    if ((await this.ctx.storage.getAlarm()) === null) {
      await this.ctx.storage.setAlarm(now + Number(this.env.FLUSH_DELAY_MS ?? 1000));
    }
    this.alarmArmed = true;
  }

  /** Called by the revoke service; from now on this key is refused here, whatever is cached elsewhere. */
  async revokeKey(publicId: string): Promise<void> {
    this.sql.exec("insert or ignore into revoked_keys (public_id) values (?)", publicId);
  }

  /** Called when billing changes the organization's plan: quota and rate follow on the next admit. */
  async setPlan(plan: Plan): Promise<void> {
    this.setMeta("plan", plan);
    this.setMeta("plan_refreshed_at", String(Date.now()));
    this.tokensAt = 0;
  }

  async stats(): Promise<MeterStats> {
    const oldest = this.sql
      .exec<{ admitted_at: number }>("select admitted_at from buffer order by seq limit 1")
      .toArray()[0];
    return {
      projectId: this.getMeta("project_id"),
      plan: this.getMeta("plan") as Plan | null,
      bufferedRows: this.bufferedRows,
      bufferedBytes: this.bufferedBytes,
      lastFlushAt: this.lastFlushAt ? new Date(this.lastFlushAt).toISOString() : null,
      lastFlushError: this.lastFlushError,
      consecutiveFlushFailures: this.consecutiveFailures,
      oldestBufferedAt: oldest ? new Date(oldest.admitted_at).toISOString() : null,
      deadLetterCount: this.sql.exec<{ n: number }>("select count(*) as n from dead_letters").one().n,
      usage: this.sql.exec<MonthlyUsage>("select month, units from usage order by month").toArray(),
    };
  }

  /** Rows Postgres refused as data (see flush): kept here, counted, the newest shown. */
  async deadLetters(limit = 20): Promise<DeadLetterReport> {
    const count = this.sql.exec<{ n: number }>("select count(*) as n from dead_letters").one().n;
    const recent = this.sql
      .exec<{ id: number; row: string; error: string; at: number }>(
        "select id, substr(row, 1, ?) as row, error, at from dead_letters order by id desc limit ?",
        DEAD_LETTER_ROW_CHARS,
        Math.max(0, Math.min(100, limit)),
      )
      .toArray()
      .map((entry) => {
        const kind = /"kind":"(\w+)"/.exec(entry.row)?.[1] ?? null;
        const eventId = /"event_id":"([0-9a-fA-F-]{36})"/.exec(entry.row)?.[1] ?? null;
        return {
          id: entry.id,
          at: new Date(entry.at).toISOString(),
          error: entry.error,
          kind,
          eventId,
          row: entry.row,
        };
      });
    return { count, recent };
  }

  private db(): DatabaseHandle {
    this.database ??= createDatabase({
      ...databaseOptions(this.env),
      onError: (error) => this.logger.debug("meter database connection closed", describeError(error)),
    });
    return this.database;
  }

  private async closeDatabase(): Promise<void> {
    const handle = this.database;
    this.database = undefined;
    await handle?.close();
  }

  /**
   * Writes the oldest buffered batch to Postgres; returns how many rows it took off the buffer.
   * One flush at a time: an alarm armed by an admit can fire while the previous one still awaits
   * Postgres, and two flushes of the same rows would be harmless for the data but not for the counts.
   */
  flushOnce(): Promise<number> {
    const run = (this.flushing ?? Promise.resolve(0)).catch(() => 0).then(() => this.flushOldestBatch());
    this.flushing = run;
    return run;
  }

  private async flushOldestBatch(): Promise<number> {
    const projectId = this.getMeta("project_id");
    if (!projectId) return 0;
    const batch: Array<{ seq: number; row: string; bytes: number }> = [];
    let bytes = 0;
    for (const entry of this.sql.exec<{ seq: number; row: string; bytes: number }>(
      "select seq, row, bytes from buffer order by seq limit ?",
      FLUSH_BATCH_ROWS,
    )) {
      if (batch.length > 0 && bytes + entry.bytes > FLUSH_BATCH_BYTES) break;
      batch.push(entry);
      bytes += entry.bytes;
    }
    const dirtyUsage = this.sql.exec<MonthlyUsage>("select month, units from usage where dirty = 1").toArray();
    const dirtyOutcomes = this.sql
      .exec<MonthlyOutcome>("select month, source, category, reason, quantity from outcomes where dirty = 1")
      .toArray();
    const quotaRefusals = this.sql
      .exec<QuotaRefusal>("select month, at, used, quota from quota_refusals where dirty = 1")
      .toArray();
    if (batch.length === 0 && dirtyUsage.length === 0 && dirtyOutcomes.length === 0 && quotaRefusals.length === 0) {
      return 0;
    }

    const rows = batch.map((entry) => JSON.parse(entry.row) as BufferedRow);
    await symbolicateErrorRows(rows, { db: this.db().db, bucket: this.env.ARTIFACTS, projectId, logger: this.logger });
    // A row Postgres refuses as data comes back as a dead letter instead of blocking the buffer.
    const dead = await writeIsolatingBadRows(
      this.db().db,
      projectId,
      rows,
      { usage: dirtyUsage, outcomes: dirtyOutcomes, quotaRefusals },
      this.logger,
    );

    // Rows admitted while the write was in flight have higher seq numbers and stay buffered.
    const lastSeq = batch.at(-1)?.seq ?? 0;
    const now = Date.now();
    const deleted = this.ctx.storage.transactionSync(() => {
      for (const { index, error } of dead) {
        this.sql.exec("insert into dead_letters (row, error, at) values (?, ?, ?)", batch[index].row, error, now);
      }
      const removed = this.sql
        .exec<{ bytes: number }>("delete from buffer where seq <= ? returning bytes", lastSeq)
        .toArray();
      for (const { month, units } of dirtyUsage) {
        this.sql.exec("update usage set dirty = 0 where month = ? and units = ?", month, units);
      }
      for (const { month, source, category, reason, quantity } of dirtyOutcomes) {
        this.sql.exec(
          "update outcomes set dirty = 0 where month = ? and source = ? and category = ? and reason = ? and quantity = ?",
          month,
          source,
          category,
          reason,
          quantity,
        );
      }
      for (const { month } of quotaRefusals)
        this.sql.exec("update quota_refusals set dirty = 0 where month = ?", month);
      return removed;
    });
    // Counted from what was actually deleted, so the gauge cannot drift from the table.
    this.bufferedRows -= deleted.length;
    this.bufferedBytes -= deleted.reduce((sum, row) => sum + row.bytes, 0);
    if (dead.length > 0) {
      // Ids and the error only: the rows are in the dead-letter table, never in the logs.
      this.logger.warn("rows refused by Postgres moved to dead letters", {
        projectId,
        deadLetters: dead.length,
        eventIds: dead.map(({ index }) => rows[index].event_id),
        errors: [...new Set(dead.map(({ error }) => error))],
        batchRows: rows.length,
      });
    }
    return deleted.length;
  }

  private async refreshPlan(projectId: string, now: number): Promise<void> {
    const refreshedAt = Number(this.getMeta("plan_refreshed_at") ?? 0);
    if (now - refreshedAt < PLAN_REFRESH_MS) return;
    const result = await this.db().db.execute<{ plan: Plan; subscription_status: string | null }>(sql`
      select o.plan, o.subscription_status from projects p join organizations o on o.id = p.org_id
      where p.id = ${projectId}::uuid`);
    // A setPlan() that landed while the query was in flight is newer than what was read: keep it.
    if (this.getMeta("plan_refreshed_at") !== (refreshedAt ? String(refreshedAt) : null)) return;
    const org = result.rows[0];
    if (org) this.setMeta("plan", effectivePlan({ plan: org.plan, subscriptionStatus: org.subscription_status }));
    this.setMeta("plan_refreshed_at", String(now));
  }

  /**
   * Drains the buffer batch by batch. Never throws: a failure is recorded and the alarm re-armed with
   * capped exponential backoff (the runtime gives up on a throwing alarm after a few retries).
   */
  async alarm(): Promise<void> {
    this.alarmArmed = false;
    let nextAlarm: number | null = null;
    try {
      const flushed = await this.flushOnce();
      this.lastFlushAt = Date.now();
      this.lastFlushError = null;
      this.consecutiveFailures = 0;
      const projectId = this.getMeta("project_id");
      if (projectId) await this.refreshPlan(projectId, Date.now()).catch(() => {});
      this.sql.exec("delete from known_sessions where seen_at < ?", Date.now() - KNOWN_SESSION_TTL_MS);
      this.sql.exec(
        "delete from seen_event_ids where hour < ?",
        Math.floor(Date.now() / HOUR_MS) - SEEN_EVENT_ID_HOURS,
      );
      if (this.bufferedRows > 0) nextAlarm = Date.now() + (flushed > 0 ? 0 : 1000);
    } catch (error) {
      this.consecutiveFailures++;
      // Counts and the error only: the driver's error message carries the rows as parameters.
      this.lastFlushError = describeFlushError(error);
      this.logger.warn("flush failed; rows stay buffered", {
        projectId: this.getMeta("project_id"),
        error: this.lastFlushError,
        bufferedRows: this.bufferedRows,
        failures: this.consecutiveFailures,
      });
      await this.closeDatabase();
      nextAlarm = Date.now() + Math.min(MAX_BACKOFF_MS, 500 * 2 ** Math.min(this.consecutiveFailures, 10));
    } finally {
      if (nextAlarm !== null) {
        await this.ctx.storage.setAlarm(nextAlarm);
        this.alarmArmed = true;
      } else {
        await this.closeDatabase();
      }
    }
  }
}
