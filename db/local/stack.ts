import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DATA_DIR } from "./data-dir.ts";
import { startEmbeddedPostgres } from "./embedded-postgres.ts";
import { migrateDatabase } from "./migrate.ts";
import { createScratchDatabase } from "./scratch-database.ts";
import { type DemoCredentials, seedDemo } from "./seed.ts";
import { startWsProxy, type WsProxy } from "./ws-proxy.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

export interface LocalStackOptions {
  /**
   * `persistent` (npm run dev): the embedded Postgres keeps its data under `.data/`, or DATABASE_URL
   * is used as it is. `scratch` (tests, benchmarks): a fresh database for this run only — a new
   * database on the DATABASE_URL server, or an embedded Postgres in a temporary directory.
   */
  mode: "persistent" | "scratch";
  databaseUrl?: string;
  workerPort?: number;
  /** Where the dashboard runs, for the Worker's CSRF origin check; default port 3000. */
  dashboardPort?: number;
  /** Extra `--var` values for the Worker (e.g. FLUSH_DELAY_MS). */
  vars?: Record<string, string>;
  /** Where wrangler keeps local KV and Durable Object state. */
  persistTo?: string;
  /** Forward the Worker's output to this process's (dev) or keep it quiet (tests). */
  inheritOutput?: boolean;
  embeddedPostgresPort?: number;
  proxyPort?: number;
}

export interface LocalStack {
  workerUrl: string;
  databaseUrl: string;
  proxy: WsProxy;
  demo: DemoCredentials;
  stop: () => Promise<void>;
}

/** A free loopback port: `preferred` when it is free, else any. */
export async function freePort(preferred = 0): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) =>
      preferred && error.code === "EADDRINUSE" ? resolve(freePort()) : reject(error),
    );
    server.listen(preferred, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited with code ${child.exitCode}`);
    try {
      const res = await fetch(`${url}/health?deep=1`);
      if (res.ok) return;
      lastError = `status ${res.status}: ${await res.text()}`;
    } catch (error) {
      lastError = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the Worker did not become healthy in ${timeoutMs} ms (${lastError})`);
}

/** Stops a process group started with `detached: true`: workerd children die with wrangler. */
export async function stopProcessGroup(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || !child.pid) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid as number), "SIGKILL");
    } catch {}
  }, graceMs);
  await exited;
  clearTimeout(timer);
  // workerd may outlive wrangler by a moment; make sure nothing of the group is left.
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {}
}

/**
 * Postgres (embedded or given), the WebSocket proxy, migrations, the demo seed and `wrangler dev`
 * (local KV, Durable Objects, cron via /__scheduled): the whole backend on loopback.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    cleanups.length = 0;
  };
  try {
    let databaseUrl: string;
    if (options.mode === "scratch") {
      const scratch = await createScratchDatabase({
        adminUrl: options.databaseUrl,
        embeddedPort: options.embeddedPostgresPort ?? (await freePort()),
      });
      cleanups.push(scratch.dispose);
      databaseUrl = scratch.url;
    } else if (options.databaseUrl) {
      databaseUrl = options.databaseUrl;
    } else {
      const dataDir = join(DATA_DIR, "postgres");
      // 54329 when free, so psql finds it at the same place; another checkout's stack may hold it.
      const port = options.embeddedPostgresPort ?? (await freePort(54329));
      const embedded = await startEmbeddedPostgres({ dataDir, port });
      cleanups.push(embedded.stop);
      databaseUrl = embedded.url;
    }

    const proxy = await startWsProxy({ port: options.proxyPort ?? 0 });
    cleanups.push(proxy.close);
    await migrateDatabase(databaseUrl);
    const demo = await seedDemo(databaseUrl, options.mode === "scratch" ? { secretsFile: "/nonexistent" } : {});

    const workerPort = options.workerPort ?? (await freePort());
    // A scratch stack gets scratch Durable Object and KV state too: the demo project's id is fixed,
    // so sharing `.data/wrangler` would carry a meter's usage and buffer over from another run.
    let persistTo = options.persistTo ?? join(DATA_DIR, "wrangler");
    if (options.mode === "scratch" && !options.persistTo) {
      persistTo = mkdtempSync(join(tmpdir(), "tt-wrangler-"));
      cleanups.push(async () => rmSync(persistTo, { recursive: true, force: true }));
    }
    const dashboardPort = options.dashboardPort ?? 3000;
    const vars = {
      APP_ENV: "development",
      DATABASE_URL: databaseUrl,
      DB_WS_PROXY: proxy.url,
      ALLOW_REGISTRATION: "true",
      DASHBOARD_ORIGINS: `http://localhost:${dashboardPort},http://127.0.0.1:${dashboardPort}`,
      SESSION_SECRET: "dev-only-session-secret-change-me",
      ...options.vars,
    };
    const args = [
      WRANGLER,
      "dev",
      "--config",
      `${ROOT}wrangler.toml`,
      "--ip",
      "127.0.0.1",
      "--port",
      String(workerPort),
      "--inspector-port",
      String(await freePort()),
      "--persist-to",
      persistTo,
      "--test-scheduled",
      "--show-interactive-dev-session=false",
      "--log-level",
      options.inheritOutput ? "info" : "warn",
      ...Object.entries(vars).flatMap(([name, value]) => ["--var", `${name}:${value}`]),
    ];
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      detached: true,
      stdio: options.inheritOutput ? "inherit" : ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
    });
    let output = "";
    child.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
    child.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
    cleanups.push(() => stopProcessGroup(child));

    const workerUrl = `http://127.0.0.1:${workerPort}`;
    try {
      await waitForHealth(workerUrl, child, 90_000);
    } catch (error) {
      throw new Error(`${(error as Error).message}\n--- wrangler output ---\n${output}`);
    }
    return { workerUrl, databaseUrl, proxy, demo, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
