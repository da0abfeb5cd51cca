import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Where `npm run dev` keeps what outlives a run: the embedded Postgres cluster (`postgres/`), the
 * Worker's local KV and Durable Object state (`wrangler/`) and the demo credentials (`demo.json`).
 * `.data/` in the checkout; `TT_DATA_DIR` moves it (the dev-mode browser test runs in a scratch one).
 */
export const DATA_DIR = resolve(process.env.TT_DATA_DIR ?? fileURLToPath(new URL("../../.data", import.meta.url)));
