/**
 * `npm run bench:ingest`: ingest throughput and latency on loopback, against a no-op route of the
 * same Worker and against the seed system's design (Postgres on every request: key lookup, usage
 * check-and-increment and insert in one transaction; a bench-only route) in the same run on the same
 * Postgres; then both with Postgres down; then the flush path's write rate against COPY into the same
 * table. Prints one met/MISS line per target. Uses DATABASE_URL's server (default: the machine's
 * PostgreSQL) with a scratch database.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { neonConfig } from "@neondatabase/serverless";
import { WebSocket } from "ws";
import { createDatabase } from "../db/src/client.ts";
import type { EventRow } from "../worker/src/meter/buffered-row.ts";
import { writeBatch } from "../worker/src/meter/flush.ts";
import {
  countStored,
  createBenchProject,
  ingestHeaders,
  type LoadResult,
  type LoadSpec,
  load,
  machineLoad,
  median,
  StageTimings,
  startBenchStack,
  waitForDrain,
} from "./stack.ts";

const DURATION_S = Number(process.env.BENCH_DURATION ?? 5);
// Rounds interleave the loads, so a burst of other work on this shared machine hits one round, not
// one route; figures are medians over rounds, and ratios are taken within a round.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const OUTAGE_S = Number(process.env.BENCH_OUTAGE_DURATION ?? 4);
const FLUSH_ROWS = Number(process.env.BENCH_FLUSH_ROWS ?? 20_000);
const FLUSH_BATCH = 1_000;
const BATCH_SIZE = 50;
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

const LOADS = ["noop", "single", "batch", "seedSingle", "seedBatch"] as const;
type LoadName = (typeof LOADS)[number];
type Round = Record<LoadName, LoadResult>;

async function main() {
  const bench = await startBenchStack();
  const { stack, client } = bench;
  const proxyControl = (action: "down" | "up") =>
    fetch(`http://${stack.proxy.url}/__control/${action}`, { method: "POST" }).then((res) => res.text());
  try {
    // The seed design gets a project and key of its own, so its usage row and events never mix
    // with what the meter flushes for the demo project.
    const seedProject = await createBenchProject(bench, "seed-design");
    const ours = ingestHeaders(stack.demo.apiKey);
    const seed = ingestHeaders(seedProject.apiKey);
    const single = JSON.stringify({ name: "bench", app: "bench", properties: { plan: "pro" } });
    const batch = JSON.stringify({
      events: Array.from({ length: BATCH_SIZE }, (_, i) => ({
        name: `bench_${i % 5}`,
        app: "bench",
        properties: { i },
      })),
    });
    const timings = { single: new StageTimings(), batch: new StageTimings() };
    const specs: Record<LoadName, LoadSpec> = {
      noop: { name: "no-op (GET /health)", url: `${stack.workerUrl}/health`, eventsPerRequest: 0 },
      single: {
        name: "ours: POST /ingest/event",
        url: `${stack.workerUrl}/ingest/event`,
        method: "POST",
        headers: ours,
        body: single,
        eventsPerRequest: 1,
        timings: timings.single,
      },
      batch: {
        name: `ours: POST /ingest/batch ×${BATCH_SIZE}`,
        url: `${stack.workerUrl}/ingest/batch`,
        method: "POST",
        headers: ours,
        body: batch,
        eventsPerRequest: BATCH_SIZE,
        timings: timings.batch,
      },
      seedSingle: {
        name: "seed design: event",
        url: `${stack.workerUrl}/__bench/seed-design/event`,
        method: "POST",
        headers: seed,
        body: single,
        eventsPerRequest: 1,
      },
      seedBatch: {
        name: `seed design: batch ×${BATCH_SIZE}`,
        url: `${stack.workerUrl}/__bench/seed-design/batch`,
        method: "POST",
        headers: seed,
        body: batch,
        eventsPerRequest: BATCH_SIZE,
      },
    };
    const options = { connections: CONNECTIONS, duration: DURATION_S };

    // Warm-up, so the first measurement pays for neither isolate start nor key cache misses.
    for (const name of ["single", "seedSingle"] as const) {
      await load({ ...specs[name], timings: undefined }, { connections: 2, duration: 1 });
    }

    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const results = {} as Round;
      for (const name of LOADS) results[name] = await load(specs[name], options);
      rounds.push(results);
      console.log(
        `round ${round + 1}/${ROUNDS}: ${LOADS.map((name) => `${name} ${results[name].requestsPerSecond.toFixed(0)}`).join(", ")} req/s`,
      );
    }
    const withinRound = (ratio: (r: Round) => number) => median(rounds.map(ratio));
    const summarize = (name: LoadName) => {
      const results = rounds.map((r) => r[name]);
      return {
        name: results[0].name,
        requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
        eventsPerSecond: median(results.map((r) => r.eventsPerSecond)),
        p50Ms: median(results.map((r) => r.p50Ms)),
        p99Ms: median(results.map((r) => r.p99Ms)),
        ok: results.reduce((sum, r) => sum + r.ok, 0),
        non2xx: results.reduce((sum, r) => sum + r.non2xx, 0),
        errors: results.reduce((sum, r) => sum + r.errors, 0),
        ratioToNoop: withinRound((r) => r[name].requestsPerSecond / r.noop.requestsPerSecond),
      };
    };
    const summary = Object.fromEntries(LOADS.map((name) => [name, summarize(name)])) as Record<
      LoadName,
      ReturnType<typeof summarize>
    >;

    // Postgres down (the proxy cuts every connection and refuses new ones): ours keeps answering
    // 202 from the meter's buffer; the seed design has nowhere to write.
    await proxyControl("down");
    const outage = {
      ours: await load(specs.single, { connections: CONNECTIONS, duration: OUTAGE_S }),
      seed: await load(specs.seedSingle, { connections: CONNECTIONS, duration: OUTAGE_S }),
    };
    await proxyControl("up");

    // Every unit the meter accepted, during the outage too, must reach Postgres.
    const drained = await waitForDrain(stack.workerUrl, stack.demo.projectId);
    const delivered = await countStored(client, stack.demo.projectId);
    const seedStored = await countStored(client, seedProject.id);

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
      await writeBatch(handle.db, flushProject, rows.slice(offset, offset + FLUSH_BATCH));
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
    const oursFailed = outage.ours.non2xx + outage.ours.errors;
    const seedFailed = outage.seed.non2xx + outage.seed.errors;
    const targets = [
      {
        name: "single event ÷ no-op",
        value: summary.single.ratioToNoop,
        target: "≥ 0.6",
        met: summary.single.ratioToNoop >= 0.6,
      },
      {
        name: "single event: ours ÷ seed design",
        value: withinRound((r) => r.single.requestsPerSecond / r.seedSingle.requestsPerSecond),
        target: "≥ 3",
        met: withinRound((r) => r.single.requestsPerSecond / r.seedSingle.requestsPerSecond) >= 3,
      },
      {
        name: `batch ×${BATCH_SIZE} events/s ÷ single events/s`,
        value: withinRound((r) => r.batch.eventsPerSecond / r.single.eventsPerSecond),
        target: "≥ 20",
        met: withinRound((r) => r.batch.eventsPerSecond / r.single.eventsPerSecond) >= 20,
      },
      {
        name: "flush rows/s ÷ COPY",
        value: flushRowsPerSecond / copyRowsPerSecond,
        target: "≥ 0.3",
        met: flushRowsPerSecond / copyRowsPerSecond >= 0.3,
      },
      {
        name: `Postgres down: ours ${outage.ours.ok} × 202 and ${oursFailed} failed; seed design ${outage.seed.ok} × 2xx and ${seedFailed} failed`,
        value: oursFailed,
        target: "ours 0 failed, seed design all failed",
        met: oursFailed === 0 && outage.ours.ok > 0 && outage.seed.ok === 0 && seedFailed > 0,
      },
      {
        name: `delivery: ${delivered.units} units accepted, ${delivered.rows} rows in Postgres`,
        value: delivered.units - delivered.rows,
        target: "all landed",
        met: drained && delivered.units === delivered.rows,
      },
      {
        name: "non-2xx answers under load",
        value: LOADS.reduce((sum, name) => sum + summary[name].non2xx + summary[name].errors, 0),
        target: "= 0",
        met: LOADS.every((name) => summary[name].non2xx + summary[name].errors === 0),
      },
    ];
    const report = {
      at: new Date().toISOString(),
      machineLoad: machineLoad(),
      settings: {
        rounds: ROUNDS,
        durationSeconds: DURATION_S,
        connections: CONNECTIONS,
        outageSeconds: OUTAGE_S,
        flushRows: FLUSH_ROWS,
        flushBatch: FLUSH_BATCH,
      },
      load: summary,
      ratios: {
        singleVsNoop: summary.single.ratioToNoop,
        singleVsSeedDesign: withinRound((r) => r.single.requestsPerSecond / r.seedSingle.requestsPerSecond),
        batchVsSeedDesign: withinRound((r) => r.batch.eventsPerSecond / r.seedBatch.eventsPerSecond),
        batchVsSingleEvents: withinRound((r) => r.batch.eventsPerSecond / r.single.eventsPerSecond),
      },
      stages: { single: timings.single.means(), batch: timings.batch.means() },
      rounds,
      outage,
      delivery: { drained, ...delivered, seedDesign: seedStored },
      flush: {
        rowsPerSecond: flushRowsPerSecond,
        medianBatchMs: median(batchTimes),
        copyRowsPerSecond,
        ratioToCopy: flushRowsPerSecond / copyRowsPerSecond,
      },
      targets,
    };

    console.log(
      `\nload (loopback, load generator on the same cores; medians of ${ROUNDS} rounds × ${DURATION_S} s; ${machineLoad()} at the end)`,
    );
    console.table(
      LOADS.map((name) => summary[name]).map((r) => ({
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
      `ours ÷ seed design (within-round medians): single events ${report.ratios.singleVsSeedDesign.toFixed(2)}×, batches ×${BATCH_SIZE} ${report.ratios.batchVsSeedDesign.toFixed(2)}×`,
    );
    console.log(timings.single.line("stages /ingest/event"));
    console.log(timings.batch.line(`stages /ingest/batch ×${BATCH_SIZE}`));
    console.log(
      `flush: ${flushRowsPerSecond.toFixed(0)} rows/s (median ${median(batchTimes).toFixed(1)} ms per ${FLUSH_BATCH}-row batch) vs COPY ${copyRowsPerSecond.toFixed(0)} rows/s`,
    );
    console.log("\ntargets");
    for (const { name, value, target, met } of targets) {
      console.log(
        `  ${met ? "met " : "MISS"} ${name}: ${Number.isInteger(value) ? value : value.toFixed(2)} (target ${target})`,
      );
    }
    const dir = fileURLToPath(new URL("./results/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `ingest-${report.at.replaceAll(":", "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwritten to ${file}`);
  } finally {
    await proxyControl("up").catch(() => {});
    await bench.stop();
  }
}

await main();
