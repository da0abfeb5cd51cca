import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import { type FlushFacts, recordFlushFacts } from "../alerts/flush-facts.ts";
import { describeError, type Logger } from "../lib/logger.ts";
import { type BufferedRow, type ErrorRow, type EventRow, type SessionRow, sessionKey } from "./buffered-row.ts";

export type MonthlyUsage = {
  month: string;
  units: number;
};

/**
 * What the Sentry intake saw but did not store: `client` is what an SDK reported dropping,
 * `ignored` what we accepted and discarded. Counted by the meter, never billed.
 */
export type IntakeOutcome = {
  source: "client" | "ignored";
  category: string;
  reason: string;
  quantity: number;
};

/** An outcome counter of one month, as the meter holds it: an absolute count. */
export type MonthlyOutcome = IntakeOutcome & { month: string };

/** The meter's first refusal for quota in a month (ms since the epoch; usage and quota then). */
export type QuotaRefusal = {
  month: string;
  at: number;
  used: number;
  quota: number;
};

/** What the meter counts beside the rows, carried by every flush (absolute values, so replays agree). */
export interface MeterCounters {
  usage?: MonthlyUsage[];
  outcomes?: MonthlyOutcome[];
  quotaRefusals?: QuotaRefusal[];
}

export interface FlushCounts {
  events: number;
  occurrences: number;
  sessions: number;
  /** Alerts this flush fired (new issues, regressions, custom rules, quota crossings). */
  alerts: number;
}

/** What the error insert learned for alerting: the rows it inserted, groups it created or reopened. */
type ErrorInsert = Pick<FlushFacts, "newGroups" | "reopenedGroups"> & { inserted: ErrorRow[] };

const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;

/**
 * Several starts/updates/ends of one session in a batch become one upsert: Postgres refuses to
 * update the same row twice in one `ON CONFLICT DO UPDATE`.
 */
export function collapseSessions(rows: SessionRow[]): SessionRow[] {
  const byKey = new Map<string, SessionRow>();
  for (const row of rows) {
    const key = sessionKey(row.app, row.session_id);
    const previous = byKey.get(key);
    if (!previous) {
      byKey.set(key, { ...row });
      continue;
    }
    const merged: SessionRow = { ...previous };
    for (const [field, value] of Object.entries(row) as Array<[keyof SessionRow, unknown]>) {
      if (value !== null && value !== undefined) (merged as unknown as Record<string, unknown>)[field] = value;
    }
    // ISO strings of one format compare like the instants they name (Math.min would coerce to NaN).
    // biome-ignore lint/complexity/useMathMinMax: string comparison, see above
    merged.started_at = previous.started_at < row.started_at ? previous.started_at : row.started_at;
    // biome-ignore lint/complexity/useMathMinMax: string comparison, see above
    merged.seen_at = previous.seen_at > row.seen_at ? previous.seen_at : row.seen_at;
    byKey.set(key, merged);
  }
  return [...byKey.values()];
}

async function insertEvents(tx: Database, projectId: string, rows: EventRow[]): Promise<EventRow[]> {
  if (rows.length === 0) return [];
  const result = await tx.execute<{ event_id: string }>(sql`
    insert into events (project_id, event_id, name, timestamp, timestamp_clamped, app, platform, environment,
      release, user_id, anonymous_id, session_id, url, sdk_name, sdk_version, properties)
    select ${projectId}::uuid, x.event_id, x.name, x.timestamp, x.timestamp_clamped, x.app, x.platform,
      x.environment, x.release, x.user_id, x.anonymous_id, x.session_id, x.url, x.sdk_name, x.sdk_version,
      coalesce(x.properties, '{}'::jsonb)
    from jsonb_to_recordset(${json(rows)}) as x(event_id uuid, name text, timestamp timestamptz,
      timestamp_clamped boolean, app text, platform text, environment text, release text, user_id text,
      anonymous_id text, session_id text, url text, sdk_name text, sdk_version text, properties jsonb)
    on conflict (project_id, event_id) do nothing
    returning event_id`);
  const inserted = new Set(result.rows.map((row) => row.event_id));
  return rows.filter((row) => inserted.has(row.event_id));
}

