/**
 * `npm run bench:ingest`: ingest throughput and latency on loopback, against a no-op route of the
 * same Worker in the same run, plus the flush path's write rate against COPY into the same table.
 * Uses DATABASE_URL's server (default: the machine's PostgreSQL) with a scratch database.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { neonConfig } from "@neondatabase/serverless";
import autocannon from "autocannon";
import pg from "pg";
import { WebSocket } from "ws";
import { startLocalStack } from "../db/local/stack.ts";
import { createDatabase } from "../db/src/client.ts";
import type { EventRow } from "../worker/src/meter/buffered-row.ts";
import { writeBatch } from "../worker/src/meter/flush.ts";

const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
// Rounds interleave the three loads, so a burst of other work on this shared machine hits one
// round, not one route; figures are medians over rounds, and ratios are taken within a round.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const FLUSH_ROWS = Number(process.env.BENCH_FLUSH_ROWS ?? 20_000);
const FLUSH_BATCH = 1_000;
const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

interface LoadResult {
  name: string;
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
}

async function load(name: string, options: autocannon.Options, eventsPerRequest: number): Promise<LoadResult> {
  const result = await autocannon({ connections: CONNECTIONS, duration: DURATION_S, ...options });
  return {
    name,
    requestsPerSecond: result.requests.average,
    eventsPerSecond: result.requests.average * eventsPerRequest,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function eventRows(count: number): EventRow[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    kind: "event",
    event_id: crypto.randomUUID(),
    name: `bench_${i % 20}`,
    app: "bench",
    timestamp: new Date(now - (i % 3600) * 1000).toISOString(),
    timestamp_clamped: false,
    platform: "web",
    environment: "production",
    release: "1.0.0",
    user_id: `u${i % 500}`,
    anonymous_id: null,
    session_id: `s${i % 2000}`,
    url: "https://example.test/page",
    sdk_name: "bench",
    sdk_version: "1.0.0",
    properties: { i, plan: "pro", path: "/page" },
  }));
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function main() {
  console.log(`starting the stack (scratch database on ${new URL(adminUrl).host}) …`);
  const stack = await startLocalStack({
    mode: "scratch",
    databaseUrl: adminUrl,
    vars: { LOG_LEVEL: "warn" },
  });
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  try {
    // The demo org on BUSINESS, so the per-project rate (500/s) is not what the load measures.
    await client.query("update organizations set plan = 'BUSINESS' where id = $1", [stack.demo.organizationId]);
    const headers = { authorization: `Bearer ${stack.demo.apiKey}`, "content-type": "application/json" };
    const single = JSON.stringify({ name: "bench", app: "bench", properties: { plan: "pro" } });
    const batch = JSON.stringify({
      events: Array.from({ length: 50 }, (_, i) => ({ name: `bench_${i % 5}`, app: "bench", properties: { i } })),
    });

    // Warm-up, so the first measurement does not pay for isolate start and key cache misses.
    await autocannon({
      url: `${stack.workerUrl}/ingest/event`,
      method: "POST",
      headers,
      body: single,
      connections: 2,
      amount: 50,
    });

    const rounds: Array<{ noop: LoadResult; single: LoadResult; batch: LoadResult }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push({
        noop: await load("no-op (GET /health)", { url: `${stack.workerUrl}/health` }, 0),
        single: await load(
          "POST /ingest/event",
          { url: `${stack.workerUrl}/ingest/event`, method: "POST", headers, body: single },
          1,
        ),
        batch: await load(
          "POST /ingest/batch ×50",
          { url: `${stack.workerUrl}/ingest/batch`, method: "POST", headers, body: batch },
          50,
        ),
      });
    }
    const summarize = (pick: (r: (typeof rounds)[number]) => LoadResult): LoadResult & { ratioToNoop: number } => {
      const results = rounds.map(pick);
      return {
        name: results[0].name,
        requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
        eventsPerSecond: median(results.map((r) => r.eventsPerSecond)),
        p50Ms: median(results.map((r) => r.p50Ms)),
        p99Ms: median(results.map((r) => r.p99Ms)),
        non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
        ratioToNoop: median(rounds.map((r) => pick(r).requestsPerSecond / r.noop.requestsPerSecond)),
      };
    };
    const noop = summarize((r) => r.noop);
    const ingestSingle = summarize((r) => r.single);
    const ingestBatch = summarize((r) => r.batch);

    // Every accepted row must reach Postgres: wait for the meter to drain, then count.
    let drained = false;
    for (let waited = 0; waited < 300_000; waited += 1000) {
      const health = (await (
        await fetch(`${stack.workerUrl}/health?deep=1&project=${stack.demo.projectId}`)
      ).json()) as {
        meter?: { bufferedRows: number };
      };
      if (health.meter?.bufferedRows === 0) {
        drained = true;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const stored = Number(
      (await client.query("select count(*) from events where project_id = $1", [stack.demo.projectId])).rows[0].count,
    );
    const units = Number(
      (
        await client.query("select coalesce(sum(units), 0) as u from usage_monthly where project_id = $1", [
          stack.demo.projectId,
        ])
      ).rows[0].u,
    );

    // Flush path: the meter's writeBatch through the Neon driver and the same WebSocket proxy.
    neonConfig.webSocketConstructor = WebSocket;
    const {
      rows: [{ id: flushProject }],
    } = await client.query(
      "insert into projects (org_id, name, slug) values ($1, 'flush bench', 'flush-bench') returning id",
      [stack.demo.organizationId],
    );
    const rows = eventRows(FLUSH_ROWS);
    const handle = createDatabase({ url: stack.databaseUrl, wsProxy: stack.proxy.url });
    const batchTimes: number[] = [];
    const flushStarted = performance.now();
    for (let offset = 0; offset < rows.length; offset += FLUSH_BATCH) {
      const started = performance.now();
      await writeBatch(handle.db, flushProject, rows.slice(offset, offset + FLUSH_BATCH), []);
      batchTimes.push(performance.now() - started);
    }
    const flushSeconds = (performance.now() - flushStarted) / 1000;
    await handle.close();

    // COPY of the same rows (fresh ids) into the same table, through psql's \copy.
    const {
      rows: [{ id: copyProject }],
    } = await client.query(
      "insert into projects (org_id, name, slug) values ($1, 'copy bench', 'copy-bench') returning id",
      [stack.demo.organizationId],
    );
    const csvPath = join(tmpdir(), `tt-copy-${process.pid}.csv`);
    const csvField = (value: string | null) => (value === null ? "" : `"${value.replaceAll('"', '""')}"`);
    writeFileSync(
      csvPath,
      rows
        .map((row) =>
          [
            copyProject,
            crypto.randomUUID(),
            row.name,
            row.timestamp,
            "f",
            row.app,
            row.platform,
            row.environment,
            row.release,
            row.user_id,
            row.anonymous_id,
            row.session_id,
            row.url,
            row.sdk_name,
            row.sdk_version,
            JSON.stringify(row.properties),
          ]
            .map((value) => csvField(value as string | null))
            .join(","),
        )
        .join("\n"),
    );
    const copyStarted = performance.now();
    execFileSync("psql", [
      stack.databaseUrl,
      "-qc",
      `\\copy events (project_id, event_id, name, timestamp, timestamp_clamped, app, platform, environment, release, user_id, anonymous_id, session_id, url, sdk_name, sdk_version, properties) from '${csvPath}' csv`,
    ]);
    const copySeconds = (performance.now() - copyStarted) / 1000;

    const flushRowsPerSecond = FLUSH_ROWS / flushSeconds;
    const copyRowsPerSecond = FLUSH_ROWS / copySeconds;
    const report = {
      at: new Date().toISOString(),
      settings: {
        rounds: ROUNDS,
        durationSeconds: DURATION_S,
        connections: CONNECTIONS,
        flushRows: FLUSH_ROWS,
        flushBatch: FLUSH_BATCH,
      },
      load: [noop, ingestSingle, ingestBatch],
      rounds,
      delivery: { drained, unitsAccepted: units, rowsStored: stored, allLanded: stored === units },
      flush: {
        rowsPerSecond: flushRowsPerSecond,
        medianBatchMs: median(batchTimes),
        copyRowsPerSecond,
        ratioToCopy: flushRowsPerSecond / copyRowsPerSecond,
      },
      targets: {
        singleVsNoop: { value: ingestSingle.ratioToNoop, target: 0.5 },
        batchVsSingleEvents: {
          value: median(rounds.map((r) => r.batch.eventsPerSecond / r.single.eventsPerSecond)),
          target: 20,
        },
        flushVsCopy: { value: flushRowsPerSecond / copyRowsPerSecond, target: 0.3 },
        non2xx: { value: noop.non2xx + ingestSingle.non2xx + ingestBatch.non2xx, target: 0 },
      },
    };

    console.log(`\nload (loopback, load generator on the same cores; medians of ${ROUNDS} rounds × ${DURATION_S} s)`);
    console.table(
      report.load.map((r) => ({
        route: r.name,
        "req/s": r.requestsPerSecond.toFixed(0),
        "events/s": r.eventsPerSecond.toFixed(0),
        "p50 ms": r.p50Ms,
        "p99 ms": r.p99Ms,
        non2xx: r.non2xx,
        errors: r.errors,
        "× no-op": r.ratioToNoop.toFixed(2),
      })),
    );
    console.log(
      `delivery: ${units} units accepted, ${stored} rows in Postgres ${drained ? "after the drain" : "(NOT drained after 5 min)"}`,
    );
    console.log(
      `flush: ${flushRowsPerSecond.toFixed(0)} rows/s (median ${median(batchTimes).toFixed(1)} ms per ${FLUSH_BATCH}-row batch) vs COPY ${copyRowsPerSecond.toFixed(0)} rows/s → ${(report.flush.ratioToCopy * 100).toFixed(0)}%`,
    );
    console.log("\ntargets");
    for (const [name, { value, target }] of Object.entries(report.targets)) {
      const met = name === "non2xx" ? value <= target : value >= target;
      console.log(
        `  ${met ? "met " : "MISS"} ${name}: ${value.toFixed(2)} (target ${name === "non2xx" ? "=" : "≥"} ${target})`,
      );
    }
    const dir = fileURLToPath(new URL("./results/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `ingest-${report.at.replaceAll(":", "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwritten to ${file}`);
  } finally {
    await client.end();
    await stack.stop();
  }
}

await main();
