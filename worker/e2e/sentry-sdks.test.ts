import { spawn } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { build } from "esbuild";
import pg from "pg";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LocalStack, startLocalStack } from "../../db/local/stack.ts";
import { CHROMIUM_FLAGS, ensureChromium } from "../../tools/chromium.ts";

/**
 * The official Sentry SDKs, unmodified, sending to the real Worker (`wrangler dev`, the local
 * stack with a scratch Postgres): a Node process with @sentry/node and a page in Chromium with
 * @sentry/browser. Only their DSN points at us. A pass-through proxy in front of the Worker records
 * what the SDKs send (it forwards every byte unchanged), so the tests can see gzip on the wire.
 */

let stack: LocalStack;
let db: pg.Client;
let proxy: {
  url: string;
  seen: Array<{ path: string; encoding: string | undefined; status: number }>;
  close: () => Promise<void>;
};
let numericId: number;
let publicId: string;

/** Forwards to the Worker as is; remembers path, Content-Encoding and the Worker's status. */
async function startRecordingProxy(target: string) {
  const seen: Array<{ path: string; encoding: string | undefined; status: number }> = [];
  const server: Server = createServer((req, res) => {
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      seen.push({ path: req.url ?? "", encoding: req.headers["content-encoding"], status: answer.statusCode ?? 0 });
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

const rows = async (table: string) =>
  (await db.query(`select * from ${table} where project_id = $1`, [stack.demo.projectId])).rows;

/** Signs in as the demo owner and reads the project's issues through /api, as the dashboard does. */
async function issuesFromApi(): Promise<string> {
  const origin = "http://localhost:3000";
  const login = await fetch(`${stack.workerUrl}/api/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin },
    body: JSON.stringify({ email: stack.demo.email, password: stack.demo.password }),
  });
  expect(login.status).toBe(200);
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0];
  const res = await fetch(`${stack.workerUrl}/api/projects/${stack.demo.projectId}/issues?range=24h`, {
    headers: { cookie, origin },
  });
  expect(res.status).toBe(200);
  return res.text();
}

beforeAll(async () => {
  stack = await startLocalStack({
    mode: "scratch",
    databaseUrl: process.env.DATABASE_URL,
    vars: { FLUSH_DELAY_MS: "50" },
  });
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  const project = await db.query<{ numeric_id: number }>("select numeric_id from projects where id = $1", [
    stack.demo.projectId,
  ]);
  numericId = project.rows[0].numeric_id;
  publicId = stack.demo.apiKey.split("_")[2];
  proxy = await startRecordingProxy(stack.workerUrl);
}, 180_000);

afterAll(async () => {
  await proxy?.close();
  await db?.end().catch(() => {});
  await stack?.stop();
});

describe("@sentry/node in a Node process", () => {
  it("an exception, a message, a session, a span and a gzip-compressed event land in Postgres and /api", async () => {
    const dsn = `${proxy.url.replace("http://", `http://${publicId}@`)}/${numericId}`;
    const child = spawn(process.execPath, [new URL("./fixtures/node-app.mjs", import.meta.url).pathname], {
      env: { ...process.env, SENTRY_DSN: dsn },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk) => (output += chunk));
    child.stderr.on("data", (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    expect(code, output).toBe(0);

    const envelopeRequests = proxy.seen.filter((r) => r.path.startsWith(`/api/${numericId}/envelope/`));
    expect(envelopeRequests.length).toBeGreaterThanOrEqual(4);
    expect(
      envelopeRequests.every((r) => r.status === 200),
      JSON.stringify(envelopeRequests),
    ).toBe(true);
    expect(envelopeRequests.some((r) => r.encoding === "gzip")).toBe(true);

    const errors = await until(
      () => rows("error_occurrences"),
      (found) => found.length >= 3,
    );
    const byMessage = (message: string) => errors.find((row) => row.message === message);
    expect(byMessage("node e2e boom")).toMatchObject({
      type: "TypeError",
      app: "sentry",
      release: "e2e-node@1.0.0",
      environment: "e2e",
      platform: "node",
      sdk_name: "sentry.javascript.node",
    });
    expect(byMessage("node e2e message")).toMatchObject({ level: "warning" });
    expect(byMessage("node e2e large")?.context.extra.blob.length).toBeGreaterThan(0);

    const sessions = await until(
      () => rows("sessions"),
      (found) => found.some((row) => row.ended_at !== null && row.release === "e2e-node@1.0.0"),
    );
    expect(sessions.some((row) => row.ended_at !== null && row.release === "e2e-node@1.0.0")).toBe(true);

    const transactions = await until(
      () => rows("events"),
      (found) => found.some((row) => row.name === "$transaction"),
    );
    const checkout = transactions.find((row) => row.properties.transaction === "e2e-checkout");
    expect(checkout?.properties.duration_ms).toBeTypeOf("number");

    const issues = await issuesFromApi();
    expect(issues).toContain("node e2e boom");
  });
});

describe("@sentry/browser in Chromium", () => {
  it("an uncaught error on a page lands as an unhandled occurrence, and the page's session as errored", async () => {
    const bundle = await build({
      stdin: { contents: 'export * from "@sentry/browser";', resolveDir: new URL(".", import.meta.url).pathname },
      bundle: true,
      format: "iife",
      globalName: "Sentry",
      platform: "browser",
      write: false,
    });
    const dsn = `${stack.workerUrl.replace("http://", `http://${publicId}@`)}/${numericId}`;
    const page = `<!doctype html><title>shop</title><script src="/sentry.js"></script>
<script>
  Sentry.init({ dsn: ${JSON.stringify(dsn)}, release: "e2e-web@1.0.0", environment: "e2e" });
  setTimeout(() => { throw new Error("browser e2e boom"); }, 100);
</script><body>shop</body>`;
    const site = createServer((req, res) => {
      if (req.url === "/sentry.js") {
        res.writeHead(200, { "content-type": "text/javascript" });
        return res.end(bundle.outputFiles[0].text);
      }
      res.writeHead(200, { "content-type": "text/html" });
      res.end(page);
    });
    await new Promise<void>((resolve) => site.listen(0, "127.0.0.1", resolve));
    // Missing Chromium is an error (installed first where allowed), never a skip.
    const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_FLAGS });
    try {
      const tab = await browser.newPage();
      const answers: number[] = [];
      tab.on("response", (res) => {
        if (res.url().includes(`/api/${numericId}/envelope/`)) answers.push(res.status());
      });
      const pageErrors: string[] = [];
      tab.on("pageerror", (error) => pageErrors.push(error.message));
      await tab.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
      await until(
        async () => answers.length,
        (count) => count >= 2,
      );
      expect(pageErrors).toContain("browser e2e boom");
      expect(
        answers.every((status) => status === 200),
        answers.join(","),
      ).toBe(true);

      const errors = await until(
        () => rows("error_occurrences"),
        (found) => found.some((row) => row.message === "browser e2e boom"),
      );
      expect(errors.find((row) => row.message === "browser e2e boom")).toMatchObject({
        type: "Error",
        handled: false,
        release: "e2e-web@1.0.0",
        sdk_name: "sentry.javascript.browser",
      });
      const sessions = await until(
        () => rows("sessions"),
        (found) => found.some((row) => row.release === "e2e-web@1.0.0" && row.status === "errored"),
      );
      expect(sessions.some((row) => row.release === "e2e-web@1.0.0" && row.status === "errored")).toBe(true);
      expect(await issuesFromApi()).toContain("browser e2e boom");
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => site.close(() => resolve()));
    }
  });
});
