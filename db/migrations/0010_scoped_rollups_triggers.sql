-- The *_by_scope rollups (0009): the same counts as 0002/0004/0006 per app and environment ('' for
-- none), kept by statement-level triggers with transition tables, so every writer (the meter's flush,
-- retention, seeds) keeps them exact. Sessions also move between scopes and hours when an update
-- changes their environment or start (the flush's upsert does both), so they have an UPDATE trigger.

CREATE FUNCTION tt_scope_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO project_counts_hourly_by_scope AS r (project_id, hour, app, environment, events)
    SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), count(*)
    FROM tt_new_rows GROUP BY 1, 2, 3, 4
    ON CONFLICT (project_id, hour, app, environment) DO UPDATE SET events = r.events + excluded.events;
    INSERT INTO event_counts_hourly_by_scope AS r (project_id, hour, app, environment, name, count)
    SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), name, count(*)
    FROM tt_new_rows GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (project_id, hour, app, environment, name) DO UPDATE SET count = r.count + excluded.count;
  ELSE
    UPDATE project_counts_hourly_by_scope r SET events = r.events - o.c
    FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, app, coalesce(environment, '') AS environment,
                 count(*) AS c FROM tt_old_rows GROUP BY 1, 2, 3, 4) o
    WHERE r.project_id = o.project_id AND r.hour = o.hour AND r.app = o.app AND r.environment = o.environment;
    UPDATE event_counts_hourly_by_scope r SET count = r.count - o.c
    FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, app, coalesce(environment, '') AS environment,
                 name, count(*) AS c FROM tt_old_rows GROUP BY 1, 2, 3, 4, 5) o
    WHERE r.project_id = o.project_id AND r.hour = o.hour AND r.app = o.app AND r.environment = o.environment
      AND r.name = o.name;
    DELETE FROM event_counts_hourly_by_scope WHERE count <= 0 AND project_id IN (SELECT DISTINCT project_id FROM tt_old_rows);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_scope_errors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO project_counts_hourly_by_scope AS r (project_id, hour, app, environment, errors)
    SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), count(*)
    FROM tt_new_rows GROUP BY 1, 2, 3, 4
    ON CONFLICT (project_id, hour, app, environment) DO UPDATE SET errors = r.errors + excluded.errors;
    INSERT INTO error_counts_hourly_by_scope AS r (project_id, hour, app, environment, group_id, count)
    SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), group_id, count(*)
    FROM tt_new_rows GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (project_id, hour, app, environment, group_id) DO UPDATE SET count = r.count + excluded.count;
  ELSE
    UPDATE project_counts_hourly_by_scope r SET errors = r.errors - o.c
    FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, app, coalesce(environment, '') AS environment,
                 count(*) AS c FROM tt_old_rows GROUP BY 1, 2, 3, 4) o
    WHERE r.project_id = o.project_id AND r.hour = o.hour AND r.app = o.app AND r.environment = o.environment;
    UPDATE error_counts_hourly_by_scope r SET count = r.count - o.c
    FROM (SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, app, coalesce(environment, '') AS environment,
                 group_id, count(*) AS c FROM tt_old_rows GROUP BY 1, 2, 3, 4, 5) o
    WHERE r.project_id = o.project_id AND r.hour = o.hour AND r.app = o.app AND r.environment = o.environment
      AND r.group_id = o.group_id;
    DELETE FROM error_counts_hourly_by_scope WHERE count <= 0 AND project_id IN (SELECT DISTINCT project_id FROM tt_old_rows);
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Sessions: counted in the hour and scope they have now. An update that moves a session (earlier
-- start, environment filled in) takes it out of its old cell and puts it in the new one; the users
-- set gains the new (day, scope, user) and loses keys no session backs any more. Transition tables
-- exist only for their operation, so each gets its own function.
CREATE FUNCTION tt_scope_sessions_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO project_counts_hourly_by_scope AS r (project_id, hour, app, environment, sessions)
  SELECT project_id, date_trunc('hour', started_at, 'UTC'), app, coalesce(environment, ''), count(*)
  FROM tt_new_rows GROUP BY 1, 2, 3, 4
  ON CONFLICT (project_id, hour, app, environment) DO UPDATE SET sessions = r.sessions + excluded.sessions;
  INSERT INTO session_users_daily_by_scope (project_id, day, app, environment, user_key)
  SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC'), app, coalesce(environment, ''),
         coalesce(user_id, anonymous_id)
  FROM tt_new_rows WHERE coalesce(user_id, anonymous_id) IS NOT NULL
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_scope_sessions_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE project_counts_hourly_by_scope r SET sessions = r.sessions - o.c
  FROM (SELECT project_id, date_trunc('hour', started_at, 'UTC') AS hour, app, coalesce(environment, '') AS environment,
               count(*) AS c FROM tt_old_rows GROUP BY 1, 2, 3, 4) o
  WHERE r.project_id = o.project_id AND r.hour = o.hour AND r.app = o.app AND r.environment = o.environment;
  DELETE FROM session_users_daily_by_scope u
  USING (SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC') AS day, app, coalesce(environment, '') AS environment,
                coalesce(user_id, anonymous_id) AS user_key FROM tt_old_rows) d
  WHERE u.project_id = d.project_id AND u.day = d.day AND u.app = d.app AND u.environment = d.environment
    AND u.user_key = d.user_key
    AND NOT EXISTS (
      SELECT 1 FROM sessions s
      WHERE s.project_id = u.project_id AND s.started_at >= u.day AND s.started_at < u.day + interval '1 day'
        AND s.app = u.app AND coalesce(s.environment, '') = u.environment
        AND coalesce(s.user_id, s.anonymous_id) = u.user_key);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_scope_sessions_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only rows whose cell (hour, app, environment) or user key changed; most updates (end, status,
  -- last seen) change neither. One signed delta per cell: -1 where a session left, +1 where it went.
  INSERT INTO project_counts_hourly_by_scope AS r (project_id, hour, app, environment, sessions)
  SELECT project_id, hour, app, environment, sum(d) FROM (
    SELECT o.project_id, date_trunc('hour', o.started_at, 'UTC') AS hour, o.app, coalesce(o.environment, '') AS environment, -1 AS d
    FROM tt_old_rows o JOIN tt_new_rows n ON n.id = o.id
    WHERE (date_trunc('hour', o.started_at, 'UTC'), coalesce(o.environment, ''))
          IS DISTINCT FROM (date_trunc('hour', n.started_at, 'UTC'), coalesce(n.environment, ''))
    UNION ALL
    SELECT n.project_id, date_trunc('hour', n.started_at, 'UTC'), n.app, coalesce(n.environment, ''), 1
    FROM tt_old_rows o JOIN tt_new_rows n ON n.id = o.id
    WHERE (date_trunc('hour', o.started_at, 'UTC'), coalesce(o.environment, ''))
          IS DISTINCT FROM (date_trunc('hour', n.started_at, 'UTC'), coalesce(n.environment, ''))
  ) m GROUP BY 1, 2, 3, 4 HAVING sum(d) <> 0
  ON CONFLICT (project_id, hour, app, environment) DO UPDATE SET sessions = r.sessions + excluded.sessions;
  INSERT INTO session_users_daily_by_scope (project_id, day, app, environment, user_key)
  SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC'), app, coalesce(environment, ''),
         coalesce(user_id, anonymous_id)
  FROM tt_new_rows WHERE coalesce(user_id, anonymous_id) IS NOT NULL
  ON CONFLICT DO NOTHING;
  DELETE FROM session_users_daily_by_scope u
  USING (SELECT DISTINCT o.project_id, date_trunc('day', o.started_at, 'UTC') AS day, o.app,
                coalesce(o.environment, '') AS environment, coalesce(o.user_id, o.anonymous_id) AS user_key
         FROM tt_old_rows o JOIN tt_new_rows n ON n.id = o.id
         WHERE (date_trunc('day', o.started_at, 'UTC'), coalesce(o.environment, ''), coalesce(o.user_id, o.anonymous_id))
               IS DISTINCT FROM
               (date_trunc('day', n.started_at, 'UTC'), coalesce(n.environment, ''), coalesce(n.user_id, n.anonymous_id))) d
  WHERE u.project_id = d.project_id AND u.day = d.day AND u.app = d.app AND u.environment = d.environment
    AND u.user_key = d.user_key
    AND NOT EXISTS (
      SELECT 1 FROM sessions s
      WHERE s.project_id = u.project_id AND s.started_at >= u.day AND s.started_at < u.day + interval '1 day'
        AND s.app = u.app AND coalesce(s.environment, '') = u.environment
        AND coalesce(s.user_id, s.anonymous_id) = u.user_key);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER events_scope_insert AFTER INSERT ON events REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_scope_events();
