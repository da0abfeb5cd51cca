import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, test } from "vitest";
import { freePort } from "../../db/local/stack.ts";
import { startWebhookReceiver } from "../../worker/test/setup/webhook-receiver.ts";
import { eventually, hydrated, ingest, openTestPage, screenshot, signIn } from "./helpers.ts";

/**
 * The Alerts page in Chromium against the production build, a real Worker and Postgres: rules with
 * toggles, the rule editor, a webhook destination whose "Send test" reaches a receiver on loopback
 * (worker/test/setup/webhook-receiver.ts, standing in for a customer's endpoint) signed with the
 * secret the page showed once, an email destination made, edited, tested and deleted, and an error
 * sent through ingest showing up as a fired alert.
 */
const env = inject("env");
const run = Date.now().toString(36);
const hookName = `dash-${run}`;
const mailName = `mail-${run}`;
const ui = openTestPage("alerts", env);

let receiver: { close: () => Promise<void> };
let receiverUrl = "";

beforeAll(async () => {
  const port = await freePort();
  receiver = await startWebhookReceiver({ port });
  receiverUrl = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await receiver?.close();
});

const alertsPath = () => `/projects/${env.demo.projectId}/alerts`;

describe("alerts page", () => {
  test("built-in rules are listed and can be switched off", async () => {
    const { page } = ui;
    await signIn(page, env.demo);
    await page.goto(alertsPath());
    await hydrated(page);
    await page.waitForSelector("[data-testid=rule-row]");
    const kinds = await page.$$eval("[data-testid=rule-row]", (rows) =>
      rows.map((row) => row.getAttribute("data-rule-kind")),
    );
    expect(kinds.slice(0, 5)).toEqual(["new_issue", "regression", "error_spike", "quota_near", "quota_exceeded"]);
    const spikeToggle = "[data-rule-kind=error_spike] input[type=checkbox]";
    expect(await page.isChecked(spikeToggle)).toBe(true);
    await page.click(spikeToggle);
    await eventually(async () => {
      await page.reload();
      await hydrated(page);
      await page.waitForSelector(spikeToggle);
      return !(await page.isChecked(spikeToggle));
    }, 10_000);
    await page.click(spikeToggle); // back on, for whoever uses the demo project next
  });

  test("the rule editor creates a custom rule; a bad one shows the API's message", async () => {
    const { page } = ui;
    await page.fill("[data-testid=rule-editor] input[name=name]", `Checkout ${run}`);
    await page.fill("[data-testid=rule-editor] input[name=messageContains]", "checkout");
    await page.fill("[data-testid=rule-editor] input[name=environment]", "production");
    await page.click("[data-testid=rule-editor] button[type=submit]");
    await page.waitForSelector(`[data-testid=rule-row][data-rule-name="Checkout ${run}"]`);
    expect(await page.textContent(`[data-rule-name="Checkout ${run}"]`)).toContain("messageContains = checkout");

    // Events cannot be filtered by an error type: the Worker's 400 is shown next to the form.
    await page.fill("[data-testid=rule-editor] input[name=name]", "Wrong");
    await page.selectOption("[data-testid=rule-editor] select[name=target]", "events");
    await page.fill("[data-testid=rule-editor] input[name=errorType]", "TypeError");
    await page.click("[data-testid=rule-editor] button[type=submit]");
    await page.waitForSelector("[role=alert]");
    expect(await page.textContent("[role=alert]")).toMatch(/invalid/i);
  });

  test("a webhook destination: secret shown once, send-test delivers a signed request", async () => {
    const { page } = ui;
    await page.fill("[data-testid=destination-form] input[name=name]", hookName);
    await page.fill("[data-testid=destination-form] input[name=url]", `${receiverUrl}/hook/${hookName}`);
    await page.click("[data-testid=destination-form] button[type=submit]");
    await page.waitForSelector("[data-testid=destination-secret]");
    const secret = ((await page.textContent("[data-testid=destination-secret]")) ?? "").trim();
    expect(secret).toMatch(/^whsec_[0-9a-f]{64}$/);

    const row = `[data-testid=destination-row][data-destination-name="${hookName}"]`;
    await page.waitForSelector(row);
    await page.click(`${row} button:has-text('Send test')`);
    await page.waitForSelector("[data-testid=test-result]");
    expect(await page.textContent("[data-testid=test-result]")).toContain(`Test delivered to ${hookName}`);

    const res = await fetch(`${receiverUrl}/__control/requests?name=${hookName}`);
    const { requests } = (await res.json()) as { requests: Array<{ body: string; headers: Record<string, string> }> };
    expect(requests).toHaveLength(1);
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(requests[0].headers["telemetry-signature"]) ?? [];
    expect(createHmac("sha256", secret).update(`${t}.${requests[0].body}`).digest("hex")).toBe(v1);
    expect(JSON.parse(requests[0].body).kind).toBe("test");
    await page.waitForSelector("[data-testid=delivery-row][data-delivery-status=delivered]");
  });

  test("an email destination: members chosen, the Worker's field errors shown, edited, tested, deleted", async () => {
    const { page } = ui;
    const section = "[data-testid=email-destination]";
    const row = (name: string) => `[data-testid=destination-row][data-destination-name="${name}"]`;

    // No recipient chosen: the Worker's 400 is shown with the field it names.
    await page.fill(`${section} input[name=name]`, mailName);
    await page.click(`${section} button[type=submit]`);
    await page.waitForSelector(`${section} [role=alert]`);
    expect(await page.textContent(`${section} [role=alert]`)).toContain("userIds");

    await page.check(`${section} label.choice:has-text("${env.demo.email}") input`);
    await page.click(`${section} button[type=submit]`);
    await page.waitForSelector(row(mailName));
    expect(await page.textContent(row(mailName))).toContain("email");
    expect(await page.textContent(row(mailName))).toContain(env.demo.email);
    expect(await page.$(`${section} [role=alert]`)).toBeNull();

    // Edit: a recipient list left empty is refused the same way; a new name is saved.
    await page.click(`${row(mailName)} button:has-text('Edit')`);
    const editor = "[data-testid=destination-editor]";
    await page.waitForSelector(editor);
    expect(await page.isChecked(`${editor} label.choice:has-text("${env.demo.email}") input`)).toBe(true);
    await page.uncheck(`${editor} label.choice:has-text("${env.demo.email}") input`);
    await page.click(`${editor} button[type=submit]`);
    await page.waitForSelector(`${editor} [role=alert]`);
    expect(await page.textContent(`${editor} [role=alert]`)).toContain("userIds");
    const renamed = `${mailName}-team`;
    await page.check(`${editor} label.choice:has-text("${env.demo.email}") input`);
    await page.fill(`${editor} input[name=name]`, renamed);
    await page.click(`${editor} button[type=submit]`);
    await page.waitForSelector(row(renamed));
    expect(await page.$(editor)).toBeNull();

    // Send test: this stack's Worker runs outside production, where the mailer logs instead of calling
    // a mail API, so the proof is the delivery it logged (worker/test/alerts covers the fake mail API).
    await page.click(`${row(renamed)} button:has-text('Send test')`);
    await page.waitForSelector(`[data-testid=test-result]:has-text("Test delivered to ${renamed}")`);
    await page.waitForSelector(
      `[data-testid=delivery-row][data-destination-name="${renamed}"][data-delivery-status=delivered]`,
    );

    page.once("dialog", (dialog) => void dialog.accept());
    await page.click(`${row(renamed)} button:has-text('Delete')`);
    await page.waitForSelector(row(renamed), { state: "detached" });
  });

  test("an error sent through ingest shows up as a fired alert with its delivery queued", async () => {
    const { page } = ui;
    const sent = await ingest(env, "error", env.demo.apiKey, {
      app: "web",
      type: "AlertPageError",
      message: `alerts page ${run}`,
    });
    expect(sent.status).toBe(202);
    await eventually(async () => {
      await page.goto(alertsPath());
      await hydrated(page);
      return ((await page.textContent("main")) ?? "").includes(`New issue: AlertPageError: alerts page ${run}`);
    }, 30_000);
    expect(await page.$$("[data-testid=alert-row][data-alert-kind=new_issue]")).not.toHaveLength(0);
    await screenshot(page, "alerts");
  });
});
