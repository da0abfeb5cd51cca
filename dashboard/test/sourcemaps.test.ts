import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { buildFixtureApp } from "../../worker/test/setup/sourcemap-app.ts";
import { eventually, hydrated, ingest, openTestPage, screenshot, signIn } from "./helpers.ts";

/**
 * Source maps in the dashboard: a key with the upload scope created on the keys page, a real esbuild
 * bundle's map uploaded with it, that bundle's V8 stack sent through /ingest/error, and the issue
 * page showing original frames with context, the raw toggle, and the note for a release without
 * maps; the settings page lists the maps per release.
 */
const env = inject("env");
const ui = openTestPage("sourcemaps", env);
let db: pg.Client;
const projectId = env.demo.projectId;
const run = Date.now().toString(36);

beforeAll(async () => {
  db = new pg.Client({ connectionString: env.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
});

async function groupIdOf(message: string): Promise<string> {
  let id = "";
  await eventually(async () => {
    const { rows } = await db.query("select id from error_groups where project_id = $1 and message = $2", [
      projectId,
      message,
    ]);
    id = rows[0]?.id ?? "";
    return id !== "";
  });
  return id;
}

describe("source maps in the dashboard", () => {
  test("upload key from the keys page, original frames with context, raw toggle, no-map note, maps per release", async () => {
    const { page } = ui;
    await signIn(page, env.demo);

    // A CI key: scope "Source map upload".
    await page.goto(`/projects/${projectId}/settings/keys`);
    await hydrated(page);
    await page.fill("input[name=name]", `CI ${run}`);
    await page.selectOption("select[name=scope]", "sourcemap_upload");
    await page.click("button:has-text('Create key')");
    await page.waitForSelector("[data-testid=new-api-key]");
    const uploadKey = ((await page.textContent("[data-testid=new-api-key]")) ?? "").trim();
    await page.waitForSelector(`[data-key-name="CI ${run}"]:has-text('source maps')`);

    const release = `1.0.${run}`;
    const build = await buildFixtureApp("release-1", release);
    const form = new FormData();
    form.set("app", "shop");
    form.set("release", release);
    form.set("bundle_url", `~/assets/${build.bundleName}`);
    form.set("map", new Blob([build.map], { type: "application/json" }), "main.js.map");
    const upload = await fetch(`${env.workerUrl}/api/projects/${projectId}/sourcemaps`, {
      method: "POST",
      headers: { authorization: `Bearer ${uploadKey}` },
      body: form,
    });
    expect(upload.status).toBe(201);

    const message = `negative price ${run}`;
    const stack = build.stack.replace(build.message, message);
    expect(
      (await ingest(env, "error", env.demo.apiKey, { app: "shop", release, type: "RangeError", message, stack }))
        .status,
    ).toBe(202);
    const unmapped = `unmapped ${run}`;
    const other = {
      app: "shop",
      release: `9.9.${run}`,
      type: "TypeError",
      message: unmapped,
      stack: build.stack.replace(build.message, unmapped),
    };
    expect((await ingest(env, "error", env.demo.apiKey, other)).status).toBe(202);

    await page.goto(`/projects/${projectId}/issues/${await groupIdOf(message)}`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=frame]");
    const frames = await page.locator("[data-testid=frame]").allTextContents();
    expect(frames[0]).toContain("priceOf  cart.ts:17");
    expect(frames[1]).toContain("totalOf  cart.ts:10");
    const context0 = await page.locator("[data-testid=source-context]").first().textContent();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the original source line, verbatim
    expect(context0).toContain("throw new RangeError(`negative price ${item.price}`);");
    expect(context0).toContain("if (item.price < 0) {");
    expect(await page.locator("[data-testid=source-context] li.current").first().textContent()).toContain(
      "throw new RangeError",
    );
    await screenshot(page, "sourcemaps-issue-original");

    await page.click("button:has-text('Raw (minified)')");
    await page.waitForSelector(`[data-testid=frame]:has-text('${build.bundleUrl}')`);
    expect(await page.locator("[data-testid=source-context]").count()).toBe(0);
    await page.click("button:has-text('Original')");
    await page.waitForSelector("[data-testid=source-context]");

    await page.goto(`/projects/${projectId}/issues/${await groupIdOf(unmapped)}`);
    await hydrated(page);
    await page.waitForSelector("[data-testid=no-source-map]");
    expect(await page.textContent("[data-testid=no-source-map]")).toContain(`9.9.${run}`);
    await page.click("[data-testid=no-source-map] a");
    await page.waitForURL(`**/projects/${projectId}/settings/sourcemaps`);
    await page.waitForSelector(`[data-testid=sourcemap-release][data-release="${release}"]`);
    expect(await page.textContent(`[data-testid=sourcemap-release][data-release="${release}"]`)).toContain(
      `~/assets/${build.bundleName}`,
    );
    expect(await page.textContent("[data-testid=upload-command]")).toContain(projectId);
    await screenshot(page, "sourcemaps-settings");
  });
});
