-- Hourly rollups and filter dimensions, kept exact by statement-level triggers with transition
-- tables: one aggregate statement per INSERT/DELETE statement, whoever runs it (the meter's flush,
-- retention, seeds). Rows skipped by ON CONFLICT DO NOTHING are not in the transition table, so
-- idempotent re-flushes never double-count.

CREATE FUNCTION tt_events_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO event_counts_hourly AS r (project_id, hour, name, count)
  SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), name, count(*) FROM tt_new_rows GROUP BY 1, 2, 3
  ON CONFLICT (project_id, hour, name) DO UPDATE SET count = r.count + excluded.count;
  INSERT INTO project_dimensions AS d (project_id, kind, value, last_seen)
  SELECT project_id, kind, value, max(ts) FROM (
    SELECT project_id, 'app' AS kind, app AS value, "timestamp" AS ts FROM tt_new_rows
    UNION ALL SELECT project_id, 'environment', environment, "timestamp" FROM tt_new_rows WHERE environment IS NOT NULL
    UNION ALL SELECT project_id, 'release', release, "timestamp" FROM tt_new_rows WHERE release IS NOT NULL
  ) v GROUP BY 1, 2, 3
  ON CONFLICT (project_id, kind, value) DO UPDATE SET last_seen = greatest(d.last_seen, excluded.last_seen);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_events_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE event_counts_hourly r SET count = r.count - o.c
  FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, name, count(*) AS c FROM tt_old_rows GROUP BY 1, 2, 3) o
  WHERE r.project_id = o.project_id AND r.hour = o.hour AND r.name = o.name;
  DELETE FROM event_counts_hourly WHERE count <= 0 AND project_id IN (SELECT DISTINCT project_id FROM tt_old_rows);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER events_rollup_insert AFTER INSERT ON events REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_events_rollup_insert();
--> statement-breakpoint
CREATE TRIGGER events_rollup_delete AFTER DELETE ON events REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_events_rollup_delete();
--> statement-breakpoint
CREATE FUNCTION tt_errors_rollup_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO error_counts_hourly AS r (project_id, hour, group_id, count)
  SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), group_id, count(*) FROM tt_new_rows GROUP BY 1, 2, 3
  ON CONFLICT (project_id, hour, group_id) DO UPDATE SET count = r.count + excluded.count;
  INSERT INTO project_dimensions AS d (project_id, kind, value, last_seen)
  SELECT project_id, kind, value, max(ts) FROM (
    SELECT project_id, 'app' AS kind, app AS value, "timestamp" AS ts FROM tt_new_rows
    UNION ALL SELECT project_id, 'environment', environment, "timestamp" FROM tt_new_rows WHERE environment IS NOT NULL
    UNION ALL SELECT project_id, 'release', release, "timestamp" FROM tt_new_rows WHERE release IS NOT NULL
  ) v GROUP BY 1, 2, 3
  ON CONFLICT (project_id, kind, value) DO UPDATE SET last_seen = greatest(d.last_seen, excluded.last_seen);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_errors_rollup_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE error_counts_hourly r SET count = r.count - o.c
  FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, group_id, count(*) AS c FROM tt_old_rows GROUP BY 1, 2, 3) o
  WHERE r.project_id = o.project_id AND r.hour = o.hour AND r.group_id = o.group_id;
  DELETE FROM error_counts_hourly WHERE count <= 0 AND project_id IN (SELECT DISTINCT project_id FROM tt_old_rows);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER error_occurrences_rollup_insert AFTER INSERT ON error_occurrences REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_errors_rollup_insert();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_rollup_delete AFTER DELETE ON error_occurrences REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_errors_rollup_delete();
--> statement-breakpoint
-- Backfill whatever was stored before the triggers existed.
INSERT INTO event_counts_hourly (project_id, hour, name, count)
SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), name, count(*) FROM events GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO error_counts_hourly (project_id, hour, group_id, count)
SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), group_id, count(*) FROM error_occurrences GROUP BY 1, 2, 3;
--> statement-breakpoint
INSERT INTO project_dimensions (project_id, kind, value, last_seen)
SELECT project_id, kind, value, max(ts) FROM (
  SELECT project_id, 'app' AS kind, app AS value, "timestamp" AS ts FROM events
  UNION ALL SELECT project_id, 'environment', environment, "timestamp" FROM events WHERE environment IS NOT NULL
  UNION ALL SELECT project_id, 'release', release, "timestamp" FROM events WHERE release IS NOT NULL
  UNION ALL SELECT project_id, 'app', app, "timestamp" FROM error_occurrences
  UNION ALL SELECT project_id, 'environment', environment, "timestamp" FROM error_occurrences WHERE environment IS NOT NULL
  UNION ALL SELECT project_id, 'release', release, "timestamp" FROM error_occurrences WHERE release IS NOT NULL
) v GROUP BY 1, 2, 3;
