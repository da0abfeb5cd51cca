import { readdir, readFile } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";

/** A source map found in a build's output, and the bundle it belongs to. */
export interface FoundMap {
  /** Absolute path of the `.map` file. */
  mapPath: string;
  /** The bundle's path relative to the scanned folder, with `/` separators (`assets/main.3f9a.js`). */
  bundlePath: string;
}

async function walk(dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}

const SOURCE_MAPPING_URL = /\/\/[#@]\s*sourceMappingURL=([^\s'"]+)\s*$/;

/** The map a bundle names in its last `//# sourceMappingURL=` comment, if a relative file. */
async function referencedMap(bundle: string): Promise<string | null> {
  const text = await readFile(bundle, "utf8");
  const tail = text.slice(-2_048).trimEnd().split("\n").at(-1) ?? "";
  const match = SOURCE_MAPPING_URL.exec(tail);
  if (!match || /^(data:|[a-z]+:\/\/)/i.test(match[1])) return null;
  return resolve(dirname(bundle), decodeURIComponent(match[1].split(/[?#]/)[0]));
}

const toPosix = (path: string) => path.split(sep).join("/");

/**
 * Finds every `*.js.map` (and `.mjs`/`.cjs` maps) under `root` and the bundle each belongs to: the
 * bundle whose `sourceMappingURL` names it, else the map's own name without `.map`.
 */
export async function findSourceMaps(root: string): Promise<FoundMap[]> {
  const base = resolve(root);
  const files: string[] = [];
  await walk(base, files);
  const maps = files.filter((file) => /\.(m|c)?js\.map$/.test(file));
  const bundleOf = new Map<string, string>();
  for (const file of files.filter((f) => /\.(m|c)?js$/.test(f))) {
    const map = await referencedMap(file).catch(() => null);
    if (map) bundleOf.set(map, file);
  }
  return maps.sort().map((mapPath) => ({
    mapPath,
    bundlePath: toPosix(relative(base, bundleOf.get(mapPath) ?? mapPath.replace(/\.map$/, ""))),
  }));
}

/** `~/assets` + `main.js` → `~/assets/main.js`; an absolute URL prefix works the same way. */
export function bundleUrlFor(urlPrefix: string, bundlePath: string): string {
  const prefix = urlPrefix.replace(/\/+$/, "");
  return `${prefix}/${bundlePath.replace(/^\/+/, "")}`;
}
