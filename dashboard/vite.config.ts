import { basename } from "node:path";
import { solidStart } from "@solidjs/start/config";
import { nitro } from "nitro/vite";
import { defineConfig } from "vite";

// Pinned at or before what the local workerd accepts (see TOOLCHAIN.md); nitro defaults to today.
const COMPATIBILITY_DATE = "2026-11-09";

export default defineConfig({
  // With a scratch TT_DATA_DIR (db/local/data-dir.ts; the dev-mode test) the dependency pre-bundles
  // start from nothing too, as on a fresh clone. They stay under node_modules: vite-plugin-solid
  // would add hot-reload code to a pre-bundled solid-js kept anywhere else.
  cacheDir: process.env.TT_DATA_DIR ? `node_modules/.vite-${basename(process.env.TT_DATA_DIR)}` : undefined,
  optimizeDeps: {
    // Under `vite dev` SolidStart's error overlay (dev-toolbar/error-viewer) imports
    // @jridgewell/trace-mapping in the browser. @solidjs/start itself is kept out of pre-bundling
    // (vite-plugin-solid excludes Solid packages), so that import would be served raw, and its own
    // import of @jridgewell/resolve-uri resolves, by that package's "browser" condition, to a UMD file
    // with no ES exports: "does not provide an export named 'default'" on the first page. Pre-bundling
    // it (the "parent > dependency" form reaches a dependency of an excluded package) converts the UMD.
    include: ["@solidjs/start > @jridgewell/trace-mapping"],
  },
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
