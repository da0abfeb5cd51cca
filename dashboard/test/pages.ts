import { type ChildProcess, spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { freePort, stopProcessGroup } from "../../db/local/stack.ts";

const DASHBOARD_DIR = fileURLToPath(new URL("../", import.meta.url));
const WRANGLER = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

export interface PagesDev {
  url: string;
  stop: () => Promise<void>;
}

async function waitForUrl(url: string, child: ChildProcess, output: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler pages dev exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`wrangler pages dev did not answer on ${url} in ${timeoutMs} ms:\n${output()}`);
}

/**
 * The built dashboard (`dist/`) under `wrangler pages dev`, the way Cloudflare Pages runs it
 * (workerd), with API_URL pointing at `workerUrl`. `port` is chosen by the caller because the
 * Worker must already list this origin in DASHBOARD_ORIGINS.
 */
export async function startPagesDev(options: { port: number; workerUrl: string; name: string }): Promise<PagesDev> {
  const url = `http://127.0.0.1:${options.port}`;
  const state = `${DASHBOARD_DIR}.wrangler/pages-state-${options.name}-${process.pid}`;
  let output = "";
  const pages = spawn(
    process.execPath,
    [
      WRANGLER,
      "pages",
      "dev",
      "dist",
      "--ip",
      "127.0.0.1",
      "--port",
      String(options.port),
      "--inspector-port",
      String(await freePort()),
      "--persist-to",
      state,
      "--binding",
      `API_URL=${options.workerUrl}`,
      "--binding",
      `INGEST_URL=${options.workerUrl}`,
      "--log-level",
      "warn",
    ],
    {
      cwd: DASHBOARD_DIR,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false", CI: "true" },
    },
  );
  pages.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  pages.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  const stop = async () => {
    await stopProcessGroup(pages);
    rmSync(state, { recursive: true, force: true });
  };
  try {
    await waitForUrl(`${url}/login`, pages, () => output, 90_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
