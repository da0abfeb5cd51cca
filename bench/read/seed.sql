-- One project with a month of telemetry, bulk-inserted with generate_series. :project is bound by run.ts.
-- 1,000,000 events (20 names, 3 apps, 2 environments, 20,000 users, spread over 30 days), 100,000
-- sessions, 10,000 error groups with 200,000 occurrences. The rollup triggers run once per statement.
insert into events (project_id, event_id, name, timestamp, received_at, app, environment, release, user_id, session_id, properties)
select $1::uuid, gen_random_uuid(),
       'event_' || (g % 20),
       now() - (random() * interval '30 days'),
       now(),
       (array['web', 'ios', 'android'])[1 + g % 3],
       (array['production', 'staging'])[1 + (g % 7 = 0)::int],
       '1.' || (g % 10) || '.0',
       'u' || (g % 20000),
       's' || (g % 100000),
       jsonb_build_object('plan', (array['free', 'pro'])[1 + g % 2], 'n', g % 100)
from generate_series(1, 1000000) g;

insert into sessions (project_id, session_id, app, started_at, ended_at, last_seen_at, status, release, environment, user_id, browser, os, device, country, error_count)
select $1::uuid, 's' || g, (array['web', 'ios', 'android'])[1 + g % 3], t, t + interval '7 minutes', t + interval '7 minutes',
       (array['ok', 'ok', 'ok', 'errored', 'crashed'])[1 + g % 5], '1.' || (g % 10) || '.0', 'production',
       'u' || (g % 20000), 'Firefox', 'Linux', 'desktop', 'DE', g % 3
from (select g, now() - (random() * interval '30 days') as t from generate_series(1, 100000) g) s;

insert into error_groups (project_id, fingerprint, type, message, culprit, status, occurrences, first_seen, last_seen, last_release, app, environment)
select $1::uuid, md5('group' || g), (array['TypeError', 'RangeError', 'ReferenceError'])[1 + g % 3],
       'Something failed in module ' || g, 'render (app.js)',
       (array['unresolved', 'unresolved', 'resolved', 'ignored'])[1 + g % 4],
       20, now() - interval '30 days' + (g % 1000) * interval '1 minute', now() - (g % 5000) * interval '1 minute',
       '1.' || (g % 10) || '.0', (array['web', 'ios', 'android'])[1 + g % 3], 'production'
from generate_series(1, 10000) g;

insert into error_occurrences (project_id, group_id, event_id, timestamp, app, environment, release, user_id, session_id, type, message, stack, breadcrumbs, tags)
select $1::uuid, gr.id, gen_random_uuid(), now() - (random() * interval '30 days'), gr.app, 'production', gr.last_release,
       'u' || ((gr.n * 31 + k) % 20000), 's' || ((gr.n * 17 + k) % 100000), gr.type, gr.message,
       'Error: x\n    at render (app.js:10:5)', '[{"category":"ui.click","message":"button"}]'::jsonb, '{"page":"home"}'::jsonb
from (select id, app, last_release, type, message, row_number() over () as n from error_groups where project_id = $1::uuid) gr,
     generate_series(1, 20) k;

insert into usage_monthly (project_id, month, units)
values ($1::uuid, to_char(now(), 'YYYY-MM'), 1310000), ($1::uuid, to_char(now() - interval '1 month', 'YYYY-MM'), 900000);
