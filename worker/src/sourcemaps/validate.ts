/** What a source map must have for symbolication to use it (ECMA-426 "Source Map" v3). */
export interface ValidSourceMap {
  version: 3;
  mappings: string;
  sources: Array<string | null>;
  names?: string[];
  sourcesContent?: Array<string | null>;
  sourceRoot?: string;
  file?: string;
  debugId?: string;
  debug_id?: string;
}

export type MapCheck = { ok: true; map: ValidSourceMap } | { ok: false; reason: string };

/** Parses and checks a map; the reason is shown to the uploader in a 400. */
export function checkSourceMap(text: string): MapCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, reason: "The map is not valid JSON" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: "The map must be a JSON object" };
  }
  const map = parsed as Record<string, unknown>;
  if (map.version !== 3)
    return { ok: false, reason: `Only version 3 source maps are supported (got ${String(map.version)})` };
  if ("sections" in map && !("mappings" in map)) {
    return { ok: false, reason: "Indexed maps (`sections`) are not supported; upload the flattened map" };
  }
  if (typeof map.mappings !== "string") return { ok: false, reason: "The map has no `mappings` string" };
  if (!Array.isArray(map.sources)) return { ok: false, reason: "The map has no `sources` array" };
  if (map.names !== undefined && !Array.isArray(map.names)) return { ok: false, reason: "`names` must be an array" };
  if (map.sourcesContent !== undefined && !Array.isArray(map.sourcesContent)) {
    return { ok: false, reason: "`sourcesContent` must be an array" };
  }
  return { ok: true, map: map as unknown as ValidSourceMap };
}
