import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { METER_SCHEMA_VERSION, migrate, schemaVersion } from "../../src/meter/storage.ts";

// What the ProjectMeter's constructor ran before its schema was versioned, verbatim.
const UNVERSIONED_SCHEMA = `
  create table if not exists buffer (seq integer primary key autoincrement, row text not null, bytes integer not null);
  create table if not exists meta (key text primary key, value text not null);
  create table if not exists usage (month text primary key, units integer not null, dirty integer not null default 1);
  create table if not exists revoked_keys (public_id text primary key);
  create table if not exists app_labels (app text primary key);
  create table if not exists known_sessions (key text primary key, seen_at integer not null);
`;

const tables = (sql: SqlStorage) =>
  sql
    .exec<{ name: string }>("select name from sqlite_master where type = 'table' order by name")
    .toArray()
    .map((row) => row.name)
    // SQLite's own and the runtime's (`_cf_…`) tables are not the meter's.
    .filter((name) => name !== "sqlite_sequence" && !name.startsWith("_cf"));

describe("meter storage migrations", () => {
  it("a new object starts at the latest schema version", async () => {
    const stub = env.PROJECT_METER.get(env.PROJECT_METER.newUniqueId());
    await runInDurableObject(stub, (_instance, state) => {
      expect(schemaVersion(state.storage.sql)).toBe(METER_SCHEMA_VERSION);
      expect(tables(state.storage.sql)).toContain("dead_letters");
      // Nothing left to apply: starting again is a no-op.
      expect(migrate(state.storage)).toEqual([]);
    });
  });

  it("an object created by the unversioned schema upgrades in place and keeps its data", async () => {
    const stub = env.PROJECT_METER.get(env.PROJECT_METER.newUniqueId());
    await runInDurableObject(stub, (_instance, state) => {
      const sql = state.storage.sql;
      // Put this object back to exactly what the old constructor left behind, with data in it.
      for (const table of tables(sql)) sql.exec(`drop table ${table}`);
      sql.exec(UNVERSIONED_SCHEMA);
      sql.exec("insert into buffer (row, bytes) values (?, ?), (?, ?)", '{"n":1}', 7, '{"n":2}', 7);
      sql.exec("insert into usage (month, units, dirty) values ('2026-12', 42, 1)");
      sql.exec("insert into meta (key, value) values ('plan', 'PRO')");
      expect(tables(sql)).not.toContain("schema_migrations");
      expect(schemaVersion(sql)).toBe(0);

      const upgradedAt = 1_700_000_000_000;
      expect(migrate(state.storage, upgradedAt)).toEqual([1, 2, 3, 4]);

      expect(schemaVersion(sql)).toBe(METER_SCHEMA_VERSION);
      expect(sql.exec("select seq, row, bytes, admitted_at from buffer order by seq").toArray()).toEqual([
        { seq: 1, row: '{"n":1}', bytes: 7, admitted_at: upgradedAt },
        { seq: 2, row: '{"n":2}', bytes: 7, admitted_at: upgradedAt },
      ]);
      expect(sql.exec("select month, units, dirty from usage").toArray()).toEqual([
        { month: "2026-12", units: 42, dirty: 1 },
      ]);
      expect(sql.exec("select value from meta where key = 'plan'").one().value).toBe("PRO");
      expect(tables(sql)).toEqual(
        expect.arrayContaining([
          "dead_letters",
          "seen_event_ids",
          "schema_migrations",
          "known_sessions",
          "outcomes",
          "quota_refusals",
        ]),
      );
      // The new columns and tables are usable, and the sequence continues after the kept rows.
      sql.exec("insert into buffer (row, bytes, admitted_at) values ('{}', 2, 1)");
      expect(sql.exec("select max(seq) as seq from buffer").one().seq).toBe(3);
      sql.exec("insert into seen_event_ids (event_id, hour) values ('a', 1)");
      sql.exec("insert into dead_letters (row, error, at) values ('{}', 'x', 1)");
      expect(migrate(state.storage)).toEqual([]);
    });
  });
});
