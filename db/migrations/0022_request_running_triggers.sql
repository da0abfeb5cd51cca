-- The route list of ranges longer than two days read every (route, day, bucket) cell of
-- request_histograms_daily: ~170k rows for 300k requests over 30 days, 130 ms, and linear in the range.
-- It now reads running histograms (0021): per (scope, method, route) key, the latest row at or before
-- each end of the range, and subtracts — two rows per key whatever the range. The per-route rows of
-- request_histograms_daily had no other reader; the daily table keeps only the project's totals
-- (method and route ''), which the summary's series reads.
--
-- Writes: a sample of day d adds to its key's rows of d and later; a flush of today's requests
-- touches one row per key, a late or deleted sample every later row of its key (retention: up to the
-- retention period's days per key and batch).

-- Adds signed deltas to the running histograms, keeping each row the sum of its key's samples up to
-- its day.
CREATE FUNCTION tt_request_running_apply(deltas tt_request_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(deltas) = 0 THEN RETURN; END IF;
  INSERT INTO request_route_keys (project_id, app, environment, method, route)
  SELECT DISTINCT d.project_id, d.app, d.environment, d.method, d.route FROM unnest(deltas) d
  ON CONFLICT DO NOTHING;
  -- A row on each day that has a delta, starting as the snapshot before that day.
  INSERT INTO request_running_daily (project_id, app, environment, method, route, day, requests, errors, buckets, counts)
  SELECT k.project_id, k.app, k.environment, k.method, k.route, k.day,
         coalesce(p.requests, 0), coalesce(p.errors, 0), coalesce(p.buckets, '{}'), coalesce(p.counts, '{}')
  FROM (SELECT DISTINCT d.project_id, d.app, d.environment, d.method, d.route, date_trunc('day', d.at, 'UTC') AS day
        FROM unnest(deltas) d) k
  LEFT JOIN LATERAL (
    SELECT p.requests, p.errors, p.buckets, p.counts FROM request_running_daily p
    WHERE (p.project_id, p.app, p.environment, p.method, p.route) = (k.project_id, k.app, k.environment, k.method, k.route)
      AND p.day < k.day
    ORDER BY p.day DESC LIMIT 1) p ON true
  ON CONFLICT DO NOTHING;
  -- Every row on or after a delta's day gains the deltas up to its own day.
  WITH d AS (
    SELECT d.project_id, d.app, d.environment, d.method, d.route, date_trunc('day', d.at, 'UTC') AS day, d.bucket,
           sum(d.sign) AS n, coalesce(sum(d.sign) FILTER (WHERE d.failed), 0) AS e
    FROM unnest(deltas) d GROUP BY 1, 2, 3, 4, 5, 6, 7
  ), cells AS (
    SELECT r.project_id, r.app, r.environment, r.method, r.route, r.day, d.bucket, sum(d.n)::bigint AS n,
           sum(d.e)::bigint AS e
    FROM d JOIN request_running_daily r
      ON (r.project_id, r.app, r.environment, r.method, r.route) = (d.project_id, d.app, d.environment, d.method, d.route)
     AND r.day >= d.day
    GROUP BY 1, 2, 3, 4, 5, 6, 7
  ), additions AS (
    SELECT project_id, app, environment, method, route, day, sum(n)::bigint AS n, sum(e)::bigint AS e,
           array_agg(bucket ORDER BY bucket) AS buckets, array_agg(n ORDER BY bucket) AS counts
    FROM cells GROUP BY 1, 2, 3, 4, 5, 6
  )
  UPDATE request_running_daily r
  SET requests = r.requests + a.n, errors = r.errors + a.e,
      (buckets, counts) = (
        SELECT coalesce(array_agg(m.bucket ORDER BY m.bucket), '{}'), coalesce(array_agg(m.count ORDER BY m.bucket), '{}')
        FROM (SELECT x.bucket, sum(x.count)::bigint AS count
              FROM (SELECT * FROM unnest(r.buckets, r.counts) UNION ALL SELECT * FROM unnest(a.buckets, a.counts)) x(bucket, count)
              GROUP BY x.bucket HAVING sum(x.count) <> 0) m)
  FROM additions a
  WHERE (r.project_id, r.app, r.environment, r.method, r.route, r.day) = (a.project_id, a.app, a.environment, a.method, a.route, a.day);
  -- Rows a delete emptied: a running count only grows with the day, so these are a key's earliest
  -- days and dropping them leaves every snapshot as it was. Then keys with no row left.
  DELETE FROM request_running_daily r
  USING (SELECT DISTINCT d.project_id, d.app, d.environment, d.method, d.route FROM unnest(deltas) d WHERE d.sign < 0) k
  WHERE (r.project_id, r.app, r.environment, r.method, r.route) = (k.project_id, k.app, k.environment, k.method, k.route)
    AND r.requests <= 0;
  DELETE FROM request_route_keys r
  USING (SELECT DISTINCT d.project_id, d.app, d.environment, d.method, d.route FROM unnest(deltas) d WHERE d.sign < 0) k
  WHERE (r.project_id, r.app, r.environment, r.method, r.route) = (k.project_id, k.app, k.environment, k.method, k.route)
    AND NOT EXISTS (SELECT 1 FROM request_running_daily p
                    WHERE (p.project_id, p.app, p.environment, p.method, p.route) = (r.project_id, r.app, r.environment, r.method, r.route));
END $$;
--> statement-breakpoint
-- 0018's function, with the daily table kept for the totals only and the running histograms added.
CREATE OR REPLACE FUNCTION tt_requests_apply(deltas tt_request_delta[]) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF cardinality(deltas) = 0 THEN RETURN; END IF;
  INSERT INTO request_histograms_hourly AS h (project_id, hour, app, environment, method, route, failed, bucket, count)
  SELECT d.project_id, date_trunc('hour', d.at, 'UTC'), d.app, d.environment, k.method, k.route, d.failed, d.bucket, sum(d.sign)
  FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.method, d.route), ('', '')) k(method, route)
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (project_id, route, method, hour, app, environment, failed, bucket) DO UPDATE SET count = h.count + excluded.count;
  INSERT INTO request_histograms_daily AS h (project_id, day, app, environment, method, route, failed, bucket, count)
  SELECT d.project_id, date_trunc('day', d.at, 'UTC'), d.app, d.environment, '', '', d.failed, d.bucket, sum(d.sign)
  FROM unnest(deltas) d
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8
  ON CONFLICT (project_id, route, method, day, app, environment, failed, bucket) DO UPDATE SET count = h.count + excluded.count;
  DELETE FROM request_histograms_hourly h
  USING (SELECT DISTINCT d.project_id, date_trunc('hour', d.at, 'UTC') AS hour, d.app, d.environment, k.method, k.route,
                d.failed, d.bucket
         FROM unnest(deltas) d CROSS JOIN LATERAL (VALUES (d.method, d.route), ('', '')) k(method, route) WHERE d.sign < 0) k
  WHERE h.project_id = k.project_id AND h.route = k.route AND h.method = k.method AND h.hour = k.hour AND h.app = k.app
    AND h.environment = k.environment AND h.failed = k.failed AND h.bucket = k.bucket AND h.count <= 0;
  DELETE FROM request_histograms_daily h
  USING (SELECT DISTINCT d.project_id, date_trunc('day', d.at, 'UTC') AS day, d.app, d.environment, d.failed, d.bucket
         FROM unnest(deltas) d WHERE d.sign < 0) k
  WHERE h.project_id = k.project_id AND h.route = '' AND h.method = '' AND h.day = k.day AND h.app = k.app
    AND h.environment = k.environment AND h.failed = k.failed AND h.bucket = k.bucket AND h.count <= 0;
  PERFORM tt_request_running_apply(deltas);
END $$;
--> statement-breakpoint
DELETE FROM request_histograms_daily WHERE route <> '' OR method <> '';
--> statement-breakpoint
-- Backfill the running histograms from whatever is stored, one project day at a time, oldest first:
-- each day then only adds its own rows (all at once, every delta would rewrite every later row).
DO $$
DECLARE
  k record;
BEGIN
  FOR k IN SELECT DISTINCT project_id, date_trunc('day', "timestamp", 'UTC') AS day FROM events
           WHERE name = '$request' ORDER BY 1, 2 LOOP
    PERFORM tt_request_running_apply(tt_request_deltas(array(
      SELECT e FROM events e WHERE e.project_id = k.project_id AND e.name = '$request'
        AND e."timestamp" >= k.day AND e."timestamp" < k.day + interval '24 hours'), 1));
  END LOOP;
END $$;
