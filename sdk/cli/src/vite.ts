import { resolve } from "node:path";
import { formatSummary, type UploadOptions, uploadSourceMaps } from "./upload.ts";

export interface ViteSourcemapsOptions extends Omit<UploadOptions, "paths" | "apiKey" | "apiUrl" | "projectId"> {
  /** Default: `process.env.TT_API_KEY`. */
  apiKey?: string;
  /** Default: `process.env.TT_API_URL`. */
  apiUrl?: string;
  /** Default: `process.env.TT_PROJECT_ID`. */
  projectId?: string;
  /** Fail the build when an upload fails (default true: a release without maps is unreadable). */
  failOnError?: boolean;
}

/** The slice of Vite's plugin interface this plugin uses (no dependency on vite itself). */
export interface SourcemapsPlugin {
  name: string;
  apply: "build";
  enforce: "post";
  configResolved(config: { root: string; build: { outDir: string; sourcemap: unknown } }): void;
  closeBundle(): Promise<void>;
}

/**
 * Uploads the build's source maps after `vite build`. Set `build.sourcemap` to `true` (or
 * `"hidden"` to keep the `sourceMappingURL` comment out of the shipped files).
 *
 * @example
 * // vite.config.ts
 * import { telemetryTrackerSourcemaps } from "@telemetry-tracker/cli/vite";
 * export default defineConfig({
 *   build: { sourcemap: "hidden" },
 *   plugins: [telemetryTrackerSourcemaps({ app: "web", release: process.env.RELEASE!, urlPrefix: "~/" })],
 * });
 */
export function telemetryTrackerSourcemaps(options: ViteSourcemapsOptions): SourcemapsPlugin {
  let outDir = "dist";
  return {
    name: "telemetry-tracker-sourcemaps",
    apply: "build",
    enforce: "post",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
      if (!config.build.sourcemap) {
        console.warn("[telemetry-tracker] build.sourcemap is off: there will be no source maps to upload");
      }
    },
    async closeBundle() {
      const apiKey = options.apiKey ?? process.env.TT_API_KEY;
      const apiUrl = options.apiUrl ?? process.env.TT_API_URL;
      const projectId = options.projectId ?? process.env.TT_PROJECT_ID;
      if (!apiKey || !apiUrl || !projectId) {
        throw new Error("[telemetry-tracker] set TT_API_KEY, TT_API_URL and TT_PROJECT_ID (or the plugin's options)");
      }
      const summary = await uploadSourceMaps({ ...options, apiKey, apiUrl, projectId, paths: [outDir] });
      console.log(`[telemetry-tracker]\n${formatSummary(summary)}`);
      if (summary.failed > 0 && options.failOnError !== false) {
        throw new Error(`[telemetry-tracker] ${summary.failed} source map(s) failed to upload`);
      }
    },
  };
}
