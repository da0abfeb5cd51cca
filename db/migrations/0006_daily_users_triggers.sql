-- Distinct users per project and UTC day, from sessions as they are first inserted (a user id set
-- by a later update of the session is not counted). Retention's deletes recompute the days they touch.

CREATE FUNCTION tt_daily_users_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH added AS (
    INSERT INTO session_users_daily (project_id, day, user_key)
    SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC'), coalesce(user_id, anonymous_id)
    FROM tt_new_rows WHERE coalesce(user_id, anonymous_id) IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING project_id, day
  )
  INSERT INTO project_users_daily AS r (project_id, day, users)
  SELECT project_id, day, count(*) FROM added GROUP BY 1, 2
  ON CONFLICT (project_id, day) DO UPDATE SET users = r.users + excluded.users;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_daily_users_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM session_users_daily u
  USING (SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC') AS day FROM tt_old_rows) d
  WHERE u.project_id = d.project_id AND u.day = d.day
    AND NOT EXISTS (
      SELECT 1 FROM sessions s
      WHERE s.project_id = u.project_id AND s.started_at >= u.day AND s.started_at < u.day + interval '1 day'
        AND coalesce(s.user_id, s.anonymous_id) = u.user_key);
  UPDATE project_users_daily r
  SET users = (SELECT count(*) FROM session_users_daily u WHERE u.project_id = r.project_id AND u.day = r.day)
  FROM (SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC') AS day FROM tt_old_rows) d
  WHERE r.project_id = d.project_id AND r.day = d.day;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER sessions_daily_users_insert AFTER INSERT ON sessions REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_daily_users_insert();
--> statement-breakpoint
CREATE TRIGGER sessions_daily_users_delete AFTER DELETE ON sessions REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_daily_users_delete();
--> statement-breakpoint
INSERT INTO session_users_daily (project_id, day, user_key)
SELECT DISTINCT project_id, date_trunc('day', started_at, 'UTC'), coalesce(user_id, anonymous_id)
FROM sessions WHERE coalesce(user_id, anonymous_id) IS NOT NULL;
--> statement-breakpoint
INSERT INTO project_users_daily (project_id, day, users)
SELECT project_id, day, count(*) FROM session_users_daily GROUP BY 1, 2;