--> statement-breakpoint
CREATE TRIGGER events_scope_delete AFTER DELETE ON events REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_scope_events();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_scope_insert AFTER INSERT ON error_occurrences REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_scope_errors();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_scope_delete AFTER DELETE ON error_occurrences REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_scope_errors();
--> statement-breakpoint
CREATE TRIGGER sessions_scope_insert AFTER INSERT ON sessions REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_scope_sessions_insert();
--> statement-breakpoint
CREATE TRIGGER sessions_scope_update AFTER UPDATE ON sessions REFERENCING OLD TABLE AS tt_old_rows NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_scope_sessions_update();
--> statement-breakpoint
CREATE TRIGGER sessions_scope_delete AFTER DELETE ON sessions REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_scope_sessions_delete();
--> statement-breakpoint
-- Backfill whatever was stored before the triggers existed.
INSERT INTO project_counts_hourly_by_scope (project_id, hour, app, environment, events, errors, sessions)
SELECT project_id, hour, app, environment, sum(e), sum(r), sum(s) FROM (
  SELECT project_id, date_trunc('hour', "timestamp", 'UTC') AS hour, app, coalesce(environment, '') AS environment,
         count(*) AS e, 0 AS r, 0 AS s FROM events GROUP BY 1, 2, 3, 4
  UNION ALL SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), 0, count(*), 0
    FROM error_occurrences GROUP BY 1, 2, 3, 4
  UNION ALL SELECT project_id, date_trunc('hour', started_at, 'UTC'), app, coalesce(environment, ''), 0, 0, count(*)
    FROM sessions GROUP BY 1, 2, 3, 4
) v GROUP BY 1, 2, 3, 4;
--> statement-breakpoint
INSERT INTO event_counts_hourly_by_scope (project_id, hour, app, environment, name, count)
SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), name, count(*)
FROM events GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
INSERT INTO error_counts_hourly_by_scope (project_id, hour, app, environment, group_id, count)
SELECT project_id, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), group_id, count(*)
FROM error_occurrences GROUP BY 1, 2, 3, 4, 5;
--> statement-breakpoint
INSERT INTO session_users_daily_by_scope (project_id, day, app, environment, user_key)
SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC'), app, coalesce(environment, ''), coalesce(user_id, anonymous_id)
FROM sessions WHERE coalesce(user_id, anonymous_id) IS NOT NULL;
