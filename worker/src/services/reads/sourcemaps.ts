import { type Database, type SourceMapArtifact, sourceMapArtifacts } from "@telemetry-tracker/db";
import { and, desc, eq, type SQL } from "drizzle-orm";
import { olderThan } from "./sql.ts";

export interface ArtifactFilters {
  app?: string;
  release?: string;
}

/** The keyset format `decodeKeyset` checks: microsecond ISO (Postgres' precision), UTC. */
function keysetTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 23)}000Z`;
}

/** A project's uploaded source maps, newest first; `after` is a decoded (uploaded at, id) keyset. */
export async function listArtifacts(
  db: Database,
  projectId: string,
  filters: ArtifactFilters,
  limit: number,
  after: [string, string] | null,
): Promise<{ items: SourceMapArtifact[]; nextCursor: [string, string] | null }> {
  const where: SQL[] = [eq(sourceMapArtifacts.projectId, projectId)];
  if (filters.app) where.push(eq(sourceMapArtifacts.app, filters.app));
  if (filters.release) where.push(eq(sourceMapArtifacts.release, filters.release));
  const older = olderThan(
    sourceMapArtifacts.uploadedAt,
    sourceMapArtifacts.id,
    after && { at: after[0], id: after[1] },
  );
  if (older) where.push(older);
  const rows = await db
    .select()
    .from(sourceMapArtifacts)
    .where(and(...where))
    .orderBy(desc(sourceMapArtifacts.uploadedAt), desc(sourceMapArtifacts.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? [keysetTimestamp(last.uploadedAt), last.id] : null };
}
