-- One project with a month of telemetry, bulk-inserted with generate_series. :project is bound by run.ts.
-- 1,000,000 events over 30 days: 200,000 `$web_vital` (5 vitals on 30 pages, app web), 300,000
-- `$request` (40 routes × 2 methods, 2 % answered 5xx, app api), 500,000 others (20 names, 3 apps);
-- 2 environments, 20,000 users. Then 100,000 sessions (10 releases, every status: the release rollups
-- of 0014–0015), 10,000 error groups with 200,000 occurrences (a twentieth of the unresolved ones
-- regressed). The rollup triggers run once per statement.
insert into events (project_id, event_id, name, timestamp, received_at, app, environment, release, user_id, session_id, properties)
select $1::uuid, gen_random_uuid(),
       case when g % 10 < 2 then '$web_vital' when g % 10 < 5 then '$request' else 'event_' || (g % 20) end,
       now() - (random() * interval '30 days'),
       now(),
       case when g % 10 < 2 then 'web' when g % 10 < 5 then 'api' else (array['web', 'ios', 'android'])[1 + g % 3] end,
       (array['production', 'staging'])[1 + (g % 7 = 0)::int],
       '1.' || (g % 10) || '.0',
       'u' || (g % 20000),
       's' || (g % 100000),
       case
         when g % 10 < 2 then (
           select jsonb_build_object('name', v.name, 'value', v.value, 'route', '/page' || ((g / 10) % 30) || '/:id',
                    'rating', case when v.value <= v.good then 'good' when v.value <= v.poor then 'needs-improvement' else 'poor' end)
           from (select n.name, round((n.base * exp(random() * 2.5 - 1.25))::numeric, 3)::float8 as value, n.good, n.poor
                 from (values ('LCP', 2000, 2500, 4000), ('INP', 150, 200, 500), ('CLS', 0.08, 0.1, 0.25),
                              ('FCP', 1500, 1800, 3000), ('TTFB', 500, 800, 1800)) n(name, base, good, poor)
                 offset (g / 10) % 5 limit 1) v)
         when g % 10 < 5 then jsonb_build_object(
           'method', (array['GET', 'POST'])[1 + (g / 10) % 2], 'route', '/api/r' || ((g / 20) % 40) || '/:id',
           'status', case when g % 50 = 2 then 500 else 200 end,
           'duration_ms', round(exp(random() * 6)::numeric, 2))
         else jsonb_build_object('plan', (array['free', 'pro'])[1 + g % 2], 'n', g % 100)
       end
from generate_series(1, 1000000) g;

insert into sessions (project_id, session_id, app, started_at, ended_at, last_seen_at, status, release, environment, user_id, browser, os, device, country, error_count)
select $1::uuid, 's' || g, (array['web', 'ios', 'android'])[1 + g % 3], t, t + interval '7 minutes', t + interval '7 minutes',
       (array['ok', 'ok', 'ok', 'ok', 'ok', 'ok', 'errored', 'errored', 'crashed', 'abnormal'])[1 + (g / 10) % 10], '1.' || (g % 10) || '.0', 'production',
       'u' || (g % 20000), 'Firefox', 'Linux', 'desktop', 'DE', g % 3
from (select g, now() - (random() * interval '30 days') as t from generate_series(1, 100000) g) s;

insert into error_groups (project_id, fingerprint, type, message, culprit, status, occurrences, first_seen, last_seen, last_release, app, environment, regressed)
select $1::uuid, md5('group' || g), (array['TypeError', 'RangeError', 'ReferenceError'])[1 + g % 3],
       'Something failed in module ' || g, 'render (app.js)',
       (array['unresolved', 'unresolved', 'resolved', 'ignored'])[1 + g % 4],
       20, now() - interval '30 days' + (g % 1000) * interval '1 minute', now() - (g % 5000) * interval '1 minute',
       '1.' || (g % 10) || '.0', (array['web', 'ios', 'android'])[1 + g % 3], 'production', g % 40 = 0
from generate_series(1, 10000) g;

insert into error_occurrences (project_id, group_id, event_id, timestamp, app, environment, release, user_id, session_id, type, message, stack, breadcrumbs, tags)
select $1::uuid, gr.id, gen_random_uuid(), now() - (random() * interval '30 days'), gr.app, 'production', gr.last_release,
       'u' || ((gr.n * 31 + k) % 20000), 's' || ((gr.n * 17 + k) % 100000), gr.type, gr.message,
       'Error: x\n    at render (app.js:10:5)', '[{"category":"ui.click","message":"button"}]'::jsonb, '{"page":"home"}'::jsonb
from (select id, app, last_release, type, message, row_number() over () as n from error_groups where project_id = $1::uuid) gr,
     generate_series(1, 20) k;

insert into usage_monthly (project_id, month, units)
values ($1::uuid, to_char(now(), 'YYYY-MM'), 1310000), ($1::uuid, to_char(now() - interval '1 month', 'YYYY-MM'), 900000);
