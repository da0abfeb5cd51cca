import { defineConfig } from "vitest/config";

// The integration test starts the real stack (Postgres, migrations, wrangler dev): ~10 s on a busy machine.
export default defineConfig({ test: { environment: "node", testTimeout: 120_000, hookTimeout: 120_000 } });
