-- Performance histograms (0017) kept exact by statement-level triggers on `events`, for every writer
-- (the meter's flush, retention's deletes, seeds), like the other rollups. Events are never updated,
-- so an insert and a delete trigger suffice. Only `$web_vital` events with a known vital, a rating
-- and a numeric value, and `$request` events with a numeric duration_ms, are counted; ingest writes
-- those properties in the contract's shape (README, "Performance"). Every sample is added to its
-- page (route) and to the '' page (method and route ''), the project's totals; to the hourly and to
-- the daily table.

-- The log bucket of a value: floor(ln v / ln 1.1) for v > 0, -32768 for 0. Reads turn bucket b back
-- into 1.1^(b + 0.5); `worker/src/services/reads/performance.ts` holds the same constants.
CREATE FUNCTION tt_perf_bucket(v float8) RETURNS smallint LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN v <= 0 THEN -32768 ELSE floor(ln(v) / ln(1.1))::smallint END
$$;
--> statement-breakpoint
-- A JSON number between 0 and 10^12, else null: nothing a client sent can make the cast fail the flush.
CREATE FUNCTION tt_perf_number(j jsonb) RETURNS float8 LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(j) = 'number' THEN
    CASE WHEN j::numeric BETWEEN 0 AND 1e12 THEN j::float8 END
  END
$$;
--> statement-breakpoint
CREATE TYPE tt_vital_delta AS (
  project_id uuid, at timestamptz, app text, environment text, page text, name text, rating text, bucket smallint,
  sign integer
);
--> statement-breakpoint
CREATE TYPE tt_request_delta AS (
  project_id uuid, at timestamptz, app text, environment text, method text, route text, failed boolean,
  bucket smallint, sign integer
);
--> statement-breakpoint
-- The vitals of a set of event rows, as signed deltas.
CREATE FUNCTION tt_vital_deltas(r events[], sign integer) RETURNS tt_vital_delta[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg((project_id, "timestamp", app, coalesce(environment, ''),
                             coalesce(nullif(left(properties->>'route', 200), ''), '(unknown)'), properties->>'name',
                             properties->>'rating', tt_perf_bucket(tt_perf_number(properties->'value')),
                             sign)::tt_vital_delta), '{}')
  FROM unnest(r)
  WHERE name = '$web_vital' AND properties->>'name' IN ('LCP', 'INP', 'CLS', 'FCP', 'TTFB')
    AND properties->>'rating' IN ('good', 'needs-improvement', 'poor')
    AND tt_perf_number(properties->'value') IS NOT NULL
$$;
--> statement-breakpoint
CREATE FUNCTION tt_request_deltas(r events[], sign integer) RETURNS tt_request_delta[] LANGUAGE sql STABLE AS $$
  SELECT coalesce(array_agg((project_id, "timestamp", app, coalesce(environment, ''),
                             coalesce(nullif(upper(left(properties->>'method', 16)), ''), 'UNKNOWN'),
                             coalesce(nullif(left(properties->>'route', 200), ''), '(unknown)'),
                             coalesce(tt_perf_number(properties->'status') >= 500, false),
                             tt_perf_bucket(tt_perf_number(properties->'duration_ms')), sign)::tt_request_delta), '{}')
  FROM unnest(r)
  WHERE name = '$request' AND tt_perf_number(properties->'duration_ms') IS NOT NULL
