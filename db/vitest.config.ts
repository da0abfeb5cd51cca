import { defineConfig } from "vitest/config";

// Node-side tests of the database tooling (migrations, seed); the schema's rules are tested from
// inside workerd in worker/test/schema.test.ts.
export default defineConfig({
  test: { include: ["test/**/*.test.ts"], testTimeout: 60_000, hookTimeout: 60_000 },
});
