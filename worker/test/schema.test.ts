import {
  apiKeys,
  auditLog,
  errorGroups,
  errorOccurrences,
  events,
  memberships,
  organizations,
  processedWebhooks,
  projects,
  sessions,
  usageMonthly,
  userSessions,
  users,
} from "@telemetry-tracker/db";
import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { postgresError, suiteDatabase } from "./helpers/db.ts";
import { createApiKey, createTenant, createUser } from "./helpers/fixtures.ts";

const db = suiteDatabase();

async function expectViolation(work: Promise<unknown>, code: string, constraint?: string) {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error, "expected the database to refuse this write").toBeDefined();
  const pg = postgresError(error);
  expect(pg.code).toBe(code);
  if (constraint) expect(pg.constraint).toBe(constraint);
}

const UNIQUE = "23505";
const FOREIGN_KEY = "23503";
const CHECK = "23514";

describe("migrations", () => {
  it("created every table of the data model", async () => {
    const result = await db.execute<{ table_name: string }>(
      sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`,
    );
    expect(result.rows.map((row) => row.table_name)).toEqual([
      "alert_cooldowns",
      "alert_counts_minute",
      "alert_deliveries",
      "alert_delivery_attempts",
      "alert_destinations",
      "alert_events",
      "alert_rules",
      "api_keys",
      "audit_log",
      "auth_throttle",
      "error_counts_hourly",
      "error_counts_hourly_by_scope",
      "error_group_users",
      "error_groups",
      "error_occurrences",
      "event_counts_hourly",
      "event_counts_hourly_by_scope",
      "events",
      "intake_outcomes",
      "invites",
      "job_heartbeats",
      "memberships",
      "organizations",
      "password_reset_tokens",
      "processed_webhooks",
      "project_counts_hourly",
      "project_counts_hourly_by_scope",
      "project_dimensions",
      "project_users_daily",
      "projects",
      "release_counts_hourly",
      "release_users_daily",
      "request_histograms_daily",
      "request_histograms_hourly",
      "request_route_keys",
      "request_running_daily",
      "session_users_daily",
      "session_users_daily_by_scope",
      "sessions",
      "source_map_artifacts",
      "usage_monthly",
      "user_sessions",
      "users",
      "vital_histograms_daily",
      "vital_histograms_hourly",
    ]);
  });

  it("created the read-path indexes", async () => {
    const result = await db.execute<{ indexname: string }>(
      sql`select indexname from pg_indexes where schemaname = 'public'`,
    );
    const names = result.rows.map((row) => row.indexname);
    for (const index of [
      "events_project_time_idx",
      "events_project_name_time_idx",
      "sessions_project_started_idx",
      "error_groups_project_last_seen_idx",
      "error_occurrences_group_time_idx",
      "audit_log_org_idx",
      "vital_histograms_hourly_name_idx",
      "request_histograms_hourly_time_idx",
    ]) {
      expect(names).toContain(index);
    }
  });

  it("installed pg_trgm and the search's trigram indexes (0019–0020)", async () => {
    const extension = await db.execute(sql`select 1 from pg_extension where extname = 'pg_trgm'`);
    expect(extension.rows).toHaveLength(1);
    const result = await db.execute<{ indexname: string; indexdef: string }>(
      sql`select indexname, indexdef from pg_indexes where schemaname = 'public' and indexname like '%trgm%'`,
    );
    expect(result.rows.map((row) => row.indexname).sort()).toEqual([
      "error_groups_fingerprint_trgm_idx",
      "error_groups_message_trgm_idx",
      "error_groups_type_trgm_idx",
      "event_counts_hourly_by_scope_name_trgm_idx",
      "event_counts_hourly_name_trgm_idx",
      "release_counts_hourly_release_trgm_idx",
      "session_users_daily_by_scope_user_key_trgm_idx",
      "session_users_daily_user_key_trgm_idx",
      "sessions_session_id_trgm_idx",
    ]);
    expect(result.rows.every((row) => /USING gin .*gin_trgm_ops/.test(row.indexdef))).toBe(true);
  });
});

describe("unique rules", () => {
  it("a project slug is unique within its organization, not across organizations", async () => {
    const a = await createTenant(db);
    const b = await createTenant(db);
    await expectViolation(
      db.insert(projects).values({ orgId: a.org.id, name: "Twin", slug: a.project.slug }),
      UNIQUE,
      "projects_org_slug_unique",
    );
    await db.insert(projects).values({ orgId: b.org.id, name: "Same slug elsewhere", slug: a.project.slug });
  });

  it("an API key public id is unique", async () => {
    const { project } = await createTenant(db);
    const { row } = await createApiKey(db, project.id);
    await expectViolation(
      db.insert(apiKeys).values({ projectId: project.id, publicId: row.publicId, secretHash: "x", name: "dup" }),
      UNIQUE,
      "api_keys_public_id_unique",
    );
  });

  it("a user email is unique", async () => {
    const user = await createUser(db);
    await expectViolation(createUser(db, { email: user.email }), UNIQUE, "users_email_unique");
  });

  it("a session is unique per project + session id + app", async () => {
    const { project } = await createTenant(db);
    const row = { projectId: project.id, sessionId: "s-1", app: "web", startedAt: new Date(), lastSeenAt: new Date() };
    await db.insert(sessions).values(row);
    await expectViolation(db.insert(sessions).values(row), UNIQUE, "sessions_project_session_app_unique");
    await db.insert(sessions).values({ ...row, app: "mobile" });
  });

  it("an error group is unique per project + fingerprint", async () => {
    const { project } = await createTenant(db);
    const row = {
      projectId: project.id,
      fingerprint: "fp-1",
      type: "TypeError",
      message: "x",
      firstSeen: new Date(),
      lastSeen: new Date(),
    };
    await db.insert(errorGroups).values(row);
    await expectViolation(db.insert(errorGroups).values(row), UNIQUE, "error_groups_project_fingerprint_unique");
  });

  it("an event id is unique per project, and free in another project", async () => {
    const a = await createTenant(db);
    const b = await createTenant(db);
    const eventId = crypto.randomUUID();
    const row = { projectId: a.project.id, eventId, name: "click", app: "web", timestamp: new Date() };
    await db.insert(events).values(row);
    await expectViolation(db.insert(events).values(row), UNIQUE, "events_project_event_id_unique");
    await db.insert(events).values({ ...row, projectId: b.project.id });
  });

  it("usage is one row per project and month", async () => {
    const { project } = await createTenant(db);
    await db.insert(usageMonthly).values({ projectId: project.id, month: "2026-11", units: 1 });
    await expectViolation(
      db.insert(usageMonthly).values({ projectId: project.id, month: "2026-11", units: 2 }),
      UNIQUE,
    );
  });

  it("a Stripe event id is processed once", async () => {
    const eventId = `evt_${crypto.randomUUID()}`;
    await db.insert(processedWebhooks).values({ eventId, type: "checkout.session.completed" });
    await expectViolation(db.insert(processedWebhooks).values({ eventId, type: "again" }), UNIQUE);
  });
});

describe("foreign keys and cascades", () => {
  it("telemetry cannot point at a project that does not exist", async () => {
    await expectViolation(
      db.insert(events).values({
        projectId: crypto.randomUUID(),
        eventId: crypto.randomUUID(),
        name: "orphan",
        app: "web",
        timestamp: new Date(),
      }),
      FOREIGN_KEY,
    );
  });

  it("an occurrence needs its error group", async () => {
    const { project } = await createTenant(db);
    await expectViolation(
      db.insert(errorOccurrences).values({
        projectId: project.id,
        groupId: crypto.randomUUID(),
        eventId: crypto.randomUUID(),
        timestamp: new Date(),
        app: "web",
        type: "Error",
        message: "x",
      }),
      FOREIGN_KEY,
    );
  });

  it("deleting an organization removes its projects, keys, telemetry, memberships and audit log", async () => {
    const { org, project } = await createTenant(db);
    const user = await createUser(db);
    await db.insert(memberships).values({ orgId: org.id, userId: user.id, role: "OWNER" });
    await createApiKey(db, project.id);
    await db
      .insert(events)
      .values({ projectId: project.id, eventId: crypto.randomUUID(), name: "e", app: "web", timestamp: new Date() });
    const [group] = await db
      .insert(errorGroups)
      .values({
        projectId: project.id,
        fingerprint: "f",
        type: "E",
        message: "m",
        firstSeen: new Date(),
        lastSeen: new Date(),
      })
      .returning();
    await db.insert(errorOccurrences).values({
      projectId: project.id,
      groupId: group.id,
      eventId: crypto.randomUUID(),
      timestamp: new Date(),
      app: "web",
      type: "E",
      message: "m",
    });
    await db.insert(auditLog).values({ orgId: org.id, actorUserId: user.id, action: "project.create" });

    await db.delete(organizations).where(eq(organizations.id, org.id));

    expect(await db.select().from(projects).where(eq(projects.orgId, org.id))).toHaveLength(0);
    expect(await db.select().from(apiKeys).where(eq(apiKeys.projectId, project.id))).toHaveLength(0);
    expect(await db.select().from(events).where(eq(events.projectId, project.id))).toHaveLength(0);
    expect(await db.select().from(errorOccurrences).where(eq(errorOccurrences.projectId, project.id))).toHaveLength(0);
    expect(await db.select().from(memberships).where(eq(memberships.orgId, org.id))).toHaveLength(0);
    expect(await db.select().from(auditLog).where(eq(auditLog.orgId, org.id))).toHaveLength(0);
    // The user is not the organization's: it survives.
    expect(await db.select().from(users).where(eq(users.id, user.id))).toHaveLength(1);
  });

  it("deleting a user ends their sessions and memberships but keeps the audit trail", async () => {
    const { org } = await createTenant(db);
    const user = await createUser(db);
    await db.insert(memberships).values({ orgId: org.id, userId: user.id, role: "EDITOR" });
    await db.insert(userSessions).values({ userId: user.id, expiresAt: new Date(Date.now() + 60_000) });
    const [entry] = await db
      .insert(auditLog)
      .values({ orgId: org.id, actorUserId: user.id, action: "login" })
      .returning();

    await db.delete(users).where(eq(users.id, user.id));

    expect(await db.select().from(userSessions).where(eq(userSessions.userId, user.id))).toHaveLength(0);
    expect(await db.select().from(memberships).where(eq(memberships.userId, user.id))).toHaveLength(0);
    const [kept] = await db.select().from(auditLog).where(eq(auditLog.id, entry.id));
    expect(kept.actorUserId).toBeNull();
  });

  it("a membership needs an existing user and organization", async () => {
    const { org } = await createTenant(db);
    await expectViolation(
      db.insert(memberships).values({ orgId: org.id, userId: crypto.randomUUID(), role: "VIEWER" }),
      FOREIGN_KEY,
    );
  });
});

describe("check rules", () => {
  it("refuses an unknown plan, role, group status or session status", async () => {
    const { org, project } = await createTenant(db);
    const user = await createUser(db);
    await expectViolation(
      db.execute(sql`update organizations set plan = 'GOLD' where id = ${org.id}`),
      CHECK,
      "organizations_plan_check",
    );
    await expectViolation(
      db.execute(sql`insert into memberships (org_id, user_id, role) values (${org.id}, ${user.id}, 'ADMIN')`),
      CHECK,
      "memberships_role_check",
    );
    await expectViolation(
      db.execute(
        sql`insert into error_groups (project_id, fingerprint, type, message, status, first_seen, last_seen) values (${project.id}, 'f', 'E', 'm', 'closed', now(), now())`,
      ),
      CHECK,
      "error_groups_status_check",
    );
    await expectViolation(
      db.execute(
        sql`insert into sessions (project_id, session_id, app, started_at, last_seen_at, status) values (${project.id}, 's', 'a', now(), now(), 'weird')`,
      ),
      CHECK,
      "sessions_status_check",
    );
  });
});
