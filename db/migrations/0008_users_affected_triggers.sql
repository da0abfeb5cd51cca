-- error_groups.users_affected: distinct user (or anonymous) ids among a group's occurrences, kept by
-- statement-level triggers on error_occurrences, so the issue list can sort by it from an index.

CREATE FUNCTION tt_group_users_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  WITH added AS (
    INSERT INTO error_group_users (group_id, user_key)
    SELECT DISTINCT group_id, coalesce(user_id, anonymous_id) FROM tt_new_rows
    WHERE coalesce(user_id, anonymous_id) IS NOT NULL
    ON CONFLICT DO NOTHING
    RETURNING group_id
  )
  UPDATE error_groups g SET users_affected = g.users_affected + a.n
  FROM (SELECT group_id, count(*) AS n FROM added GROUP BY 1) a
  WHERE g.id = a.group_id;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_group_users_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM error_group_users u
  USING (SELECT DISTINCT group_id, coalesce(user_id, anonymous_id) AS user_key FROM tt_old_rows) d
  WHERE u.group_id = d.group_id AND u.user_key = d.user_key
    AND NOT EXISTS (
      SELECT 1 FROM error_occurrences o
      WHERE o.group_id = u.group_id AND coalesce(o.user_id, o.anonymous_id) = u.user_key);
  UPDATE error_groups g
  SET users_affected = (SELECT count(*) FROM error_group_users u WHERE u.group_id = g.id)
  WHERE g.id IN (SELECT DISTINCT group_id FROM tt_old_rows);
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER error_occurrences_group_users_insert AFTER INSERT ON error_occurrences REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_group_users_insert();
--> statement-breakpoint
CREATE TRIGGER error_occurrences_group_users_delete AFTER DELETE ON error_occurrences REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_group_users_delete();
--> statement-breakpoint
INSERT INTO error_group_users (group_id, user_key)
SELECT DISTINCT group_id, coalesce(user_id, anonymous_id) FROM error_occurrences
WHERE coalesce(user_id, anonymous_id) IS NOT NULL;
--> statement-breakpoint
UPDATE error_groups g SET users_affected = u.n
FROM (SELECT group_id, count(*) AS n FROM error_group_users GROUP BY 1) u WHERE g.id = u.group_id;
