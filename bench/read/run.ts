/**
 * `npm run bench:read`: seeds a scratch database with one big project and times the read API's
 * queries. The queries run from Node through drizzle-orm/node-postgres using the very functions the
 * /api routes call (worker/src/services/reads), so the figures are database time plus one local round
 * trip per statement — not the Worker's HTTP or Neon-driver overhead.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Database } from "@telemetry-tracker/db";
import * as schema from "@telemetry-tracker/db/schema";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { migrateDatabase } from "../../db/local/migrate.ts";
import { createScratchDatabase } from "../../db/local/scratch-database.ts";
import { eventNames, listEvents } from "../../worker/src/services/reads/events.ts";
import {
  getIssue,
  listAffectedSessions,
  listAffectedUsers,
  listIssues,
} from "../../worker/src/services/reads/issues.ts";
import { findTopErrorGroups, getOverview, topGroupsByScan } from "../../worker/src/services/reads/overview.ts";
import {
  getPerformanceSummary,
  listPagePerformance,
  listRoutePerformance,
} from "../../worker/src/services/reads/performance.ts";
import { resolveWindow } from "../../worker/src/services/reads/range.ts";
import { getRelease, listReleases, RELEASE_SORTS } from "../../worker/src/services/reads/releases.ts";
import { search } from "../../worker/src/services/reads/search.ts";
import { parseSearchQuery } from "../../worker/src/services/reads/search-query.ts";
import { listSessions } from "../../worker/src/services/reads/sessions.ts";

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 40);
const WARMUP = 5;
const TARGET_P95_MS = 100;
// A seq scan of one of these is a miss. request_histograms_daily is not among them: since 0022 it
// holds only the project's totals (days × scopes × buckets, ~7k rows in the seed), a small rollup
// the summary reads whole, as the overview reads its hourly ones.
const BIG_TABLES = new Set([
  "events",
  "sessions",
  "error_groups",
  "error_occurrences",
  "vital_histograms_hourly",
  "vital_histograms_daily",
  "request_histograms_hourly",
  "request_running_daily",
]);
// The search also reads these per-user rollups, which grow with users (100k–200k rows in the seed):
// a seq scan of one is a miss too. The hourly rollups (names or releases × hours) stay small by design
// and, as for the overview, a full read of one is not counted.
const SEARCH_TABLES = new Set([
  ...BIG_TABLES,
  "error_group_users",
  "session_users_daily",
  "session_users_daily_by_scope",
  "release_users_daily",
]);

const adminUrl = process.env.DATABASE_URL;
console.log(
  `bench:read — ${adminUrl ? "scratch database on DATABASE_URL's server" : "embedded Postgres (slow; set DATABASE_URL for realistic figures)"}`,
);
console.log("Queries run from Node via drizzle-orm/node-postgres through the same functions the /api routes use.\n");

const scratch = await createScratchDatabase({
  adminUrl,
  embeddedPort: adminUrl ? undefined : 54_000 + Math.floor(Math.random() * 1000),
});
const pool = new pg.Pool({ connectionString: scratch.url, max: 4 });
// Dropping the scratch database terminates sockets pool.end() has not closed yet: not an error here.
pool.on("error", () => {});
try {
  await migrateDatabase(scratch.url);
  const {
    rows: [org],
  } = await pool.query("insert into organizations (name, plan) values ('Bench', 'BUSINESS') returning id");
  const {
    rows: [project],
  } = await pool.query("insert into projects (org_id, name, slug) values ($1, 'Bench', 'bench') returning id", [
    org.id,
  ]);
  const projectId: string = project.id;

  const seedStarted = performance.now();
  const seedSql = readFileSync(fileURLToPath(new URL("./seed.sql", import.meta.url)), "utf8");
  for (const statement of seedSql
    .split(/;\s*\n/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter(Boolean)) {
    const started = performance.now();
    await pool.query(statement, [projectId]);
    console.log(
      `  seeded ${statement.split(/\s+/).slice(0, 3).join(" ")}… in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  await pool.query("vacuum analyze");
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const counts = (
    await pool.query(
      `select (select count(*) from events)::int as events, (select count(*) from sessions)::int as sessions,
              (select count(*) from error_groups)::int as "errorGroups", (select count(*) from error_occurrences)::int as occurrences`,
    )
  ).rows[0];
  console.log(`\nseeded in ${seedSeconds.toFixed(1)} s:`, counts, "\n");

  // Every statement the functions run is captured, to EXPLAIN afterwards.
  let captured: Array<{ sql: string; params: unknown[] }> = [];
  const db = drizzle({
    client: pool,
    schema,
    logger: { logQuery: (sql, params) => captured.push({ sql, params }) },
  }) as unknown as Database;

  const {
    rows: [bigGroup],
  } = await pool.query(
    "select id from error_groups where project_id = $1 order by occurrences desc, last_seen desc limit 1",
    [projectId],
  );

  /** The search route's call: parse, then every kind at once (5 results per kind). */
  const searchFor = (q: string) => {
    const parsed = parseSearchQuery(q);
    if (!parsed.ok) throw new Error(`bench query ${q}: ${parsed.message}`);
    return search(db, projectId, parsed.value, resolveWindow({ range: parsed.value.range ?? "30d" }), 5);
  };
  const {
    rows: [{ fingerprint }],
  } = await pool.query(
    "select substr(fingerprint, 1, 10) as fingerprint from error_groups where project_id = $1 limit 1",
    [projectId],
  );

  const cases: Array<{ name: string; run: () => Promise<unknown>; tables?: Set<string> }> = [
    { name: "overview 24h", run: () => getOverview(db, projectId, resolveWindow({ range: "24h" })) },
    { name: "overview 30d", run: () => getOverview(db, projectId, resolveWindow({ range: "30d" })) },
    // The dashboard's app/environment filters: served by the *_by_scope rollups (migration 0010).
    {
      name: "overview 24h app",
      run: () => getOverview(db, projectId, resolveWindow({ range: "24h" }), { app: "ios" }),
    },
    {
      name: "overview 30d app",
      run: () => getOverview(db, projectId, resolveWindow({ range: "30d" }), { app: "ios" }),
    },
    {
      name: "overview 24h app+env",
      run: () => getOverview(db, projectId, resolveWindow({ range: "24h" }), { app: "web", environment: "staging" }),
    },
    {
      name: "overview 30d app+env",
      run: () => getOverview(db, projectId, resolveWindow({ range: "30d" }), { app: "web", environment: "staging" }),
    },
    {
      name: "issues first page",
      run: () => listIssues(db, projectId, { status: "unresolved" }, "last_seen", 25, null),
    },
    { name: "events first page", run: () => listEvents(db, projectId, {}, 50, null) },
    { name: "sessions first page", run: () => listSessions(db, projectId, {}, 50, null) },
    { name: "issue detail", run: () => getIssue(db, projectId, bigGroup.id, resolveWindow({ range: "24h" })) },
    // Informative, outside the issue's target list:
    { name: "event names 7d", run: () => eventNames(db, projectId, resolveWindow({ range: "7d" })) },
    {
      name: "event names 30d app",
      run: () => eventNames(db, projectId, resolveWindow({ range: "30d" }), { app: "ios" }),
    },
    // Performance (issue 11): the log-bucket histograms of migrations 0017–0018, hourly and daily.
    ...(["24h", "30d"] as const).flatMap((range) => [
      {
        name: `perf summary ${range}`,
        run: () => getPerformanceSummary(db, projectId, resolveWindow({ range }), {}),
      },
      {
        name: `perf pages ${range}`,
        run: () => listPagePerformance(db, projectId, resolveWindow({ range }), {}, "LCP", 25, null),
      },
      {
        name: `perf routes ${range}`,
        run: () => listRoutePerformance(db, projectId, resolveWindow({ range }), {}, "p95", 25, null),
      },
    ]),
    {
      name: "perf summary 30d env",
      run: () => getPerformanceSummary(db, projectId, resolveWindow({ range: "30d" }), { environment: "production" }),
    },
    {
      name: "perf routes 7d app",
      run: () => listRoutePerformance(db, projectId, resolveWindow({ range: "7d" }), { app: "api" }, "p95", 25, null),
    },
    { name: "issue users", run: () => listAffectedUsers(db, projectId, bigGroup.id, 25, null) },
    { name: "issue sessions", run: () => listAffectedSessions(db, projectId, bigGroup.id, 25, null) },
    { name: "issues sorted by users", run: () => listIssues(db, projectId, { status: "all" }, "users", 25, null) },
    // Release health (issue 11) from the release rollups: the list in each sort, and one release.
    ...RELEASE_SORTS.map((sort) => ({
      name: `releases 30d ${sort}`,
      run: () => listReleases(db, projectId, resolveWindow({ range: "30d" }), {}, sort, 25, null),
    })),
    {
      name: "releases 24h app",
      run: () => listReleases(db, projectId, resolveWindow({ range: "24h" }), { app: "ios" }, "adoption", 25, null),
    },
    { name: "release detail 30d", run: () => getRelease(db, projectId, resolveWindow({ range: "30d" }), {}, "1.3.0") },
    { name: "release detail 24h", run: () => getRelease(db, projectId, resolveWindow({ range: "24h" }), {}, "1.3.0") },
    // Global search: each kind by free text, each token, a phrase and tokens combined.
    ...[
      ["search issue message", "module 4242"],
      ["search issue type", "TypeError"],
      ["search fingerprint", fingerprint],
      ["search event name", "event_1"],
      ["search session id", "s4242"],
      ["search user id", "u4242"],
      ["search release", "1.3."],
      ["search phrase", '"failed in module 42"'],
      ["search user:", "user:u4242"],
      ["search release:", "release:1.3.0"],
      ["search environment:", "environment:staging event"],
      ["search environment: only", "environment:production"],
      ["search is: + text", "is:resolved TypeError"],
      ["search range: + text", "range:24h module"],
      ["search combined", "user:u4242 release:1.2.0 range:7d"],
    ].map(([name, q]) => ({ name, run: () => searchFor(q), tables: SEARCH_TABLES })),
  ];

  const results = [];
  for (const c of cases) {
    for (let i = 0; i < WARMUP; i++) await c.run();
    const times: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const started = performance.now();
      await c.run();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)];
    captured = [];
    await c.run();
    const verdicts = [];
    for (const statement of captured) {
      const { rows } = await pool.query(
        `explain (analyze, format json) ${statement.sql}`,
        statement.params as unknown[],
      );
      const plan = rows[0]["QUERY PLAN"][0].Plan;
      const executionMs = rows[0]["QUERY PLAN"][0]["Execution Time"] as number;
      const seqScans = new Set<string>();
      const indexes = new Set<string>();
      const walk = (node: Record<string, unknown>) => {
        const relation = node["Relation Name"] as string | undefined;
        if (node["Node Type"] === "Seq Scan" && relation && (c.tables ?? BIG_TABLES).has(relation)) {
          seqScans.add(relation);
        }
        if (node["Index Name"]) indexes.add(node["Index Name"] as string);
        for (const child of (node.Plans as Array<Record<string, unknown>>) ?? []) walk(child);
      };
      walk(plan);
      verdicts.push({
        statement: statement.sql.replace(/\s+/g, " ").slice(0, 90),
        indexes: [...indexes],
        seqScans: [...seqScans],
        executionMs: Number(executionMs.toFixed(2)),
      });
    }
    const ok = verdicts.every((v) => v.seqScans.length === 0);
    const result = {
      name: c.name,
      p50: Number(pct(50).toFixed(2)),
      p95: Number(pct(95).toFixed(2)),
      max: Number(times[times.length - 1].toFixed(2)),
      statements: captured.length,
      explain: ok ? "index only (no seq scan on big tables)" : "SEQ SCAN",
      verdicts,
    };
    results.push(result);
    console.log(
      `${c.name.padEnd(24)} p50 ${result.p50.toFixed(1).padStart(7)} ms   p95 ${result.p95.toFixed(1).padStart(7)} ms   ${result.p95 <= TARGET_P95_MS ? "≤" : ">"} ${TARGET_P95_MS} ms   ${result.explain}`,
    );
    for (const v of verdicts) {
      console.log(
        `    ${v.seqScans.length ? `SEQ SCAN ${v.seqScans.join(",")}` : "ok"} ${v.executionMs.toFixed(1)} ms [${v.indexes.join(", ") || "no index"}] ${v.statement}…`,
      );
    }
  }

  // The overview's top error groups for long windows use a threshold walk; it must equal the full scan.
  for (const range of ["7d", "30d"] as const) {
    const window = resolveWindow({ range });
    const [walked, scanned] = await Promise.all([
      findTopErrorGroups(db, projectId, window),
      topGroupsByScan(db, projectId, window),
    ]);
    const same = JSON.stringify(walked.map((g) => g.count)) === JSON.stringify(scanned.map((g) => g.count));
    console.log(
      `top error groups ${range}: threshold walk ${same ? "==" : "!="} full scan (counts ${walked.map((g) => g.count).join(",")})`,
    );
    if (!same) process.exitCode = 1;
  }

  const outDir = fileURLToPath(new URL("../results/", import.meta.url));
  mkdirSync(outDir, { recursive: true });
  const file = `${outDir}read-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  writeFileSync(
    file,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        database: adminUrl ? "server (DATABASE_URL)" : "embedded",
        method: "Node + drizzle-orm/node-postgres, same query functions as the /api routes",
        iterations: ITERATIONS,
        seed: { ...counts, seconds: Number(seedSeconds.toFixed(1)) },
        targetP95Ms: TARGET_P95_MS,
        results,
      },
      null,
      2,
    ),
  );
  console.log(`\nwrote ${file}`);
} finally {
  await pool.end();
  await scratch.dispose();
}
