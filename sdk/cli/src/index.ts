export { bundleUrlFor, type FoundMap, findSourceMaps } from "./find.ts";
export {
  formatSummary,
  MAX_MAP_BYTES,
  type UploadedMap,
  type UploadOptions,
  type UploadOutcome,
  type UploadSummary,
  uploadSourceMaps,
} from "./upload.ts";
export { type SourcemapsPlugin, telemetryTrackerSourcemaps, type ViteSourcemapsOptions } from "./vite.ts";
