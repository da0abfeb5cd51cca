import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testDatabaseSettings, testReceiverSettings, testStripeSettings } from "./test/setup/settings.ts";

// The database the tests use is chosen here (the config is evaluated before the workers start, and
// bindings are fixed then); test/setup/global-setup.ts creates it, migrates it and starts the proxy.
const database = testDatabaseSettings();
const stripe = testStripeSettings();
const receiver = testReceiverSettings();

export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "../wrangler.toml" },
      miniflare: {
        bindings: {
          APP_ENV: "test",
          LOG_LEVEL: "warn",
          DATABASE_URL: database.url,
          DB_WS_PROXY: database.wsProxy,
          ALLOW_REGISTRATION: "false",
          DASHBOARD_ORIGINS: "http://localhost:3000",
          SESSION_SECRET: "test-session-secret-0123456789abcdef",
          // Tests run flushes on demand with runDurableObjectAlarm; a long delay keeps the
          // runtime's own alarms out of their way.
          FLUSH_DELAY_MS: "60000",
          // Billing against the fake Stripe API the global setup starts (test/setup/fake-stripe.ts).
          STRIPE_SECRET_KEY: "sk_test_fake_0123456789",
          STRIPE_WEBHOOK_SECRET: "whsec_test_fake_0123456789",
          STRIPE_PRICE_PRO: "price_test_pro",
          STRIPE_PRICE_BUSINESS: "price_test_business",
          STRIPE_API_BASE: stripe.apiBase,
          // The alert tests' loopback webhook and mail receiver (test/setup/webhook-receiver.ts).
          TEST_RECEIVER_BASE: receiver.base,
        },
      },
    }),
  ],
  test: {
    globalSetup: ["./test/setup/global-setup.ts"],
    include: ["test/**/*.test.ts"],
    // Files run one at a time: the Postgres-outage tests cut every connection through the proxy,
    // which would fail whatever another file was querying at that moment.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
