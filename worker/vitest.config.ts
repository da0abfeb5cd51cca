import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { testDatabaseSettings } from "./test/setup/settings.ts";

// The database the tests use is chosen here (the config is evaluated before the workers start, and
// bindings are fixed then); test/setup/global-setup.ts creates it, migrates it and starts the proxy.
const database = testDatabaseSettings();

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
