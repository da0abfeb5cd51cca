// Builds the package in the current directory for publishing: ESM bundles per entry with esbuild
// (dependencies stay external) and .d.ts files from tsc. Usage: node ../build.ts [entries...]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync("package.json", "utf8"));
const entries = process.argv.slice(2).length ? process.argv.slice(2) : ["src/index.ts"];
const external = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });

rmSync("dist", { recursive: true, force: true });
await build({
  entryPoints: entries,
  outdir: "dist",
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  jsx: "automatic",
  external: [...external, ...external.map((d) => `${d}/*`), "node:*"],
  sourcemap: true,
  logLevel: "warning",
});

const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
// Ambient declarations a package keeps for peers it does not install (react-native).
const ambient = existsSync("types") ? readdirSync("types").map((f) => join("types", f)) : [];
execFileSync(
  process.execPath,
  [
    tsc,
    ...entries,
    ...ambient,
    "--declaration",
    "--emitDeclarationOnly",
    "--outDir",
    "dist",
    "--rootDir",
    "src",
    "--target",
    "es2022",
    "--module",
    "esnext",
    "--moduleResolution",
    "bundler",
    "--allowImportingTsExtensions",
    "--skipLibCheck",
    "--strict",
    "--jsx",
    "react-jsx",
    "--lib",
    "es2023,dom,dom.iterable",
    "--types",
    "node",
  ],
  { stdio: "inherit" },
);

// Declarations keep the source's `.ts` specifiers; published files are `.js`.
const fix = (dir: string): void => {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) fix(p);
    else if (p.endsWith(".d.ts"))
      writeFileSync(p, readFileSync(p, "utf8").replace(/(from\s+["']\.{1,2}\/[^"']+)\.tsx?(["'])/g, "$1.js$2"));
  }
};
fix("dist");
console.log(`${pkg.name}: built ${entries.join(", ")} → dist/`);
