import { readFile, stat } from "node:fs/promises";
import { relative } from "node:path";
import { bundleUrlFor, type FoundMap, findSourceMaps } from "./find.ts";

/** The Worker refuses larger maps (413); checked here first so CI says which file is too big. */
export const MAX_MAP_BYTES = 10 * 1024 * 1024;

export interface UploadOptions {
  /** The Worker's base URL, e.g. `https://telemetry.example.com`. */
  apiUrl: string;
  /** An API key with the `sourcemap_upload` scope. */
  apiKey: string;
  projectId: string;
  app: string;
  release: string;
  /** Folders to scan for `*.js.map`. */
  paths: string[];
  /** Prefix of the bundles' URLs as the browser loads them; `~/` matches any origin. Default `~/`. */
  urlPrefix?: string;
  /** List what would be uploaded without uploading. */
  dryRun?: boolean;
  /** Parallel uploads. Default 4. */
  concurrency?: number;
  fetch?: typeof fetch;
}

export type UploadOutcome =
  | { status: "created" | "replaced"; artifactId: string }
  | { status: "dry-run" }
  | { status: "failed"; error: string; httpStatus?: number };

export interface UploadedMap extends FoundMap {
  bundleUrl: string;
  bytes: number;
  outcome: UploadOutcome;
}

export interface UploadSummary {
  maps: UploadedMap[];
  created: number;
  replaced: number;
  failed: number;
}

async function uploadOne(
  options: UploadOptions,
  found: FoundMap,
  bundleUrl: string,
  bytes: number,
): Promise<UploadOutcome> {
  if (bytes > MAX_MAP_BYTES) return { status: "failed", error: `larger than ${MAX_MAP_BYTES} bytes` };
  if (options.dryRun) return { status: "dry-run" };
  const map = await readFile(found.mapPath);
  const form = new FormData();
  form.set("app", options.app);
  form.set("release", options.release);
  form.set("bundle_url", bundleUrl);
  const debugId = readDebugId(map);
  if (debugId) form.set("debug_id", debugId);
  form.set("map", new Blob([map], { type: "application/json" }), found.bundlePath.split("/").at(-1) ?? "map");
  const url = `${options.apiUrl.replace(/\/+$/, "")}/api/projects/${encodeURIComponent(options.projectId)}/sourcemaps`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: { authorization: `Bearer ${options.apiKey}`, "user-agent": "telemetry-tracker-cli/0.1.0" },
      body: form,
    });
  } catch (error) {
    return { status: "failed", error: `network: ${(error as Error).message}` };
  }
  const body = (await response.json().catch(() => null)) as {
    artifact?: { id: string };
    error?: { code: string; message: string };
  } | null;
  if (response.ok && body?.artifact) {
    return { status: response.status === 201 ? "created" : "replaced", artifactId: body.artifact.id };
  }
  const reason = body?.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`;
  return { status: "failed", error: reason, httpStatus: response.status };
}

function readDebugId(map: Buffer): string | null {
  try {
    const parsed = JSON.parse(map.toString("utf8")) as { debugId?: unknown; debug_id?: unknown };
    const id = parsed.debugId ?? parsed.debug_id;
    return typeof id === "string" ? id : null;
  } catch {
    return null; // the Worker says what is wrong with it
  }
}

/**
 * Finds the maps under `paths`, matches each to its bundle URL (`urlPrefix` + the bundle's path
 * under the scanned folder) and uploads them, a few at a time. Never throws for a refused map: each
 * outcome is in the summary.
 *
 * @example
 * const summary = await uploadSourceMaps({ apiUrl, apiKey, projectId, app: "web", release: "1.4.0",
 *   paths: ["dist"], urlPrefix: "~/assets" });
 * if (summary.failed > 0) process.exitCode = 1;
 */
export async function uploadSourceMaps(options: UploadOptions): Promise<UploadSummary> {
  const found: FoundMap[] = [];
  for (const path of options.paths) found.push(...(await findSourceMaps(path)));
  const maps: UploadedMap[] = await Promise.all(
    found.map(async (map) => ({
      ...map,
      bundleUrl: bundleUrlFor(options.urlPrefix ?? "~/", map.bundlePath),
      bytes: (await stat(map.mapPath)).size,
      outcome: { status: "dry-run" } as UploadOutcome,
    })),
  );
  let next = 0;
  const worker = async () => {
    while (next < maps.length) {
      const map = maps[next++];
      map.outcome = await uploadOne(options, map, map.bundleUrl, map.bytes);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  return {
    maps,
    created: maps.filter((m) => m.outcome.status === "created").length,
    replaced: maps.filter((m) => m.outcome.status === "replaced").length,
    failed: maps.filter((m) => m.outcome.status === "failed").length,
  };
}

/** Lines for people (and CI logs): one per map, then the totals. */
export function formatSummary(summary: UploadSummary, cwd = process.cwd()): string {
  const size = (bytes: number) =>
    bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
  const lines = summary.maps.map((map) => {
    const what = `${map.bundleUrl}  ←  ${relative(cwd, map.mapPath)} (${size(map.bytes)})`;
    const outcome = map.outcome;
    if (outcome.status === "failed") return `  ✗ ${what}: ${outcome.error}`;
    return `  ${outcome.status === "dry-run" ? "·" : "✓"} ${what} ${outcome.status}`;
  });
  const total = summary.maps.length;
  const dry = summary.maps.every((m) => m.outcome.status === "dry-run");
  lines.push(
    dry
      ? `${total} source map(s) would be uploaded (dry run)`
      : `${summary.created + summary.replaced} of ${total} source map(s) uploaded (${summary.created} new, ${summary.replaced} replaced), ${summary.failed} failed`,
  );
  return lines.join("\n");
}
