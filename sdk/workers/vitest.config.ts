import { defineConfig } from "vitest/config";

// The integration tests start the real stack (Postgres, migrations, wrangler dev): ~10 s on a busy machine.
export default defineConfig({ test: { environment: "node", testTimeout: 60_000, hookTimeout: 60_000 } });
