import { describe, expect, inject, test } from "vitest";
import { eventually, hydrated, ingest, openTestPage, screenshot, signIn } from "./helpers.ts";

/**
 * The Performance page in Chromium against the production build, a real Worker and Postgres: Web
 * Vitals and requests sent through /ingest/batch (with ids in their paths, as a careless client would
 * send them) show up as rated vitals cards, the chart, and the slow pages and slow routes tables.
 */
const env = inject("env");
const projectId = env.demo.projectId;
const ui = openTestPage("performance", env);

const vital = (name: string, value: number, route: string) => ({
  name: "$web_vital",
  app: "web",
  properties: { name, value, route },
});
const request = (path: string, status: number, duration: number) => ({
  name: "$request",
  app: "api",
  properties: { method: "GET", path, status, duration_ms: duration },
});

describe("performance page", () => {
  test("vitals cards with ratings, a chart, slow pages and slow routes from ingested data", async () => {
    const { page } = ui;
    const res = await ingest(env, "batch", env.demo.apiKey, {
      events: [
        // LCP p75 of 1000, 3000 and 5000 ms is 5000 ms: poor (above 4 s).
        vital("LCP", 1000, "/shop/123?ref=ad"),
        vital("LCP", 3000, "/shop/456"),
        vital("LCP", 5000, "/shop/789"),
        vital("INP", 90, "/checkout"),
        request("/api/items/7", 200, 40),
        request("/api/items/8", 503, 60),
      ],
    });
    expect(res.status).toBe(202);

    await signIn(page, env.demo);
    await hydrated(page);
    await page.click("nav a:has-text('Performance')");
    await page.waitForURL(/\/performance/);

    // The meter flushes within a second or so: reload until the rows are there.
    await eventually(async () => {
      await page.goto(`/projects/${projectId}/performance?range=24h`);
      await hydrated(page);
      return (await page.$("[data-testid=page-row][data-page='/shop/:id']")) !== null;
    });
    expect(await page.getAttribute("[data-testid=vital-LCP] .value", "data-rating")).toBe("poor");
    expect(await page.textContent("[data-testid=vital-LCP]")).toContain("poor 33%");
    expect(await page.getAttribute("[data-testid=vital-INP] .value", "data-rating")).toBe("good");
    expect(await page.textContent("[data-testid=vital-CLS]")).toContain("no samples");
    expect(await page.textContent("[data-testid=requests-card]")).toContain("50% failed (5xx)");
    await page.waitForSelector(".chart canvas");
    expect(await page.$$eval("[data-testid=page-row]", (rows) => rows.map((r) => r.getAttribute("data-page")))).toEqual(
      ["/shop/:id"],
    );
    expect(
      await page.$$eval("[data-testid=route-row]", (rows) => rows.map((r) => r.getAttribute("data-route"))),
    ).toEqual(["GET /api/items/:id"]);
    expect(await page.textContent("[data-testid=route-row]")).toContain("50%");
    await screenshot(page, "performance");

    // Sorting pages by another vital.
    await page.selectOption("select[aria-label=Vital]", "INP");
    await page.waitForSelector("[data-testid=page-row][data-page='/checkout']");
    expect(await page.$$("[data-testid=page-row][data-page='/shop/:id']")).toHaveLength(0);
    expect(page.url()).toContain("vital=INP");

    expect(ui.pageErrors).toEqual([]);
  });
});
