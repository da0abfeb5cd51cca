import { createRoute, z } from "@hono/zod-openapi";
import { API_KEY_PREFIX, API_KEY_SCOPES, type ApiKey, apiKeys, generateApiKey, projects } from "@telemetry-tracker/db";
import { and, count, desc, eq, gt, isNull, or } from "drizzle-orm";
import { revokeApiKey } from "../auth/api-keys.ts";
import { requireProjectRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import type { App } from "../context.ts";
import { ApiError } from "../errors.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok, ProjectParams } from "../lib/api.ts";
import { effectivePlan, PLAN_LIMITS } from "../plans.ts";
import { recordAudit } from "../services/audit.ts";

const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    /** What a person recognises the key by; never the secret. */
    preview: z.string(),
    allowedApp: z.string().nullable(),
    scopes: z.array(z.enum(API_KEY_SCOPES)),
    createdAt: z.string(),
    lastUsedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
    status: z.enum(["active", "revoked", "expired"]),
  })
  .openapi("ApiKey");

const keyDto = (k: ApiKey) => ({
  id: k.id,
  name: k.name,
  preview: `${API_KEY_PREFIX}${k.publicId}_…`,
  allowedApp: k.allowedApp,
  scopes: k.scopes,
  createdAt: k.createdAt.toISOString(),
  lastUsedAt: k.lastUsedAt?.toISOString() ?? null,
  expiresAt: k.expiresAt?.toISOString() ?? null,
  revokedAt: k.revokedAt?.toISOString() ?? null,
  status: k.revokedAt
    ? ("revoked" as const)
    : k.expiresAt && k.expiresAt.getTime() <= Date.now()
      ? ("expired" as const)
      : ("active" as const),
});

const tags = ["API keys"];
const KeyParams = ProjectParams.extend({ keyId: z.uuid() });

const listRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/keys",
  tags,
  security: cookieAuth,
  summary: "Ingest keys of a project (VIEWER+); never a secret or hash",
  request: { params: ProjectParams },
  responses: { 200: jsonContent(z.object({ keys: z.array(ApiKeySchema) })), ...commonErrors },
});
const createKeyRoute = createRoute({
  method: "post",
  path: "/api/projects/{projectId}/keys",
  tags,
  security: cookieAuth,
  summary: "Create a key (EDITOR+); the full key is in this answer only. 403 key_limit beyond the plan",
  request: {
    params: ProjectParams,
    body: jsonBody(
      z.object({
        name: z.string().trim().min(1).max(100),
        allowedApp: z.string().trim().min(1).max(100).optional(),
        expiresAt: z.iso.datetime().optional(),
        /** `ingest` (default) sends telemetry; `sourcemap_upload` lets CI upload source maps and nothing else. */
        scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length).optional(),
      }),
    ),
  },
  responses: {
    201: jsonContent(
      z.object({ apiKey: ApiKeySchema, key: z.string().openapi({ description: "Shown once" }) }).openapi("NewApiKey"),
      "Created",
    ),
    ...commonErrors,
  },
});
const revokeRoute = createRoute({
  method: "delete",
  path: "/api/projects/{projectId}/keys/{keyId}",
  tags,
  security: cookieAuth,
  summary: "Revoke a key (OWNER); ingest refuses it within seconds everywhere",
  request: { params: KeyParams },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});

export function registerKeys(app: App): void {
  app.openapi(listRoute, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const rows = await c.var.services
      .db()
      .select()
      .from(apiKeys)
      .where(eq(apiKeys.projectId, project.id))
      .orderBy(desc(apiKeys.createdAt))
      .limit(500);
    return c.json({ keys: rows.map(keyDto) }, 200);
  });

  app.openapi(createKeyRoute, async (c) => {
    const { project, org, auth } = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const body = c.req.valid("json");
    const expiresAt = body.expiresAt ? new Date(body.expiresAt) : null;
    if (expiresAt && expiresAt.getTime() <= Date.now()) {
      throw new ApiError("validation_failed", "expiresAt must be in the future");
    }
    const plan = effectivePlan(org);
    const limit = PLAN_LIMITS[plan].activeKeysPerProject;
    const generated = await generateApiKey();
    const db = c.var.services.db();
    const row = await db.transaction(async (tx) => {
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
        throw new ApiError("key_limit", `The ${plan} plan allows ${limit} active key(s) per project`, {
          details: { limit, active },
        });
      }
      const [created] = await tx
        .insert(apiKeys)
        .values({
          projectId: project.id,
          publicId: generated.publicId,
          secretHash: generated.secretHash,
          name: body.name,
          allowedApp: body.allowedApp ?? null,
          scopes: [...new Set(body.scopes ?? (["ingest"] as const))],
          createdBy: auth.user.id,
          expiresAt,
        })
        .returning();
      return created;
    });
    await recordAudit(db, {
      orgId: org.id,
      actorUserId: auth.user.id,
      action: "api_key.create",
      targetType: "api_key",
      targetId: row.id,
      metadata: { projectId: project.id, name: row.name, publicId: row.publicId },
      ip: clientIp(c),
    });
    return c.json({ apiKey: keyDto(row), key: generated.key }, 201);
  });

  app.openapi(revokeRoute, async (c) => {
    const { projectId, keyId } = c.req.valid("param");
    const { project, org, auth } = await requireProjectRole(c, projectId, "OWNER");
    const db = c.var.services.db();
    const revoked = await revokeApiKey(c.env, db, { keyId, projectId: project.id });
    if (!revoked) throw new ApiError("not_found", "No active key with this id in this project");
    await recordAudit(db, {
      orgId: org.id,
      actorUserId: auth.user.id,
      action: "api_key.revoke",
      targetType: "api_key",
      targetId: keyId,
      metadata: { projectId: project.id },
      ip: clientIp(c),
    });
    return c.json({ ok: true as const }, 200);
  });
}
