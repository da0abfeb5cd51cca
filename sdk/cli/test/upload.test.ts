import { execFile } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { build } from "esbuild";
import pg from "pg";
import { build as viteBuild } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { telemetryTrackerSourcemaps } from "../src/vite.ts";

// The real backend: scratch Postgres, migrations, seed, `wrangler dev` with local R2 (db/local/stack.ts).
const { startLocalStack } = (await import(new URL("../../../db/local/stack.ts", import.meta.url).href)) as {
  startLocalStack: (o: { mode: "scratch"; databaseUrl?: string; vars?: Record<string, string> }) => Promise<{
    workerUrl: string;
    databaseUrl: string;
    demo: { apiKey: string; projectId: string };
    stop: () => Promise<void>;
  }>;
};

const BIN = fileURLToPath(new URL("../bin/telemetry-tracker.js", import.meta.url));
// The same small app the Worker's tests bundle (cart.ts throws inside priceOf).
const APP = fileURLToPath(new URL("../../../worker/test/fixtures/sourcemap-app/", import.meta.url));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string | undefined>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

let stack: Awaited<ReturnType<typeof startLocalStack>>;
let db: pg.Client;
let work: string;
let uploadKey: string;
let bundleName: string;

beforeAll(async () => {
  stack = await startLocalStack({
    mode: "scratch",
    databaseUrl: process.env.DATABASE_URL,
    vars: { FLUSH_DELAY_MS: "50" },
  });
  db = new pg.Client({ connectionString: stack.databaseUrl });
  await db.connect();
  // An upload-only key, as a project's EDITOR would create it for CI.
  const publicId = randomBytes(8).toString("hex");
  const secret = randomBytes(24).toString("hex");
  await db.query(
    "insert into api_keys (project_id, public_id, secret_hash, name, scopes) values ($1, $2, $3, 'CI', '{sourcemap_upload}')",
    [stack.demo.projectId, publicId, createHash("sha256").update(secret).digest("hex")],
  );
  uploadKey = `tt_live_${publicId}_${secret}`;

  // A real production build: minified, content-hashed name, linked map with sourcesContent.
  // Laid out as a project is: src/ and the build's dist/ side by side (the map's sources: ../src/…).
  work = await mkdtemp(join(tmpdir(), "tt-cli-"));
  await cp(APP, join(work, "src"), { recursive: true });
  await build({
    entryPoints: { main: join(work, "src/release-1/main.ts") },
    bundle: true,
    minify: true,
    sourcemap: "linked",
    sourcesContent: true,
    format: "iife",
    entryNames: "[name].[hash]",
    outdir: join(work, "dist"),
    logLevel: "silent",
  });
  bundleName = (await readdir(join(work, "dist"))).find((f) => f.endsWith(".js")) as string;
});

afterAll(async () => {
  await db?.end();
  await stack?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const env = () => ({ TT_API_URL: stack.workerUrl, TT_PROJECT_ID: stack.demo.projectId, TT_API_KEY: uploadKey });
const UPLOAD = ["sourcemaps", "upload", "--release", "1.0.0", "--app", "shop", "--url-prefix", "~/assets"];

describe("telemetry-tracker sourcemaps upload", () => {
  it("uploads the build's maps, then an error of that build is stored with original frames", async () => {
    const first = await cli([...UPLOAD, join(work, "dist")], env());
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`~/assets/${bundleName}`);
    expect(first.stdout).toContain("1 of 1 source map(s) uploaded (1 new, 0 replaced), 0 failed");
    const again = await cli([...UPLOAD, join(work, "dist")], env());
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("(0 new, 1 replaced)");

    // The browser runs the bundle from its deployed URL and the SDK sends what it threw.
    const code = await readFile(join(work, "dist", bundleName), "utf8");
    const context = vm.createContext({});
    new vm.Script(code, { filename: `https://shop.example/assets/${bundleName}` }).runInContext(context);
    let stackTrace = "";
    try {
      vm.runInContext("checkout()", context);
    } catch (error) {
      stackTrace = (error as Error).stack ?? "";
    }
    const sent = await fetch(`${stack.workerUrl}/ingest/error`, {
      method: "POST",
      headers: { authorization: `Bearer ${stack.demo.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({
        app: "shop",
        release: "1.0.0",
        type: "RangeError",
        message: "negative price -1",
        stack: stackTrace,
      }),
    });
    expect(sent.status).toBe(202);

    let frames: Array<{ file: string; function: string; line: number; symbolicated?: boolean }> = [];
    for (let attempt = 0; attempt < 100 && frames.length === 0; attempt++) {
      const { rows } = await db.query("select frames from error_occurrences where project_id = $1", [
        stack.demo.projectId,
      ]);
      frames = rows[0]?.frames ?? [];
      if (frames.length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(frames[0]).toMatchObject({ file: "src/cart.ts", function: "priceOf", line: 17, symbolicated: true });
    expect(frames[1]).toMatchObject({ file: "src/cart.ts", function: "totalOf", line: 10 });
  });

  it("exits 1 when the server refuses a map (an ingest-only key), naming the reason", async () => {
    const run = await cli([...UPLOAD, join(work, "dist")], { ...env(), TT_API_KEY: stack.demo.apiKey });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("insufficient_scope");
    expect(run.stdout).toContain("1 failed");
  });

  it("exits 1 when a folder has no maps, 2 on a usage or configuration error", async () => {
    const empty = join(work, "empty");
    await mkdir(empty, { recursive: true });
    await writeFile(join(empty, "app.js"), "console.log(1)");
    const none = await cli([...UPLOAD, empty], env());
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("No *.js.map files");
    const noKey = await cli([...UPLOAD, join(work, "dist")], { ...env(), TT_API_KEY: undefined });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain("TT_API_KEY");
    const noRelease = await cli(["sourcemaps", "upload", "--app", "shop", join(work, "dist")], env());
    expect(noRelease.code).toBe(2);
    expect(noRelease.stderr).toContain("--release");
    expect((await cli(["deploy"], env())).code).toBe(2);
  });

  it("--dry-run lists the matches without uploading", async () => {
    const run = await cli([...UPLOAD, "--release", "9.9.9", "--dry-run", join(work, "dist")], env());
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`· ~/assets/${bundleName}`);
    expect(run.stdout).toContain("would be uploaded (dry run)");
    const { rows } = await db.query("select count(*)::int as n from source_map_artifacts where release = '9.9.9'");
    expect(rows[0].n).toBe(0);
  });

  it("the Vite plugin uploads the maps of a real `vite build` with their asset URLs", async () => {
    const root = join(work, "vite-app");
    await cp(join(work, "src"), join(root, "src"), { recursive: true });
    await writeFile(join(root, "index.html"), '<script type="module" src="/src/release-1/main.ts"></script>');
    await viteBuild({
      root,
      configFile: false,
      logLevel: "silent",
      build: { sourcemap: "hidden", outDir: "dist", emptyOutDir: true },
      plugins: [
        telemetryTrackerSourcemaps({
          app: "shop",
          release: "vite-1",
          apiUrl: stack.workerUrl,
          apiKey: uploadKey,
          projectId: stack.demo.projectId,
        }),
      ],
    });
    const assets = await readdir(join(root, "dist", "assets"));
    const bundle = assets.find((f) => f.endsWith(".js")) as string;
    const { rows } = await db.query("select bundle_url from source_map_artifacts where release = 'vite-1'");
    expect(rows.map((r) => r.bundle_url)).toEqual([`~/assets/${bundle}`]);
  });
});
