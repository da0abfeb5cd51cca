import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import { computeFingerprint, culpritOf, type Frame } from "../ingest/fingerprint.ts";
import { describeError, type Logger } from "../lib/logger.ts";
import type { BufferedRow, ErrorRow } from "../meter/buffered-row.ts";
import { isolateMapCache, MAP_MEMORY_FACTOR, mapLoadStats, parseLoadedMap } from "./map-cache.ts";
import { bundlePathOf } from "./paths.ts";
import { type LoadedMap, type StoredFrame, symbolicateFrames } from "./symbolicate.ts";

export interface SymbolicationDeps {
  db: Database;
  bucket: R2Bucket;
  projectId: string;
  logger: Logger;
}

interface ArtifactRef {
  id: string;
  app: string;
  release: string;
  bundlePath: string;
  r2Key: string;
  sha256: string;
}

const artifactKey = (app: string, release: string, bundlePath: string) => `${app}\u0000${release}\u0000${bundlePath}`;

function needsSymbolication(row: BufferedRow): row is ErrorRow {
  return (
    row.kind === "error" &&
    row.release !== null &&
    row.frames.length > 0 &&
    !row.frames.some((frame) => (frame as StoredFrame).symbolicated)
  );
}

async function findArtifacts(db: Database, projectId: string, rows: ErrorRow[]): Promise<ArtifactRef[]> {
  const pairs = [...new Set(rows.map((row) => JSON.stringify([row.app, row.release])))].map(
    (pair) => JSON.parse(pair) as [string, string],
  );
  const result = await db.execute<{
    id: string;
    app: string;
    release: string;
    bundle_path: string;
    r2_key: string;
    sha256: string;
  }>(sql`
    select a.id, a.app, a.release, a.bundle_path, a.r2_key, a.sha256
    from source_map_artifacts a
    join jsonb_to_recordset(${JSON.stringify(pairs.map(([app, release]) => ({ app, release })))}::jsonb)
      as x(app text, release text) on a.app = x.app and a.release = x.release
    where a.project_id = ${projectId}::uuid`);
  return result.rows.map((row) => ({
    id: row.id,
    app: row.app,
    release: row.release,
    bundlePath: row.bundle_path,
    r2Key: row.r2_key,
    sha256: row.sha256,
  }));
}

async function loadMap(bucket: R2Bucket, artifact: ArtifactRef): Promise<LoadedMap | null> {
  // Keyed by content: a replaced map has a new sha and is read afresh.
  const cached = isolateMapCache.get(artifact.sha256);
  if (cached) return cached;
  mapLoadStats.r2Reads++;
  const object = await bucket.get(artifact.r2Key);
  if (!object) return null;
  const text = await object.text();
  const loaded = parseLoadedMap(text);
  isolateMapCache.set(artifact.sha256, loaded, text.length * MAP_MEMORY_FACTOR);
  return loaded;
}

/**
 * Symbolicates the error rows of a batch about to be flushed, in place: frames of releases with
 * uploaded maps become original frames (the client's kept in `raw`), and a row grouped by the
 * default fingerprint is regrouped on the original frames, so a rebuild of the same code joins the
 * same issue. Rows with a client fingerprint keep it. A map that cannot be read leaves its frames
 * as they were: symbolication never costs an accepted error.
 */
export async function symbolicateErrorRows(rows: BufferedRow[], deps: SymbolicationDeps): Promise<number> {
  try {
    return await symbolicateOrThrow(rows, deps);
  } catch (error) {
    // Never blocks the buffer: whatever failed, the rows are written as they came.
    deps.logger.warn("symbolication skipped for this batch", describeError(error));
    return 0;
  }
}

async function symbolicateOrThrow(rows: BufferedRow[], deps: SymbolicationDeps): Promise<number> {
  const candidates = rows.filter(needsSymbolication);
  if (candidates.length === 0) return 0;
  const artifacts = await findArtifacts(deps.db, deps.projectId, candidates);
  if (artifacts.length === 0) return 0;
  const byBundle = new Map(artifacts.map((a) => [artifactKey(a.app, a.release, a.bundlePath), a]));

  const loaded = new Map<string, LoadedMap | null>();
  const used = new Set<string>();
  let symbolicated = 0;
  for (const row of candidates) {
    const wanted = new Map<string, ArtifactRef>();
    for (const frame of row.frames) {
      if (!frame.file) continue;
      const artifact = byBundle.get(artifactKey(row.app, row.release as string, bundlePathOf(frame.file)));
      if (artifact) wanted.set(frame.file, artifact);
    }
    if (wanted.size === 0) continue;
    for (const artifact of wanted.values()) {
      if (loaded.has(artifact.id)) continue;
      try {
        loaded.set(artifact.id, await loadMap(deps.bucket, artifact));
      } catch (error) {
        deps.logger.warn("source map unreadable; frames stay minified", {
          artifactId: artifact.id,
          ...describeError(error),
        });
        loaded.set(artifact.id, null);
      }
    }
    const frames = symbolicateFrames(row.frames, (frame: Frame) => {
      const artifact = frame.file ? wanted.get(frame.file) : undefined;
      return artifact ? (loaded.get(artifact.id) ?? null) : null;
    });
    if (!frames.some((frame) => frame.symbolicated)) continue;
    for (const artifact of wanted.values()) if (loaded.get(artifact.id)) used.add(artifact.id);

    const byDefaultRule = await computeFingerprint({ type: row.type, message: row.message, frames: row.frames });
    if (row.fingerprint === byDefaultRule) {
      row.fingerprint = await computeFingerprint({ type: row.type, message: row.message, frames });
    }
    row.culprit = culpritOf(frames);
    row.frames = frames;
    symbolicated++;
  }
  if (used.size > 0) {
    // At most once a day per artifact: retention counts from the last time a map was useful.
    await deps.db.execute(sql`
      update source_map_artifacts set last_used_at = now()
      where project_id = ${deps.projectId}::uuid and id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify([...used])}::jsonb))
        and (last_used_at is null or last_used_at < now() - interval '1 day')`);
  }
  return symbolicated;
}
