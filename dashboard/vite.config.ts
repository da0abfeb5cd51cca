import { solidStart } from "@solidjs/start/config";
import { nitro } from "nitro/vite";
import { defineConfig } from "vite";

// Pinned at or before what the local workerd accepts (see TOOLCHAIN.md); nitro defaults to today.
const COMPATIBILITY_DATE = "2026-11-09";

export default defineConfig({
  plugins: [
    solidStart(),
    nitro({
      preset: "cloudflare_pages",
      compatibilityDate: COMPATIBILITY_DATE,
      // `vite dev` runs the server side in Node (API_URL from the environment). Nitro's Cloudflare
      // emulation (miniflare) failed requests here; the production bundle is tested in workerd by
      // `wrangler pages dev` instead.
      devServer: { runner: "node-worker" },
    }),
  ],
});
