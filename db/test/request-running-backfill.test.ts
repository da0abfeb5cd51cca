import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { MIGRATIONS_FOLDER } from "../local/migrate.ts";
import { useMigratedDatabase } from "./helpers.ts";

// Migration 0022 backfills the running request histograms from stored events, a project day at a
// time. Its result must be what the triggers build as the same events arrive: here the triggers fill
// the tables from events of many days and projects (late days included), then the tables are emptied
// and the migration's backfill statement rebuilds them.

const db = useMigratedDatabase();

const snapshot = async () =>
  (
    await db.client.query(
      `select project_id, app, environment, method, route, day, requests, errors, buckets, counts
       from request_running_daily order by project_id, app, environment, method, route, day`,
    )
  ).rows;

it("0022's backfill rebuilds exactly what the triggers keep", async () => {
  const {
    rows: [org],
  } = await db.client.query("insert into organizations (name) values ('Backfill') returning id");
  for (const slug of ["a", "b"]) {
    const {
      rows: [project],
    } = await db.client.query("insert into projects (org_id, name, slug) values ($1, $2, $2) returning id", [
      org.id,
      slug,
    ]);
    // Newest days first, so the triggers see late days; a few 500s and two environments.
    for (let day = 20; day >= 0; day -= 4) {
      await db.client.query(
        `insert into events (project_id, event_id, name, timestamp, app, environment, properties)
         select $1, gen_random_uuid(), '$request', now() - ($2 || ' days')::interval - (g || ' minutes')::interval, 'api',
                (array['prod', 'staging'])[1 + g % 2],
                jsonb_build_object('method', 'GET', 'route', '/r' || (g % 3), 'status', case when g % 7 = 0 then 500 else 200 end,
                                   'duration_ms', g * 1.7)
         from generate_series(1, 40) g`,
        [project.id, day],
      );
    }
  }
  const kept = await snapshot();
  expect(kept.length).toBeGreaterThan(12);

  const migration = readFileSync(join(MIGRATIONS_FOLDER, "0022_request_running_triggers.sql"), "utf8");
  const backfill = migration.split("--> statement-breakpoint").find((s) => s.includes("DO $$"));
  expect(backfill).toBeDefined();
  await db.client.query("truncate request_running_daily, request_route_keys");
  await db.client.query(backfill as string);
  expect(await snapshot()).toEqual(kept);
  const keys = await db.client.query("select count(*)::int as n from request_route_keys");
  expect(keys.rows[0].n).toBe(2 * 2 * 3);
});
