import { type Database, type Plan, projects, type SourceMapArtifact, sourceMapArtifacts } from "@telemetry-tracker/db";
import { and, count, eq } from "drizzle-orm";
import { ApiError } from "../errors.ts";
import { ARTIFACTS_PER_PROJECT } from "./limits.ts";
import { bundlePathOf, objectKeyFor, projectPrefix } from "./paths.ts";
import type { UploadInput } from "./upload-body.ts";

export interface Uploader {
  userId: string | null;
  keyId: string | null;
}

export interface SavedArtifact {
  artifact: SourceMapArtifact;
  /** True when an artifact for the same (app, release, bundle_url) existed and was replaced. */
  replaced: boolean;
}

function bytesToHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * Stores a map: the object first (under a key naming its content), then the metadata row in one
 * transaction that holds the project's row lock, so two concurrent uploads cannot both take the
 * last slot of the plan's count. A replaced map's old object is deleted once the row points at the
 * new one; an upload refused by the count deletes the object it wrote.
 */
export async function saveArtifact(
  db: Database,
  bucket: R2Bucket,
  target: { projectId: string; plan: Plan },
  input: UploadInput,
  uploader: Uploader,
): Promise<SavedArtifact> {
  const limit = ARTIFACTS_PER_PROJECT[target.plan];
  const sha256 = bytesToHex(await crypto.subtle.digest("SHA-256", input.mapBytes));
  const sameBundle = and(
    eq(sourceMapArtifacts.projectId, target.projectId),
    eq(sourceMapArtifacts.app, input.app),
    eq(sourceMapArtifacts.release, input.release),
    eq(sourceMapArtifacts.bundleUrl, input.bundleUrl),
  );
  const [existing] = await db.select().from(sourceMapArtifacts).where(sameBundle);
  const artifactId = existing?.id ?? crypto.randomUUID();
  if (!existing) await assertRoom(db, target.projectId, target.plan, limit);

  const r2Key = objectKeyFor(target.projectId, artifactId, sha256);
  await bucket.put(r2Key, input.mapBytes, {
    httpMetadata: { contentType: "application/json" },
    customMetadata: { projectId: target.projectId, app: input.app, release: input.release },
    sha256,
  });

  let saved: SavedArtifact & { previousKey: string | null };
  try {
    saved = await db.transaction(async (tx) => {
      await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, target.projectId)).for("update");
      const [current] = await tx.select().from(sourceMapArtifacts).where(sameBundle);
      const values = {
        debugId: input.debugId,
        r2Key,
        sha256,
        sizeBytes: input.mapBytes.byteLength,
        uploadedAt: new Date(),
        uploadedBy: uploader.userId,
        uploadedByKeyId: uploader.keyId,
      };
      if (current) {
        const [updated] = await tx
          .update(sourceMapArtifacts)
          .set(values)
          .where(eq(sourceMapArtifacts.id, current.id))
          .returning();
        return { artifact: updated, replaced: true, previousKey: current.r2Key };
      }
      await assertRoom(tx as unknown as Database, target.projectId, target.plan, limit);
      const [inserted] = await tx
        .insert(sourceMapArtifacts)
        .values({
          id: artifactId,
          projectId: target.projectId,
          app: input.app,
          release: input.release,
          bundleUrl: input.bundleUrl,
          bundlePath: bundlePathOf(input.bundleUrl),
          ...values,
        })
        .returning();
      return { artifact: inserted, replaced: false, previousKey: null };
    });
    if (saved.previousKey && saved.previousKey !== r2Key) await bucket.delete(saved.previousKey);
  } catch (error) {
    // The row never pointed at this object (refused, or the row of a concurrent upload won).
    const [row] = await db
      .select({ r2Key: sourceMapArtifacts.r2Key })
      .from(sourceMapArtifacts)
      .where(sameBundle)
      .catch(() => [] as Array<{ r2Key: string }>);
    if (row?.r2Key !== r2Key) await bucket.delete(r2Key).catch(() => {});
    throw error;
  }
  return { artifact: saved.artifact, replaced: saved.replaced };
}

async function assertRoom(db: Database, projectId: string, plan: Plan, limit: number): Promise<void> {
  const [{ stored }] = await db
    .select({ stored: count() })
    .from(sourceMapArtifacts)
    .where(eq(sourceMapArtifacts.projectId, projectId));
  if (stored >= limit) {
    throw new ApiError(
      "artifact_limit",
      `The ${plan} plan keeps ${limit} source maps per project; delete old releases' maps first`,
      { details: { limit, stored } },
    );
  }
}

export async function countArtifacts(db: Database, projectId: string): Promise<number> {
  const [{ stored }] = await db
    .select({ stored: count() })
    .from(sourceMapArtifacts)
    .where(eq(sourceMapArtifacts.projectId, projectId));
  return stored;
}

/** Deletes one artifact (object and row); false when the project has no such artifact. */
export async function deleteArtifact(db: Database, bucket: R2Bucket, projectId: string, id: string): Promise<boolean> {
  const [deleted] = await db
    .delete(sourceMapArtifacts)
    .where(and(eq(sourceMapArtifacts.projectId, projectId), eq(sourceMapArtifacts.id, id)))
    .returning({ r2Key: sourceMapArtifacts.r2Key });
  if (!deleted) return false;
  await bucket.delete(deleted.r2Key);
  return true;
}

/** R2 deletes take up to 1,000 keys at a time. */
const R2_DELETE_BATCH = 1_000;

/**
 * Every map of a project, objects and rows (project archival). Objects are listed by the project's
 * prefix rather than by rows, so an object whose row is already gone is not left behind.
 */
export async function deleteProjectArtifacts(db: Database, bucket: R2Bucket, projectId: string): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const listing = await bucket.list({ prefix: projectPrefix(projectId), cursor, limit: R2_DELETE_BATCH });
    const keys = listing.objects.map((object) => object.key);
    if (keys.length > 0) await bucket.delete(keys);
    deleted += keys.length;
    cursor = listing.truncated ? listing.cursor : undefined;
  } while (cursor);
  await db.delete(sourceMapArtifacts).where(eq(sourceMapArtifacts.projectId, projectId));
  return deleted;
}
