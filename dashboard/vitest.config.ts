import { defineConfig } from "vitest/config";

// Browser tests: Node drives the machine's Chromium against the production build served by
// `wrangler pages dev`, next to a real Worker and Postgres (test/global-setup.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
