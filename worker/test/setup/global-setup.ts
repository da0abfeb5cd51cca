import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../../../db/local/migrate.ts";
import { createScratchDatabase } from "../../../db/local/scratch-database.ts";
import { startWsProxy } from "../../../db/local/ws-proxy.ts";
import { startFakeStripe } from "./fake-stripe.ts";
import { testDatabaseSettings, testReceiverSettings, testStripeSettings } from "./settings.ts";
import { buildFixtureApp } from "./sourcemap-app.ts";
import { startWebhookReceiver } from "./webhook-receiver.ts";

/**
 * Runs in Node before the workerd pool: a fresh, migrated database, the proxy to reach it, and the
 * fake Stripe API, and the loopback webhook/mail receiver of the alert tests.
 */
export default async function setup(project: TestProject) {
  const settings = testDatabaseSettings();
  const database = await createScratchDatabase({
    adminUrl: settings.adminUrl,
    name: settings.adminUrl ? new URL(settings.url).pathname.slice(1) : undefined,
    embeddedPort: settings.embeddedPort,
  });
  const cleanups: Array<() => Promise<void>> = [database.dispose];
  const teardown = async () => {
    for (const cleanup of cleanups) await cleanup().catch((error) => console.error("teardown:", error));
  };
  try {
    await migrateDatabase(database.url);
    const proxy = await startWsProxy({ port: settings.proxyPort });
    cleanups.unshift(proxy.close);
    const stripe = await startFakeStripe({ port: testStripeSettings().port });
    cleanups.unshift(stripe.close);
    project.provide("sourcemapApp", [
      await buildFixtureApp("release-1", "1.0.0"),
      await buildFixtureApp("release-2", "1.0.1"),
    ]);
    const receiver = await startWebhookReceiver({ port: testReceiverSettings().port });
    cleanups.unshift(receiver.close);
  } catch (error) {
    await teardown();
    throw error;
  }
  return teardown;
}
