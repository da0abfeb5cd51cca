import {
  type ApiKey,
  type ApiKeyScope,
  apiKeys,
  type Database,
  generateApiKey,
  type Organization,
  type Project,
  projects,
} from "@telemetry-tracker/db";
import { and, count, desc, eq, gt, isNull, or } from "drizzle-orm";
import { revokeApiKey } from "../auth/api-keys.ts";
import type { Bindings } from "../env.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { recordAudit } from "./audit.ts";
import { type Actor, ok, type Result, RollBack, refusalOf, refuse } from "./result.ts";

export async function listKeys(db: Database, projectId: string): Promise<ApiKey[]> {
  return db.select().from(apiKeys).where(eq(apiKeys.projectId, projectId)).orderBy(desc(apiKeys.createdAt)).limit(500);
}

export interface NewKey {
  name: string;
  allowedApp?: string;
  expiresAt?: string;
  /** What the key may do; `ingest` when not given. */
  scopes?: ApiKeyScope[];
}

/** Creates an ingest key within the plan's active-key cap; answers the row and the full key (shown once). */
export async function createKey(
  db: Database,
  org: Organization,
  project: Project,
  input: NewKey,
  actor: Actor,
): Promise<Result<{ row: ApiKey; key: string }>> {
  const expiresAt = input.expiresAt ? new Date(input.expiresAt) : null;
  if (expiresAt && expiresAt.getTime() <= Date.now()) {
    return refuse("validation_failed", "expiresAt must be in the future");
  }
  const plan = effectivePlan(org);
  const limit = PLAN_LIMITS[plan].activeKeysPerProject;
  const generated = await generateApiKey();
  const created = await refusalOf(() =>
    db.transaction(async (tx) => {
      // The project row lock serialises concurrent creates against the cap.
      await tx.select({ id: projects.id }).from(projects).where(eq(projects.id, project.id)).for("update");
      const now = new Date();
      const [{ active }] = await tx
        .select({ active: count() })
        .from(apiKeys)
        .where(
          and(
            eq(apiKeys.projectId, project.id),
            isNull(apiKeys.revokedAt),
            or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
          ),
        );
      if (active >= limit) {
        throw new RollBack(
          refuse("key_limit", `The ${plan} plan allows ${limit} active key(s) per project`, {
            details: { limit, active },
          }),
        );
      }
      const [row] = await tx
        .insert(apiKeys)
        .values({
          projectId: project.id,
          publicId: generated.publicId,
          secretHash: generated.secretHash,
          name: input.name,
          allowedApp: input.allowedApp ?? null,
          scopes: [...new Set(input.scopes ?? (["ingest"] as const))],
          createdBy: actor.userId,
          expiresAt,
        })
        .returning();
      return row;
    }),
  );
  if (!created.ok) return created;
  const row = created.value;
  await recordAudit(db, {
    orgId: org.id,
    actorUserId: actor.userId,
    action: "api_key.create",
    targetType: "api_key",
    targetId: row.id,
    metadata: { projectId: project.id, name: row.name, publicId: row.publicId },
    ip: actor.ip,
  });
  return ok({ row, key: generated.key });
}

/** Revokes an active key of the project (auth/api-keys.ts also drops it from every cache). */
export async function revokeKey(
  db: Database,
  env: Bindings,
  project: Project,
  keyId: string,
  actor: Actor,
): Promise<Result<void>> {
  const revoked = await revokeApiKey(env, db, { keyId, projectId: project.id });
  if (!revoked) return refuse("not_found", "No active key with this id in this project");
  await recordAudit(db, {
    orgId: project.orgId,
    actorUserId: actor.userId,
    action: "api_key.revoke",
    targetType: "api_key",
    targetId: keyId,
    metadata: { projectId: project.id },
    ip: actor.ip,
  });
  return ok(undefined);
}
