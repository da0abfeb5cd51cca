import { defineConfig } from "vitest/config";

// Node-side tests that drive the real Worker under `wrangler dev` (db/local/stack.ts) with other
// programs' clients: the official Sentry SDKs in a Node process and in Chromium.
export default defineConfig({
  test: {
    include: ["e2e/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
