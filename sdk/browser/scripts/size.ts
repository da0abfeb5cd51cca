// The size budget of issue 6: core + browser, every export of the browser entry, minified and
// gzipped, must stay ≤ 6 KB. Prints the exact byte count; exits non-zero over budget.
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const BUDGET = 6 * 1024;

const result = await build({
  entryPoints: [new URL("../src/index.ts", import.meta.url).pathname],
  bundle: true,
  minify: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  write: false,
  logLevel: "error",
});
const code = result.outputFiles[0].contents;
const gzip = gzipSync(code, { level: 9 }).length;
const verdict = gzip <= BUDGET ? "within" : "OVER";
console.log(
  `@telemetry-tracker/browser (core + browser): ${code.length} B minified, ${gzip} B gzip — ${verdict} the ${BUDGET} B budget`,
);
if (gzip > BUDGET) process.exit(1);