$$;
--> statement-breakpoint
CREATE FUNCTION tt_vitals_apply(deltas tt_vital_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(deltas) = 0 THEN RETURN; END IF;
  INSERT INTO vital_histograms_hourly AS h (project_id, hour, app, environment, page, name, rating, bucket, count)
  SELECT d.project_id, date_trunc('hour', d.at, 'UTC'), d.app, d.environment, p.page, d.name, d.rating, d.bucket, sum(d.sign)
  FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.page), ('')) p(page)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (project_id, page, name, hour, app, environment, rating, bucket) DO UPDATE SET count = h.count + excluded.count;
  INSERT INTO vital_histograms_daily AS h (project_id, day, app, environment, page, name, rating, bucket, count)
  SELECT d.project_id, date_trunc('day', d.at, 'UTC'), d.app, d.environment, p.page, d.name, d.rating, d.bucket, sum(d.sign)
  FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.page), ('')) p(page)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (project_id, page, name, day, app, environment, rating, bucket) DO UPDATE SET count = h.count + excluded.count;
  -- Cells a delete emptied: drop them, looking only at the cells touched.
  DELETE FROM vital_histograms_hourly h
  USING (SELECT DISTINCT d.project_id, date_trunc('hour', d.at, 'UTC') AS hour, d.app, d.environment, p.page, d.name,
                d.rating, d.bucket
         FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.page), ('')) p(page) WHERE d.sign < 0) k
  WHERE h.project_id = k.project_id AND h.page = k.page AND h.name = k.name AND h.hour = k.hour AND h.app = k.app
    AND h.environment = k.environment AND h.rating = k.rating AND h.bucket = k.bucket AND h.count <= 0;
  DELETE FROM vital_histograms_daily h
  USING (SELECT DISTINCT d.project_id, date_trunc('day', d.at, 'UTC') AS day, d.app, d.environment, p.page, d.name,
                d.rating, d.bucket
         FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.page), ('')) p(page) WHERE d.sign < 0) k
  WHERE h.project_id = k.project_id AND h.page = k.page AND h.name = k.name AND h.day = k.day AND h.app = k.app
    AND h.environment = k.environment AND h.rating = k.rating AND h.bucket = k.bucket AND h.count <= 0;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_requests_apply(deltas tt_request_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(deltas) = 0 THEN RETURN; END IF;
  INSERT INTO request_histograms_hourly AS h (project_id, hour, app, environment, method, route, failed, bucket, count)
  SELECT d.project_id, date_trunc('hour', d.at, 'UTC'), d.app, d.environment, k.method, k.route, d.failed, d.bucket, sum(d.sign)
  FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.method, d.route), ('', '')) k(method, route)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (project_id, route, method, hour, app, environment, failed, bucket) DO UPDATE SET count = h.count + excluded.count;
  INSERT INTO request_histograms_daily AS h (project_id, day, app, environment, method, route, failed, bucket, count)
  SELECT d.project_id, date_trunc('day', d.at, 'UTC'), d.app, d.environment, k.method, k.route, d.failed, d.bucket, sum(d.sign)
  FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.method, d.route), ('', '')) k(method, route)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (project_id, route, method, day, app, environment, failed, bucket) DO UPDATE SET count = h.count + excluded.count;
  DELETE FROM request_histograms_hourly h
  USING (SELECT DISTINCT d.project_id, date_trunc('hour', d.at, 'UTC') AS hour, d.app, d.environment, k.method, k.route,
                d.failed, d.bucket
         FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.method, d.route), ('', '')) k(method, route) WHERE d.sign < 0) k
  WHERE h.project_id = k.project_id AND h.route = k.route AND h.method = k.method AND h.hour = k.hour AND h.app = k.app
    AND h.environment = k.environment AND h.failed = k.failed AND h.bucket = k.bucket AND h.count <= 0;
  DELETE FROM request_histograms_daily h
  USING (SELECT DISTINCT d.project_id, date_trunc('day', d.at, 'UTC') AS day, d.app, d.environment, k.method, k.route,
                d.failed, d.bucket
         FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.method, d.route), ('', '')) k(method, route) WHERE d.sign < 0) k
  WHERE h.project_id = k.project_id AND h.route = k.route AND h.method = k.method AND h.day = k.day AND h.app = k.app
    AND h.environment = k.environment AND h.failed = k.failed AND h.bucket = k.bucket AND h.count <= 0;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_perf_events_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r events[] := array(SELECT n FROM tt_new_rows n WHERE n.name IN ('$web_vital', '$request'));
BEGIN
  IF cardinality(r) = 0 THEN RETURN NULL; END IF;
  PERFORM tt_vitals_apply(tt_vital_deltas(r, 1));
  PERFORM tt_requests_apply(tt_request_deltas(r, 1));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION tt_perf_events_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  r events[] := array(SELECT o FROM tt_old_rows o WHERE o.name IN ('$web_vital', '$request'));
BEGIN
  IF cardinality(r) = 0 THEN RETURN NULL; END IF;
  PERFORM tt_vitals_apply(tt_vital_deltas(r, -1));
  PERFORM tt_requests_apply(tt_request_deltas(r, -1));
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER events_perf_insert AFTER INSERT ON events REFERENCING NEW TABLE AS tt_new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_perf_events_insert();
--> statement-breakpoint
CREATE TRIGGER events_perf_delete AFTER DELETE ON events REFERENCING OLD TABLE AS tt_old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION tt_perf_events_delete();
--> statement-breakpoint
-- Backfill whatever was stored before the triggers existed.
SELECT tt_vitals_apply(tt_vital_deltas(array(SELECT e FROM events e WHERE e.name = '$web_vital'), 1));
--> statement-breakpoint
SELECT tt_requests_apply(tt_request_deltas(array(SELECT e FROM events e WHERE e.name = '$request'), 1));
