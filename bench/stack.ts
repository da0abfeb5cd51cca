/**
 * What the ingest benchmarks share: the local stack with the bench-only routes and Server-Timing
 * switched on (BENCH_ROUTES / SERVER_TIMING; production never sets them) and the per-IP ingest
 * limit out of reach, projects of their own on the BUSINESS plan, and small statistics helpers.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import autocannon from "autocannon";
import pg from "pg";
import { type LocalStack, startLocalStack } from "../db/local/stack.ts";
import { generateApiKey } from "../db/src/credentials.ts";

export const adminUrl = process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

export interface BenchStack {
  stack: LocalStack;
  client: pg.Client;
  stop: () => Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  console.log(`starting the stack (scratch database on ${new URL(adminUrl).host}) …`);
  const stack = await startLocalStack({
    mode: "scratch",
    databaseUrl: adminUrl,
    vars: {
      LOG_LEVEL: "error",
      BENCH_ROUTES: "true",
      SERVER_TIMING: "true",
      // All the load comes from 127.0.0.1: a limit far above it keeps the per-IP limiter's code on
      // the measured path (leases from its Durable Object) without ever refusing the bench.
      RATE_LIMIT_INGEST_PER_MINUTE: "100000000",
    },
  });
  const client = new pg.Client({ connectionString: stack.databaseUrl });
  await client.connect();
  // BUSINESS, so the per-project rate (500/s) is not what the load measures.
  await client.query("update organizations set plan = 'BUSINESS' where id = $1", [stack.demo.organizationId]);
  return {
    stack,
    client,
    stop: async () => {
      await client.end();
      await stack.stop();
    },
  };
}

/** The machine's 1-minute load average, printed with the figures: this machine is shared. */
export const machineLoad = () => `load average ${loadavg()[0].toFixed(1)} on ${navigator.hardwareConcurrency} cores`;

/**
 * CPU milliseconds used so far by the stack's busiest workerd process: the one running the Worker
 * and its Durable Objects (Linux /proc). CPU per unit of work barely moves with the machine's other
 * load, where wall-clock throughput does.
 */
export function workerdCpu(stack: LocalStack): () => number {
  const port = new URL(stack.workerUrl).port;
  const processes = execFileSync("ps", ["-eo", "pid=,ppid=,args="]).toString().trim().split("\n");
  const rows = processes.map((line) => {
    const [pid, ppid, ...args] = line.trim().split(/\s+/);
    return { pid: Number(pid), ppid: Number(ppid), args: args.join(" ") };
  });
  const wrangler = rows.find((row) => row.args.includes("wrangler") && row.args.includes(`--port ${port} `));
  const workerds: number[] = [];
  const walk = (parent: number) => {
    for (const row of rows.filter((candidate) => candidate.ppid === parent)) {
      if (row.args.includes("workerd")) workerds.push(row.pid);
      walk(row.pid);
    }
  };
  if (wrangler) walk(wrangler.pid);
  const ticks = (pid: number) => {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(fields[11]) + Number(fields[12])) * 10;
    } catch {
      return 0;
    }
  };
  return () => Math.max(0, ...workerds.map(ticks));
}

/** A further project of the demo organization with a key of its own, so counts never mix. */
export async function createBenchProject(bench: BenchStack, slug: string): Promise<{ id: string; apiKey: string }> {
  const {
    rows: [{ id }],
  } = await bench.client.query("insert into projects (org_id, name, slug) values ($1, $2, $2) returning id", [
    bench.stack.demo.organizationId,
    slug,
  ]);
  const key = await generateApiKey();
  await bench.client.query(
    "insert into api_keys (project_id, public_id, secret_hash, name) values ($1, $2, $3, 'bench')",
    [id, key.publicId, key.secretHash],
  );
  return { id, apiKey: key.key };
}

export function ingestHeaders(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}`, "content-type": "application/json" };
}

/** Waits until the project's meter has written every buffered row to Postgres. */
export async function waitForDrain(workerUrl: string, projectId: string, timeoutMs = 300_000): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 500) {
    const health = (await (await fetch(`${workerUrl}/health?deep=1&project=${projectId}`)).json()) as {
      meter?: { bufferedRows: number };
    };
    if (health.meter?.bufferedRows === 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

export async function countStored(client: pg.Client, projectId: string): Promise<{ rows: number; units: number }> {
  const rows = await client.query("select count(*)::int as n from events where project_id = $1", [projectId]);
  const units = await client.query(
    "select coalesce(sum(units), 0)::int as u from usage_monthly where project_id = $1",
    [projectId],
  );
  return { rows: rows.rows[0].n, units: units.rows[0].u };
}

/** Mean milliseconds per stage from the Server-Timing headers of a load's answers. */
export class StageTimings {
  private readonly sums = new Map<string, number>();
  count = 0;

  record(header: string | string[] | undefined): void {
    const value = Array.isArray(header) ? header.join(",") : header;
    if (!value) return;
    this.count++;
    for (const metric of value.split(",")) {
      const [name, ...params] = metric.trim().split(";");
      const duration = params.find((param) => param.startsWith("dur="));
      if (duration) this.sums.set(name, (this.sums.get(name) ?? 0) + Number(duration.slice(4)));
    }
  }

  means(): Record<string, number> {
    return Object.fromEntries([...this.sums].map(([name, sum]) => [name, sum / Math.max(1, this.count)]));
  }

  line(label: string): string {
    const stages = Object.entries(this.means()).map(([name, ms]) => `${name} ${ms.toFixed(2)}`);
    return `${label} (mean ms over ${this.count} answers): ${stages.join(" · ")}`;
  }
}

export interface LoadResult {
  name: string;
  requestsPerSecond: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  ok: number;
  non2xx: number;
  errors: number;
}

export interface LoadSpec {
  name: string;
  url: string;
  method?: "GET" | "POST";
  headers?: Record<string, string>;
  body?: string;
  eventsPerRequest: number;
  timings?: StageTimings;
}

export async function load(spec: LoadSpec, options: { connections: number; duration: number }): Promise<LoadResult> {
  const { origin, pathname, search } = new URL(spec.url);
  const result = await autocannon({
    url: origin,
    connections: options.connections,
    duration: options.duration,
    requests: [
      {
        method: spec.method ?? "GET",
        path: pathname + search,
        headers: spec.headers,
        body: spec.body,
        ...(spec.timings
          ? {
              onResponse: (_status: number, _body: string, _context: unknown, headers: Record<string, string>) =>
                spec.timings?.record(headers["server-timing"] ?? headers["Server-Timing"]),
            }
          : {}),
      },
    ],
  });
  return {
    name: spec.name,
    requestsPerSecond: result.requests.average,
    eventsPerSecond: result.requests.average * spec.eventsPerRequest,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result["2xx"],
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}
