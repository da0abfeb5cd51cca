-- Release health (0014): release_counts_hourly and release_users_daily kept exact by statement-level
-- triggers on sessions and error_occurrences, for every writer (the meter's flush, retention, seeds).
-- A session is counted under the release, hour, scope, user and status it has now: the flush's upsert
-- escalates status (ok → errored → abnormal → crashed) and may fill in release or environment, so an
-- update takes the old version out (-1) and puts the new one in (+1). Sessions without a release are
-- not counted. Each trigger turns its transition table into signed deltas; one function applies them.

CREATE TYPE tt_release_session_delta AS (
  project_id uuid, release text, started_at timestamptz, app text, environment text, user_key text,
  status text, sign integer
);
--> statement-breakpoint
CREATE FUNCTION tt_release_sessions_apply(deltas tt_release_session_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(deltas) = 0 THEN RETURN; END IF;
  INSERT INTO release_counts_hourly AS r (project_id, release, hour, app, environment, sessions, errored, crashed, abnormal)
  SELECT project_id, release, date_trunc('hour', started_at, 'UTC'), app, environment, sum(sign),
         coalesce(sum(sign) FILTER (WHERE status = 'errored'), 0), coalesce(sum(sign) FILTER (WHERE status = 'crashed'), 0),
         coalesce(sum(sign) FILTER (WHERE status = 'abnormal'), 0)
  FROM (SELECT project_id, release, started_at, app, environment, status, sign FROM unnest(deltas)) d
  GROUP BY 1, 2, 3, 4, 5
  ON CONFLICT (project_id, release, hour, app, environment) DO UPDATE SET
    sessions = r.sessions + excluded.sessions,
    errored = r.errored + excluded.errored,
    crashed = r.crashed + excluded.crashed,
    abnormal = r.abnormal + excluded.abnormal;
  INSERT INTO release_users_daily AS r (project_id, release, day, app, environment, user_key, sessions, crashed)
  SELECT project_id, release, date_trunc('day', started_at, 'UTC'), app, environment, user_key, sum(sign),
         coalesce(sum(sign) FILTER (WHERE status = 'crashed'), 0)
  FROM (SELECT project_id, release, started_at, app, environment, user_key, status, sign FROM unnest(deltas)) d
  WHERE user_key IS NOT NULL
  GROUP BY 1, 2, 3, 4, 5, 6
  ON CONFLICT (project_id, release, day, app, environment, user_key) DO UPDATE SET
    sessions = r.sessions + excluded.sessions, crashed = r.crashed + excluded.crashed;
  -- Cells a session left may be empty now: drop them, looking only at the cells touched.
  DELETE FROM release_users_daily u
  USING (SELECT DISTINCT project_id, release, date_trunc('day', started_at, 'UTC') AS day, app, environment, user_key
         FROM unnest(deltas) WHERE sign < 0 AND user_key IS NOT NULL) k
  WHERE u.project_id = k.project_id AND u.release = k.release AND u.day = k.day AND u.app = k.app
    AND u.environment = k.environment AND u.user_key = k.user_key AND u.sessions <= 0;
  DELETE FROM release_counts_hourly r
  USING (SELECT DISTINCT project_id, release, date_trunc('hour', started_at, 'UTC') AS hour, app, environment
         FROM unnest(deltas) WHERE sign < 0) k
  WHERE r.project_id = k.project_id AND r.release = k.release AND r.hour = k.hour AND r.app = k.app
    AND r.environment = k.environment AND r.sessions <= 0 AND r.errors <= 0;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_release_sessions_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tt_release_sessions_apply(array(
    SELECT (project_id, release, started_at, app, coalesce(environment, ''), coalesce(user_id, anonymous_id), status, 1)::tt_release_session_delta
    FROM tt_new_rows WHERE release IS NOT NULL));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_release_sessions_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM tt_release_sessions_apply(array(
    SELECT (project_id, release, started_at, app, coalesce(environment, ''), coalesce(user_id, anonymous_id), status, -1)::tt_release_session_delta
    FROM tt_old_rows WHERE release IS NOT NULL));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_release_sessions_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- Only sessions whose counted attributes changed; most updates (last seen, end time) change none.
  PERFORM tt_release_sessions_apply(array(
    SELECT d FROM (
      SELECT (o.project_id, o.release, o.started_at, o.app, coalesce(o.environment, ''),
              coalesce(o.user_id, o.anonymous_id), o.status, -1)::tt_release_session_delta AS d, o.release AS rel,
             o.id
      FROM tt_old_rows o
      UNION ALL
      SELECT (n.project_id, n.release, n.started_at, n.app, coalesce(n.environment, ''),
              coalesce(n.user_id, n.anonymous_id), n.status, 1)::tt_release_session_delta, n.release, n.id
      FROM tt_new_rows n
    ) x
    WHERE rel IS NOT NULL AND id IN (
      SELECT o.id FROM tt_old_rows o JOIN tt_new_rows n ON n.id = o.id
      WHERE (o.release, date_trunc('hour', o.started_at, 'UTC'), o.app, coalesce(o.environment, ''),
             coalesce(o.user_id, o.anonymous_id), o.status)
            IS DISTINCT FROM
            (n.release, date_trunc('hour', n.started_at, 'UTC'), n.app, coalesce(n.environment, ''),
             coalesce(n.user_id, n.anonymous_id), n.status))));
  RETURN NULL;
END $$;
--> statement-breakpoint
-- Error occurrences: counted per release and hour; the first occurrence naming a release also sets
-- its group's first_release (once: a later, older occurrence does not move it).
CREATE FUNCTION tt_release_errors() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO release_counts_hourly AS r (project_id, release, hour, app, environment, errors)
    SELECT project_id, release, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), count(*)
    FROM tt_new_rows WHERE release IS NOT NULL GROUP BY 1, 2, 3, 4, 5
    ON CONFLICT (project_id, release, hour, app, environment) DO UPDATE SET errors = r.errors + excluded.errors;
    UPDATE error_groups g SET first_release = f.release
    FROM (SELECT DISTINCT ON (group_id) group_id, release FROM tt_new_rows
          WHERE release IS NOT NULL ORDER BY group_id, "timestamp", id) f
    WHERE g.id = f.group_id AND g.first_release IS NULL;
  ELSE
    UPDATE release_counts_hourly r SET errors = r.errors - o.c
    FROM (SELECT project_id, release, date_trunc('hour', "timestamp", 'UTC') AS hour, app,
                 coalesce(environment, '') AS environment, count(*) AS c
          FROM tt_old_rows WHERE release IS NOT NULL GROUP BY 1, 2, 3, 4, 5) o
    WHERE r.project_id = o.project_id AND r.release = o.release AND r.hour = o.hour AND r.app = o.app
      AND r.environment = o.environment;
    DELETE FROM release_counts_hourly r
    USING (SELECT DISTINCT project_id, release, date_trunc('hour', "timestamp", 'UTC') AS hour, app,
                  coalesce(environment, '') AS environment FROM tt_old_rows WHERE release IS NOT NULL) k
    WHERE r.project_id = k.project_id AND r.release = k.release AND r.hour = k.hour AND r.app = k.app
      AND r.environment = k.environment AND r.sessions <= 0 AND r.errors <= 0;
  END IF;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sessions_release_insert AFTER INSERT ON sessions REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_release_sessions_insert();
--> statement-breakpoint
CREATE TRIGGER sessions_release_update AFTER UPDATE ON sessions REFERENCING OLD TABLE AS tt_old_rows NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_release_sessions_update();
--> statement-breakpoint
CREATE TRIGGER sessions_release_delete AFTER DELETE ON sessions REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_release_sessions_delete();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_release_insert AFTER INSERT ON error_occurrences REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_release_errors();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_release_delete AFTER DELETE ON error_occurrences REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_release_errors();
--> statement-breakpoint
-- Backfill whatever was stored before the triggers existed.
SELECT tt_release_sessions_apply(array(
  SELECT (project_id, release, started_at, app, coalesce(environment, ''), coalesce(user_id, anonymous_id), status, 1)::tt_release_session_delta
  FROM sessions WHERE release IS NOT NULL));
--> statement-breakpoint
INSERT INTO release_counts_hourly AS r (project_id, release, hour, app, environment, errors)
SELECT project_id, release, date_trunc('hour', "timestamp", 'UTC'), app, coalesce(environment, ''), count(*)
FROM error_occurrences WHERE release IS NOT NULL GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (project_id, release, hour, app, environment) DO UPDATE SET errors = r.errors + excluded.errors;
--> statement-breakpoint
UPDATE error_groups g SET first_release = f.release
FROM (SELECT DISTINCT ON (group_id) group_id, release FROM error_occurrences
      WHERE release IS NOT NULL ORDER BY group_id, "timestamp", id) f
WHERE g.id = f.group_id;
