/**
 * The ProjectMeter's SQLite schema, as numbered steps. An object records the steps it has run in
 * `schema_migrations`; on start it runs the ones it lacks, each in one transaction with its record,
 * so an object created by any earlier version upgrades in place and keeps its buffered rows.
 * Append a step to change the schema; never edit one that has shipped.
 */
type Migration = (sql: SqlStorage, now: number) => void;

const MIGRATIONS: Migration[] = [
  // 1. The schema before versioning. Objects created then already have these tables (and no
  //    `schema_migrations`), hence `if not exists` in this step only.
  (sql) => {
    sql.exec(`
      create table if not exists buffer (seq integer primary key autoincrement, row text not null, bytes integer not null);
      create table if not exists meta (key text primary key, value text not null);
      create table if not exists usage (month text primary key, units integer not null, dirty integer not null default 1);
      create table if not exists revoked_keys (public_id text primary key);
      create table if not exists app_labels (app text primary key);
      create table if not exists known_sessions (key text primary key, seen_at integer not null);
    `);
  },
  // 2. When each buffered row was admitted (deep health reports a stale buffer); rows already
  //    buffered count from the upgrade. Dead letters: rows Postgres refused as data, kept with the
  //    error. Accepted event ids by hour, so a retried batch is neither charged nor buffered twice.
  (sql, now) => {
    sql.exec("alter table buffer add column admitted_at integer not null default 0");
    sql.exec("update buffer set admitted_at = ?", now);
    sql.exec(`
      create table dead_letters (id integer primary key autoincrement, row text not null, error text not null,
        at integer not null);
      create table seen_event_ids (event_id text primary key, hour integer not null) without rowid;
      create index seen_event_ids_by_hour on seen_event_ids (hour);
    `);
  },
  // 3. The Sentry intake's outcome counters (client reports, items accepted but not stored) per
  //    month, flushed to Postgres as absolute counts like usage.
  (sql) => {
    sql.exec(`
      create table outcomes (month text not null, source text not null, category text not null,
        reason text not null, quantity integer not null, dirty integer not null default 1,
        primary key (month, source, category, reason)) without rowid;
    `);
  },
  // 4. The first refusal for quota in each month, with the usage and limit it was refused at: the
  //    next flush carries it to Postgres, where it fires the month's `quota_exceeded` alert (a batch
  //    refused whole can leave usage just under the quota, so no flush ever sees it reached).
  (sql) => {
    sql.exec(`
      create table quota_refusals (month text primary key, at integer not null, used integer not null,
        quota integer not null, dirty integer not null default 1) without rowid;
    `);
  },
];

export const METER_SCHEMA_VERSION = MIGRATIONS.length;

/** The version this object's storage is at; 0 for an object that predates versioning. */
export function schemaVersion(sql: SqlStorage): number {
  sql.exec("create table if not exists schema_migrations (version integer primary key, applied_at integer not null)");
  return (
    sql.exec<{ version: number | null }>("select max(version) as version from schema_migrations").one().version ?? 0
  );
}

/** Brings the object's storage to the latest schema; returns the versions it applied. */
export function migrate(storage: DurableObjectStorage, now = Date.now()): number[] {
  const applied: number[] = [];
  for (let version = schemaVersion(storage.sql) + 1; version <= MIGRATIONS.length; version++) {
    storage.transactionSync(() => {
      MIGRATIONS[version - 1](storage.sql, now);
      storage.sql.exec("insert into schema_migrations (version, applied_at) values (?, ?)", version, now);
    });
    applied.push(version);
  }
  return applied;
}
