/**
 * `npm run bench:meter`: the ceiling of one project's ProjectMeter on this machine, in events/s.
 *
 * 1. Admission: the bench-only route keeps BENCH_METER_CONCURRENCY admits of BENCH_METER_ROWS events
 *    each in flight to one meter (no HTTP, parsing or validation in front), for BENCH_METER_SECONDS.
 * 2. Drain: how fast that meter's alarm empties what was admitted into Postgres.
 * 3. End to end: POST /ingest/batch with 100 events at 20 connections, for the same time.
 * A project's sustained ceiling is the smaller of admission and drain: above the drain rate the
 * buffer grows until ingest answers 503 buffer_full.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  countStored,
  createBenchProject,
  ingestHeaders,
  load,
  machineLoad,
  startBenchStack,
  waitForDrain,
  workerdCpu,
} from "./stack.ts";

const SECONDS = Number(process.env.BENCH_METER_SECONDS ?? 10);
const ROWS = Number(process.env.BENCH_METER_ROWS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_METER_CONCURRENCY ?? 8);

interface CeilingAnswer {
  admits: number;
  accepted: number;
  refused: Record<string, number>;
  seconds: number;
  eventsPerSecond: number;
}

async function main() {
  const bench = await startBenchStack();
  const { stack, client } = bench;
  try {
    const direct = await createBenchProject(bench, "meter-direct");
    // Warm-up: the meter's first admit creates its tables.
    await fetch(`${stack.workerUrl}/__bench/meter-ceiling`, {
      method: "POST",
      body: JSON.stringify({ projectId: direct.id, rows: ROWS, concurrency: 1, durationMs: 200 }),
    });
    const cpu = workerdCpu(stack);
    const cpuBefore = cpu();
    const admission = (await (
      await fetch(`${stack.workerUrl}/__bench/meter-ceiling`, {
        method: "POST",
        body: JSON.stringify({
          projectId: direct.id,
          rows: ROWS,
          concurrency: CONCURRENCY,
          durationMs: SECONDS * 1000,
        }),
      })
    ).json()) as CeilingAnswer;
    const admissionCpuMs = cpu() - cpuBefore;
    // Events per second of the meter's thread's CPU: what one core would admit, whatever else runs.
    const admissionPerCore = admissionCpuMs > 0 ? (admission.accepted / admissionCpuMs) * 1000 : 0;
    const bufferedAtEnd = await bufferedRows(stack.workerUrl, direct.id);
    const drainStarted = performance.now();
    const drained = await waitForDrain(stack.workerUrl, direct.id);
    const drainSeconds = (performance.now() - drainStarted) / 1000;
    const directStored = await countStored(client, direct.id);
    // The backlog left when admission stopped, written with nothing else going on.
    const drainPerSecond = bufferedAtEnd / drainSeconds;

    const http = await createBenchProject(bench, "meter-http");
    const body = JSON.stringify({
      events: Array.from({ length: 100 }, (_, i) => ({ name: `ceiling_${i % 10}`, app: "bench", properties: { i } })),
    });
    const endToEnd = await load(
      {
        name: "POST /ingest/batch ×100",
        url: `${stack.workerUrl}/ingest/batch`,
        method: "POST",
        headers: ingestHeaders(http.apiKey),
        body,
        eventsPerRequest: 100,
      },
      { connections: 20, duration: SECONDS },
    );
    const httpDrained = await waitForDrain(stack.workerUrl, http.id);
    const httpStored = await countStored(client, http.id);

    const sustained = Math.min(admission.eventsPerSecond, drainPerSecond);
    const report = {
      at: new Date().toISOString(),
      settings: { seconds: SECONDS, rows: ROWS, concurrency: CONCURRENCY },
      machineLoad: machineLoad(),
      admission: {
        ...admission,
        admitsPerSecond: admission.admits / admission.seconds,
        cpuMs: admissionCpuMs,
        eventsPerCpuSecond: admissionPerCore,
        bufferedAtEnd,
      },
      drain: { drained, seconds: drainSeconds, rowsPerSecond: drainPerSecond, stored: directStored },
      endToEnd: { ...endToEnd, drained: httpDrained, stored: httpStored },
      sustainedEventsPerSecond: sustained,
    };

    console.log(`\none ProjectMeter, ${SECONDS} s per phase (loopback; ${report.machineLoad} at the end)`);
    console.log(
      `admission: ${admission.eventsPerSecond.toFixed(0)} events/s (${report.admission.admitsPerSecond.toFixed(0)} admits/s of ${ROWS} rows, ${CONCURRENCY} in flight; refused ${JSON.stringify(admission.refused)}); per core of the meter's thread: ${admissionPerCore.toFixed(0)} events/s`,
    );
    console.log(
      `drain to Postgres: ${drainPerSecond.toFixed(0)} rows/s (${bufferedAtEnd} rows buffered at the end of admission, empty ${drainSeconds.toFixed(1)} s later; ${directStored.rows}/${directStored.units} rows/units stored)`,
    );
    console.log(
      `end to end: ${endToEnd.eventsPerSecond.toFixed(0)} events/s through POST /ingest/batch ×100 (${endToEnd.requestsPerSecond.toFixed(0)} req/s, p99 ${endToEnd.p99Ms} ms, non-2xx ${endToEnd.non2xx}; ${httpStored.rows}/${httpStored.units} rows/units stored)`,
    );
    console.log("\ntargets (a project needs sharding below 5,000 events/s)");
    console.log(
      `  ${admissionPerCore >= 5000 ? "met " : "MISS"} admission per core of the meter's thread: ${admissionPerCore.toFixed(0)} events/s`,
    );
    console.log(
      `  ${sustained >= 5000 ? "met " : "MISS"} sustained on this machine now, min of admission and drain: ${sustained.toFixed(0)} events/s wall clock (${report.machineLoad})`,
    );
    const dir = fileURLToPath(new URL("./results/", import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `meter-${report.at.replaceAll(":", "-")}.json`);
    writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nwritten to ${file}`);
  } finally {
    await bench.stop();
  }
}

async function bufferedRows(workerUrl: string, projectId: string): Promise<number> {
  const health = (await (await fetch(`${workerUrl}/health?deep=1&project=${projectId}`)).json()) as {
    meter?: { bufferedRows: number };
  };
  return health.meter?.bufferedRows ?? -1;
}

await main();