async function upsertSessions(tx: Database, projectId: string, rows: SessionRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const collapsed = collapseSessions(rows);
  // Status only escalates (ok → errored → abnormal → crashed), so replays and reordering agree.
  const result = await tx.execute(sql`
    insert into sessions (project_id, session_id, app, started_at, ended_at, last_seen_at, status, release,
      environment, user_id, anonymous_id, browser, os, device, country)
    select ${projectId}::uuid, x.session_id, x.app, x.started_at, x.ended_at, x.seen_at, coalesce(x.status, 'ok'),
      x.release, x.environment, x.user_id, x.anonymous_id, x.browser, x.os, x.device, x.country
    from jsonb_to_recordset(${json(collapsed)}) as x(session_id text, app text, started_at timestamptz,
      ended_at timestamptz, seen_at timestamptz, status text, release text, environment text, user_id text,
      anonymous_id text, browser text, os text, device text, country text)
    on conflict (project_id, session_id, app) do update set
      started_at = least(sessions.started_at, excluded.started_at),
      ended_at = coalesce(excluded.ended_at, sessions.ended_at),
      last_seen_at = greatest(sessions.last_seen_at, excluded.last_seen_at),
      status = case when array_position(array['ok','errored','abnormal','crashed'], excluded.status)
                       > array_position(array['ok','errored','abnormal','crashed'], sessions.status)
                    then excluded.status else sessions.status end,
      release = coalesce(excluded.release, sessions.release),
      environment = coalesce(excluded.environment, sessions.environment),
      user_id = coalesce(excluded.user_id, sessions.user_id),
      anonymous_id = coalesce(excluded.anonymous_id, sessions.anonymous_id),
      browser = coalesce(excluded.browser, sessions.browser),
      os = coalesce(excluded.os, sessions.os),
      device = coalesce(excluded.device, sessions.device),
      country = coalesce(excluded.country, sessions.country)`);
  return result.rowCount ?? 0;
}

/**
 * Error groups and occurrences in two statements. Group counters move only by the occurrences this
 * statement actually inserted (`RETURNING` of an `ON CONFLICT DO NOTHING`), so a replayed flush adds
 * nothing; a resolved group that gets a new occurrence is reopened and marked regressed.
 */
