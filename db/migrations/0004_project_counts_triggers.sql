-- project_counts_hourly: per project and hour, kept by statement-level triggers like the other
-- rollups (0002). Sessions count once, at insert (the meter's upsert inserts a session once and
-- updates it afterwards; UPDATEs do not fire these INSERT triggers).

CREATE FUNCTION tt_project_counts_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO project_counts_hourly AS r (project_id, hour, events)
    SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), count(*) FROM tt_new_rows GROUP BY 1, 2
    ON CONFLICT (project_id, hour) DO UPDATE SET events = r.events + excluded.events;
  ELSE
    UPDATE project_counts_hourly r SET events = r.events - o.c
    FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, count(*) AS c FROM tt_old_rows GROUP BY 1, 2) o
    WHERE r.project_id = o.project_id AND r.hour = o.hour;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_project_counts_errors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO project_counts_hourly AS r (project_id, hour, errors)
    SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), count(*) FROM tt_new_rows GROUP BY 1, 2
    ON CONFLICT (project_id, hour) DO UPDATE SET errors = r.errors + excluded.errors;
  ELSE
    UPDATE project_counts_hourly r SET errors = r.errors - o.c
    FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, count(*) AS c FROM tt_old_rows GROUP BY 1, 2) o
    WHERE r.project_id = o.project_id AND r.hour = o.hour;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_project_counts_sessions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO project_counts_hourly AS r (project_id, hour, sessions)
    SELECT project_id, date_trunc('hour', started_at, 'UTC'), count(*) FROM tt_new_rows GROUP BY 1, 2
    ON CONFLICT (project_id, hour) DO UPDATE SET sessions = r.sessions + excluded.sessions;
  ELSE
    UPDATE project_counts_hourly r SET sessions = r.sessions - o.c
    FROM (SELECT project_id, date_trunc('hour', started_at, 'UTC') AS hour, count(*) AS c FROM tt_old_rows GROUP BY 1, 2) o
    WHERE r.project_id = o.project_id AND r.hour = o.hour;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER events_project_counts_insert AFTER INSERT ON events REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_project_counts_events();
--> statement-breakpoint
CREATE TRIGGER events_project_counts_delete AFTER DELETE ON events REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_project_counts_events();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_project_counts_insert AFTER INSERT ON error_occurrences REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_project_counts_errors();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_project_counts_delete AFTER DELETE ON error_occurrences REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_project_counts_errors();
--> statement-breakpoint
CREATE TRIGGER sessions_project_counts_insert AFTER INSERT ON sessions REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_project_counts_sessions();
--> statement-breakpoint
CREATE TRIGGER sessions_project_counts_delete AFTER DELETE ON sessions REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_project_counts_sessions();
--> statement-breakpoint
-- Active users over a range: distinct ids among sessions started, read from the index alone.
CREATE INDEX sessions_project_started_users_idx ON sessions (project_id, started_at) INCLUDE (user_id, anonymous_id);
--> statement-breakpoint
INSERT INTO project_counts_hourly (project_id, hour, events, errors, sessions)
SELECT project_id, hour, sum(e), sum(r), sum(s) FROM (
  SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, count(*) AS e, 0 AS r, 0 AS s FROM events GROUP BY 1, 2
  UNION ALL SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), 0, count(*), 0 FROM error_occurrences GROUP BY 1, 2
  UNION ALL SELECT project_id, date_trunc('hour', started_at, 'UTC'), 0, 0, count(*) FROM sessions GROUP BY 1, 2
) v GROUP BY 1, 2;
