import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import vm from "node:vm";
import { build } from "esbuild";
import type { FixtureBuild } from "../fixtures/sourcemap-app/build.ts";

const APP_DIR = fileURLToPath(new URL("../fixtures/sourcemap-app/", import.meta.url));

/**
 * Bundles the fixture app for real (esbuild, minified, external source map with sourcesContent) and
 * runs the bundle in a V8 context named after its deployed URL, so the stack trace is exactly what a
 * browser SDK would send. Runs in Node (global setup); the tests in workerd get the result.
 */
export async function buildFixtureApp(entry: "release-1" | "release-2", release: string): Promise<FixtureBuild> {
  const result = await build({
    entryPoints: [`${APP_DIR}${entry}/main.ts`],
    bundle: true,
    minify: true,
    sourcemap: "external",
    sourcesContent: true,
    format: "iife",
    target: "es2022",
    // As a real build lays it out (nothing is written): the map's sources are then `../main.ts` and
    // `../../cart.ts`, the same for both releases, as two builds of one repository would have.
    outfile: `${APP_DIR}${entry}/dist/main.js`,
    // Release 2 also carries a build banner, so every column of the minified line moves.
    banner: entry === "release-2" ? { js: `var __RELEASE__=${JSON.stringify(release)};` } : undefined,
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles.find((file) => file.path.endsWith(".js"))?.text ?? "";
  const map = result.outputFiles.find((file) => file.path.endsWith(".js.map"))?.text ?? "";
  const hash = createHash("sha256").update(code).digest("hex").slice(0, 8);
  const bundleName = `main.${hash}.js`;
  const bundleUrl = `https://shop.example/assets/${bundleName}`;
  const context = vm.createContext({});
  new vm.Script(code, { filename: bundleUrl }).runInContext(context);
  try {
    vm.runInContext("checkout()", context);
  } catch (error) {
    const { stack = "", message, name } = error as Error;
    // What a browser would report: the message and the app's own frames, not Node's vm internals.
    const frames = stack.split("\n").filter((line) => /^\s+at /.test(line) && line.includes(bundleUrl));
    return { release, bundleName, bundleUrl, code, map, stack: [`${name}: ${message}`, ...frames].join("\n"), message };
  }
  throw new Error("the fixture app did not throw");
}