async function insertErrors(tx: Database, projectId: string, rows: ErrorRow[]): Promise<ErrorInsert> {
  if (rows.length === 0) return { inserted: [], newGroups: [], reopenedGroups: [] };
  const groups = new Map<string, ErrorRow & { first: string }>();
  for (const row of rows) {
    const known = groups.get(row.fingerprint);
    if (!known) groups.set(row.fingerprint, { ...row, first: row.timestamp });
    else if (row.timestamp > known.timestamp) groups.set(row.fingerprint, { ...row, first: known.first });
  }
  const created = await tx.execute<ErrorInsert["newGroups"][number]>(sql`
    insert into error_groups (project_id, fingerprint, type, message, culprit, first_seen, last_seen, app,
      environment, last_release)
    select ${projectId}::uuid, x.fingerprint, x.type, x.message, x.culprit, x.first, x.timestamp, x.app,
      x.environment, x.release
    from jsonb_to_recordset(${json([...groups.values()])}) as x(fingerprint text, type text, message text,
      culprit text, first timestamptz, timestamp timestamptz, app text, environment text, release text)
    on conflict (project_id, fingerprint) do nothing
    returning id, type, message, app, environment`);

  const result = await tx.execute<{ event_ids: string[]; reopened: ErrorInsert["reopenedGroups"] }>(sql`
    with inserted as (
      insert into error_occurrences (project_id, group_id, event_id, timestamp, app, platform, environment,
        release, user_id, anonymous_id, session_id, url, sdk_name, sdk_version, type, message, level, handled,
        stack, frames, breadcrumbs, tags, context)
      select ${projectId}::uuid, g.id, x.event_id, x.timestamp, x.app, x.platform, x.environment, x.release,
        x.user_id, x.anonymous_id, x.session_id, x.url, x.sdk_name, x.sdk_version, x.type, x.message, x.level,
        x.handled, x.stack, x.frames, coalesce(x.breadcrumbs, '[]'::jsonb), coalesce(x.tags, '{}'::jsonb),
        coalesce(x.context, '{}'::jsonb)
      from jsonb_to_recordset(${json(rows)}) as x(event_id uuid, fingerprint text, timestamp timestamptz,
        app text, platform text, environment text, release text, user_id text, anonymous_id text,
        session_id text, url text, sdk_name text, sdk_version text, type text, message text, level text,
        handled boolean, stack text, frames jsonb, breadcrumbs jsonb, tags jsonb, context jsonb)
      join error_groups g on g.project_id = ${projectId}::uuid and g.fingerprint = x.fingerprint
      on conflict (project_id, event_id) do nothing
      returning event_id, group_id, timestamp, release, session_id, app
    ),
    per_group as (
      select group_id, count(*) as n, min(timestamp) as first_ts, max(timestamp) as last_ts,
        (array_agg(release order by timestamp desc) filter (where release is not null))[1] as last_release
      from inserted group by group_id
    ),
    -- Read from the statement's snapshot, i.e. before touched_groups reopens them: alerting needs
    -- which groups were resolved and since when.
    reopened as (
      select g.id, g.type, g.message, g.resolved_at from error_groups g join per_group on g.id = per_group.group_id
      where g.status = 'resolved'
    ),
    touched_groups as (
      update error_groups g set
        occurrences = g.occurrences + per_group.n,
        first_seen = least(g.first_seen, per_group.first_ts),
        last_seen = greatest(g.last_seen, per_group.last_ts),
        last_release = coalesce(per_group.last_release, g.last_release),
        regressed = g.regressed or g.status = 'resolved',
        resolved_at = case when g.status = 'resolved' then null else g.resolved_at end,
        status = case when g.status = 'resolved' then 'unresolved' else g.status end
      from per_group where g.id = per_group.group_id
      returning g.id
    ),
    touched_sessions as (
      update sessions s set
        error_count = s.error_count + per_session.n,
        status = case when s.status = 'ok' then 'errored' else s.status end
      from (select session_id, app, count(*) as n from inserted where session_id is not null group by 1, 2) per_session
      where s.project_id = ${projectId}::uuid and s.session_id = per_session.session_id and s.app = per_session.app
      returning s.id
    )
    select (select coalesce(array_agg(event_id), '{}') from inserted) as event_ids,
      (select count(*) from touched_groups)::int as groups,
      (select count(*) from touched_sessions)::int as sessions,
      (select coalesce(jsonb_agg(jsonb_build_object('id', id, 'type', type, 'message', message,
        'resolvedAt', resolved_at)), '[]'::jsonb) from reopened) as reopened`);
  const inserted = new Set(result.rows[0]?.event_ids ?? []);
  return {
    inserted: rows.filter((row) => inserted.has(row.event_id)),
    newGroups: created.rows,
    reopenedGroups: result.rows[0]?.reopened ?? [],
  };
}

/**
 * Writes one buffered batch in one transaction. Safe to run twice: every insert is idempotent on
 * `event_id`, session upserts converge, and usage and outcomes are written as the meter's absolute
 * counts.
 */
export async function writeBatch(
  db: Database,
  projectId: string,
  rows: BufferedRow[],
  counters: MeterCounters = {},
  logger?: Logger,
): Promise<FlushCounts> {
  const { usage = [], outcomes = [], quotaRefusals = [] } = counters;
  const events = rows.filter((row): row is EventRow => row.kind === "event");
  const errors = rows.filter((row): row is ErrorRow => row.kind === "error");
  const sessions = rows.filter((row): row is SessionRow => row.kind === "session");
  return db.transaction(async (tx) => {
    const insertedEvents = await insertEvents(tx as unknown as Database, projectId, events);
    // Sessions before errors, so an error of a session in the same batch finds the session row.
    const sessionCount = await upsertSessions(tx as unknown as Database, projectId, sessions);
    const errorInsert = await insertErrors(tx as unknown as Database, projectId, errors);
    const usageChanges: FlushFacts["usage"] = [];
    for (const { month, units } of usage) {
      const result = await tx.execute<{ before: number; after: number }>(sql`
        with previous as (
          select units from usage_monthly where project_id = ${projectId}::uuid and month = ${month} for update
        )
        insert into usage_monthly (project_id, month, units, updated_at)
        values (${projectId}::uuid, ${month}, ${units}, now())
        on conflict (project_id, month) do update
        set units = greatest(usage_monthly.units, excluded.units), updated_at = now()
        returning coalesce((select units from previous), 0)::int as before, units::int as after`);
      if (result.rows[0]) usageChanges.push({ month, ...result.rows[0] });
    }
    if (outcomes.length > 0) {
      await tx.execute(sql`
        insert into intake_outcomes (project_id, month, source, category, reason, quantity, updated_at)
        select ${projectId}::uuid, x.month, x.source, x.category, x.reason, x.quantity, now()
        from jsonb_to_recordset(${json(outcomes)}) as x(month text, source text, category text, reason text,
          quantity bigint)
        on conflict (project_id, month, source, category, reason) do update
        set quantity = greatest(intake_outcomes.quantity, excluded.quantity), updated_at = now()`);
    }
    const alerts = await recordAlerts(tx as unknown as Database, logger, {
      projectId,
      newGroups: errorInsert.newGroups,
      reopenedGroups: errorInsert.reopenedGroups,
      inserted: [...insertedEvents, ...errorInsert.inserted],
      usage: usageChanges,
      quotaRefusals,
      now: new Date(),
    });
    return {
      events: insertedEvents.length,
      sessions: sessionCount,
      occurrences: errorInsert.inserted.length,
      alerts,
    };
  });
}

