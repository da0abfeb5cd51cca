import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freePort } from "../../db/local/stack.ts";
import { eventually, hydrated, launchBrowser, screenshot, watchPage } from "./helpers.ts";

/**
 * `npm run dev` as a newcomer runs it — the dashboard under `vite dev` (unbundled modules, dependency
 * pre-bundling), not the production build the other tests use — on random ports, with the embedded
 * Postgres in a scratch data directory (TT_DATA_DIR) and a fresh vite dependency cache, as on a fresh
 * clone. A module that only breaks in dev (a UMD file served as ESM, say) fails this test.
 */
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

let dataDir: string;
let dev: ChildProcess;
let output = "";
let dashboardUrl: string;
let demo: { email: string; password: string; projectId: string; apiKey: string; workerUrl: string };
let browser: Browser;
let page: Page;
let pageErrors: string[] = [];

async function stopDev(): Promise<void> {
  if (!dev?.pid || dev.exitCode !== null || dev.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => dev.once("exit", () => resolve()));
  // What Ctrl-C does: SIGINT to the whole foreground group (npm and dev.ts), which stops its children.
  process.kill(-dev.pid, "SIGINT");
  const timer = setTimeout(() => {
    try {
      process.kill(-(dev.pid as number), "SIGKILL");
    } catch {}
  }, 30_000);
  await exited;
  clearTimeout(timer);
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "tt-dev-mode-"));
  const workerPort = await freePort();
  const dashboardPort = await freePort();
  dashboardUrl = `http://localhost:${dashboardPort}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TT_DATA_DIR: dataDir,
    WORKER_PORT: String(workerPort),
    DASHBOARD_PORT: String(dashboardPort),
  };
  delete env.DATABASE_URL; // the embedded default, as on a fresh machine
  dev = spawn("npm", ["run", "dev"], { cwd: ROOT, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  dev.stdout?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));
  dev.stderr?.on("data", (chunk) => (output = (output + chunk).slice(-20_000)));

  try {
    // dev.ts writes demo.json once the Worker is healthy; vite dev answers shortly after.
    await eventually(
      async () => {
        if (dev.exitCode !== null) throw new Error(`npm run dev exited with ${dev.exitCode}`);
        if (!existsSync(join(dataDir, "demo.json"))) return false;
        return await fetch(`${dashboardUrl}/login`).then(
          (res) => res.ok,
          () => false,
        );
      },
      180_000,
      500,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- npm run dev output ---\n${output}`);
  }
  demo = JSON.parse(readFileSync(join(dataDir, "demo.json"), "utf8"));

  browser = await launchBrowser();
  page = await browser.newPage({ baseURL: dashboardUrl, viewport: { width: 1280, height: 900 } });
  pageErrors = watchPage(page);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stopDev();
  if (dataDir) {
    rmSync(dataDir, { recursive: true, force: true });
    // vite's dependency cache for this data directory (see vite.config.ts: cacheDir).
    rmSync(fileURLToPath(new URL(`../node_modules/.vite-${basename(dataDir)}`, import.meta.url)), {
      recursive: true,
      force: true,
    });
  }
}, 60_000);

describe("npm run dev", () => {
  test("sign in, then Overview → Issues → Events → Sessions → Settings without a page error", async () => {
    // Something on each page: an event and an error through the public ingest, as an SDK sends them.
    for (const [kind, body] of [
      ["event", { name: "dev_mode_visit", app: "web" }],
      ["error", { message: "dev mode boom", type: "TypeError", app: "web" }],
    ] as const) {
      const response = await fetch(`${demo.workerUrl}/ingest/${kind}`, {
        method: "POST",
        headers: { authorization: `Bearer ${demo.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(202);
    }

    try {
      // The first load under vite dev compiles and pre-bundles on demand: generous timeouts.
      await page.goto("/login", { timeout: 120_000 });
      await hydrated(page);
      await page.fill("input[name=email]", demo.email);
      await page.fill("input[name=password]", demo.password);
      await page.click("button[type=submit]");
      await page.waitForURL(`**/projects/${demo.projectId}`, { timeout: 120_000 });
      await page.waitForSelector("h1:has-text('Overview')", { timeout: 120_000 });

      for (const section of ["Issues", "Events", "Sessions", "Settings"]) {
        await page.click(`nav[aria-label=Main] a:has-text('${section}')`);
        await page.waitForURL(`**/projects/${demo.projectId}/${section.toLowerCase()}`, { timeout: 60_000 });
        await page.waitForSelector(`h1:has-text('${section}')`, { timeout: 60_000 });
      }
      // A page error can come from a module loaded late; let the last page settle first.
      await page.waitForLoadState("networkidle");
    } catch (error) {
      await screenshot(page, "FAILED-dev-mode").catch(() => {});
      throw new Error(`${(error as Error).message}\npage errors: ${pageErrors.join("\n") || "none"}`);
    }
    expect(pageErrors).toEqual([]);
  });
});
