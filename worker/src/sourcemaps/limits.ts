import type { Plan } from "@telemetry-tracker/db";

/** Limits of the source map store; documented in README "Source maps". */
export const SOURCEMAP_LIMITS = {
  /** One map's bytes. Larger bodies are refused (413) as soon as the stream crosses the limit. */
  mapBytes: 10 * 1024 * 1024,
  /** Room for the other form fields (or the JSON envelope) around the map on the wire. */
  envelopeBytes: 64 * 1024,
  /** The short fields of an upload. */
  fieldChars: 2_048,
} as const;

/** Artifacts (maps) a project may keep, by plan; replacing one does not count again. */
export const ARTIFACTS_PER_PROJECT: Record<Plan, number> = {
  FREE: 25,
  PRO: 250,
  BUSINESS: 2_500,
};