/** The SQLSTATE of a Postgres error, looked up through wrappers (drizzle puts the driver's in `cause`). */
export function sqlState(error: unknown): string | null {
  for (let current = error, depth = 0; current && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

// SQLSTATE classes that blame the data, not the connection: 22 data exception (bad JSON, NUL,
// out-of-range values), 23 integrity constraint, 54 program limit (e.g. an index row too large).
const DATA_ERROR_CLASSES = new Set(["22", "23", "54"]);

/** A refusal that would repeat for the same rows forever; anything else (network, timeouts) may pass. */
export function isDataError(error: unknown): boolean {
  const state = sqlState(error);
  return state !== null && DATA_ERROR_CLASSES.has(state.slice(0, 2));
}

/**
 * The error as it may be logged and shown: SQLSTATE and the server's message, with quoted values
 * cut out (Postgres quotes the offending input, e.g. `invalid input syntax for type uuid: "…"`).
 * Never the wrapper's message, which carries the statement's parameters, i.e. the rows.
 */
export function describeFlushError(error: unknown): string {
  // Skip wrappers that carry the statement (drizzle's DrizzleQueryError has `params`).
  let source = error;
  while (source && typeof source === "object" && "params" in source && "cause" in source) source = source.cause;
  const message = source instanceof Error ? source.message : source ? String(source) : "query failed";
  const safe = message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/'[^']*'/g, "'…'")
    .slice(0, 300);
  const state = sqlState(error);
  return state && !safe.startsWith(state) ? `${state} ${safe}` : safe;
}

export interface DeadLetter {
  /** Index of the refused row in the batch given. */
  index: number;
  error: string;
}

/**
 * `writeBatch`, immune to a bad row: when Postgres refuses the batch as data, the batch is halved
 * until the refused rows stand alone; they come back as dead letters and every other row is written.
 * A connection error (or any non-data error) is thrown as it is, so the caller keeps everything.
 * Costs about 2·log2(n) extra transactions per bad row, only when one is there.
 */
export async function writeIsolatingBadRows(
  db: Database,
  projectId: string,
  rows: BufferedRow[],
  counters: MeterCounters,
  logger?: Logger,
): Promise<DeadLetter[]> {
  const dead: DeadLetter[] = [];
  const attempt = async (start: number, end: number): Promise<void> => {
    try {
      await writeBatch(db, projectId, rows.slice(start, end), counters, logger);
    } catch (error) {
      if (!isDataError(error) || end - start === 0) throw error;
      if (end - start === 1) {
        dead.push({ index: start, error: describeFlushError(error) });
        return;
      }
      const middle = Math.ceil((start + end) / 2);
      await attempt(start, middle);
      await attempt(middle, end);
    }
  };
  await attempt(0, rows.length);
  return dead;
}

/**
 * Alerting inside the flush's transaction, under a savepoint: whatever goes wrong there is logged and
 * rolled back alone, and the rows still land. Accepted data wins over an alert.
 */
async function recordAlerts(tx: Database, logger: Logger | undefined, facts: FlushFacts): Promise<number> {
  try {
    return await tx.transaction((savepoint) => recordFlushFacts(savepoint as unknown as Database, facts));
  } catch (error) {
    logger?.error("alert evaluation failed in flush; rows are written anyway", describeError(error));
    return 0;
  }
}
