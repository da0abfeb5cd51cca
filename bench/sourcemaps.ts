// Where to symbolicate: at flush (parsed maps cached per isolate) or at read (results cached in KV)?
// Measures both on a ~2 MB map and 30-frame stacks with the Worker's own symbolication code, and
// local R2/KV (wrangler's platform proxy) for the I/O. Usage: node --expose-gc bench/sourcemaps.ts
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import vm from "node:vm";
import { originalPositionFor } from "@jridgewell/trace-mapping";
import { build } from "esbuild";
import { getPlatformProxy } from "wrangler";
import { parseStack } from "../worker/src/ingest/fingerprint.ts";
import { parseLoadedMap } from "../worker/src/sourcemaps/map-cache.ts";
import { type LoadedMap, symbolicateFrames } from "../worker/src/sourcemaps/symbolicate.ts";

const DEPTH = 30;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const TARGET_MAP_BYTES = 2 * 1024 * 1024;

/** A synthetic app: filler modules until the map is ~2 MB, and a 30-deep call chain that throws. */
async function buildApp(dir: string, fillerModules: number) {
  await mkdir(join(dir, "src"), { recursive: true });
  const imports: string[] = [];
  for (let m = 0; m < fillerModules; m++) {
    const fns = Array.from(
      { length: 20 },
      (_, f) => `export function filler${m}_${f}(input: number[]): number {
  let total = ${m + f};
  for (const value of input) {
    total += value * ${f + 1} - Math.floor(value / ${m + 2});
  }
  return total > 1000 ? total % 997 : total;
}`,
    );
    await writeFile(join(dir, "src", `filler${m}.ts`), fns.join("\n\n"));
    imports.push(`import * as filler${m} from "./filler${m}.ts";`);
  }
  const chain = Array.from({ length: DEPTH }, (_, i) =>
    i === DEPTH - 1
      ? `export function level${i}(n: number): number {\n  if (n >= 0) throw new Error("deep " + n);\n  return n;\n}`
      : `export function level${i}(n: number): number {\n  const next = n + ${i};\n  return level${i + 1}(next) + 1;\n}`,
  );
  await writeFile(join(dir, "src", "chain.ts"), chain.join("\n\n"));
  await writeFile(
    join(dir, "src", "main.ts"),
    `${imports.join("\n")}\nimport { level0 } from "./chain.ts";\n(globalThis as any).keep = [${imports.map((_, m) => `filler${m}`).join(", ")}];\n(globalThis as any).run = () => level0(1);\n`,
  );
  const result = await build({
    entryPoints: [join(dir, "src", "main.ts")],
    bundle: true,
    minify: true,
    sourcemap: "external",
    sourcesContent: true,
    outfile: join(dir, "dist", "main.js"),
    write: false,
    logLevel: "silent",
  });
  const code = result.outputFiles.find((f) => f.path.endsWith(".js"))?.text ?? "";
  const map = result.outputFiles.find((f) => f.path.endsWith(".map"))?.text ?? "";
  return { code, map };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ms = (value: number) => `${value.toFixed(3)} ms`;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), "tt-bench-maps-"));
  let modules = 60;
  let app = await buildApp(dir, modules);
  // Grow the filler until the map is about 2 MB.
  while (app.map.length < TARGET_MAP_BYTES * 0.95 || app.map.length > TARGET_MAP_BYTES * 1.1) {
    modules = Math.max(1, Math.round((modules * TARGET_MAP_BYTES) / app.map.length));
    app = await buildApp(dir, modules);
  }
  const url = "https://app.example/assets/main.js";
  Error.stackTraceLimit = 50;
  const context = vm.createContext({ Math });
  vm.runInContext("Error.stackTraceLimit = 50", context);
  new vm.Script(app.code, { filename: url }).runInContext(context);
  let stack = "";
  try {
    vm.runInContext("run()", context);
  } catch (error) {
    stack = (error as Error).stack ?? "";
  }
  const frames = parseStack(stack, 100)
    .filter((frame) => frame.file === url)
    .slice(0, DEPTH);
  if (frames.length !== DEPTH) throw new Error(`expected ${DEPTH} frames, got ${frames.length}`);

  // The Worker's own bindings (wrangler.toml), local and in memory: R2 ARTIFACTS and the KV namespace.
  const platform = await getPlatformProxy<{ ARTIFACTS: R2Bucket; KEYS: KVNamespace }>({
    configPath: "wrangler.toml",
    persist: false,
  });
  const r2 = platform.env.ARTIFACTS;
  const kv = platform.env.KEYS;
  await r2.put("map", app.map);

  const sample = {
    r2Get: [] as number[],
    parse: [] as number[],
    decode: [] as number[],
    firstLookup: [] as number[],
    warm: [] as number[],
  };
  const readTime = { kvHit: [] as number[], kvMissExtra: [] as number[] };
  let heapPerMap = 0;
  let resultBytes = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let t = performance.now();
    const text = await (await r2.get("map"))?.text();
    sample.r2Get.push(performance.now() - t);
    globalThis.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    t = performance.now();
    const loaded: LoadedMap = parseLoadedMap(text as string);
    sample.parse.push(performance.now() - t);
    t = performance.now();
    // The first lookup decodes every mapping (trace-mapping decodes lazily).
    originalPositionFor(loaded.map, { line: frames[0].line ?? 1, column: (frames[0].column ?? 1) - 1 });
    sample.decode.push(performance.now() - t);
    t = performance.now();
    const first = symbolicateFrames(frames, () => loaded);
    sample.firstLookup.push(performance.now() - t);
    globalThis.gc?.();
    heapPerMap = Math.max(heapPerMap, process.memoryUsage().heapUsed - heapBefore);
    if (first.filter((f) => f.symbolicated).length !== DEPTH) throw new Error("not every frame resolved");
    t = performance.now();
    symbolicateFrames(frames, () => loaded);
    sample.warm.push(performance.now() - t);

    // Read time: a view finds the symbolicated frames in KV (hit), or computes and stores them (miss).
    const json = JSON.stringify(first);
    resultBytes = json.length;
    t = performance.now();
    await kv.put(`frames:${round}`, json);
    readTime.kvMissExtra.push(performance.now() - t);
    t = performance.now();
    JSON.parse((await kv.get(`frames:${round}`)) as string);
    readTime.kvHit.push(performance.now() - t);
  }
  await platform.dispose();
  await rm(dir, { recursive: true, force: true });

  const cold = median(sample.r2Get) + median(sample.parse) + median(sample.decode) + median(sample.firstLookup);
  const results = {
    mapBytes: app.map.length,
    frames: DEPTH,
    rounds: ROUNDS,
    medians: {
      r2GetLocal: median(sample.r2Get),
      parseTraceMap: median(sample.parse),
      decodeMappings: median(sample.decode),
      firstSymbolication30Frames: median(sample.firstLookup),
      warmSymbolication30Frames: median(sample.warm),
      kvGetHitLocal: median(readTime.kvHit),
      kvPutLocal: median(readTime.kvMissExtra),
    },
    heapPerParsedMapBytes: heapPerMap,
    symbolicatedFramesJsonBytes: resultBytes,
  };
  console.log(`Source map symbolication: ${(app.map.length / 1024 / 1024).toFixed(2)} MB map, ${DEPTH}-frame stack, ${ROUNDS} rounds (medians)
  map read from R2 (local)               ${ms(results.medians.r2GetLocal)}
  parse (TraceMap)                       ${ms(results.medians.parseTraceMap)}
  decode mappings (first lookup)         ${ms(results.medians.decodeMappings)}
  first 30 frames (context, names)       ${ms(results.medians.firstSymbolication30Frames)}
  warm 30 frames (map cached)            ${ms(results.medians.warmSymbolication30Frames)}
  → flush time: first error of a release ${ms(cold)}, then ${ms(results.medians.warmSymbolication30Frames)} per error
  → read time:  KV hit ${ms(results.medians.kvGetHitLocal)} per view; a miss costs the same ${ms(cold)} plus a KV put ${ms(results.medians.kvPutLocal)}
  memory held per parsed 2 MB map        ${(heapPerMap / 1024 / 1024).toFixed(1)} MB (heap delta)
  symbolicated frames as JSON            ${(resultBytes / 1024).toFixed(1)} KB`);
  await mkdir("bench/results", { recursive: true });
  const file = `bench/results/sourcemaps-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
  await writeFile(file, JSON.stringify(results, null, 2));
  console.log(`wrote ${file}`);
}

await main();
