import { createRoute, z } from "@hono/zod-openapi";
import { API_KEY_PREFIX, API_KEY_SCOPES, type ApiKey } from "@telemetry-tracker/db";
import { requireProjectRole } from "../auth/rbac.ts";
import { clientIp } from "../auth/session.ts";
import type { App } from "../context.ts";
import { commonErrors, cookieAuth, jsonBody, jsonContent, Ok, orRefuse, ProjectParams, Text } from "../lib/api.ts";
import { createKey, listKeys, revokeKey } from "../services/keys.ts";

const ApiKeySchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    /** What a person recognises the key by; never the secret. */
    preview: z.string(),
    /** The key's public id: the public key of the project's Sentry DSN (`https://<publicId>@<host>/<numericId>`). */
    publicId: z.string(),
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
  publicId: k.publicId,
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
        name: Text.trim().min(1).max(100),
        allowedApp: Text.trim().min(1).max(100).optional(),
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
    return c.json({ keys: (await listKeys(c.var.services.db(), project.id)).map(keyDto) }, 200);
  });

  app.openapi(createKeyRoute, async (c) => {
    const { project, org, auth } = await requireProjectRole(c, c.req.valid("param").projectId, "EDITOR");
    const actor = { userId: auth.user.id, ip: clientIp(c) };
    const { row, key } = orRefuse(await createKey(c.var.services.db(), org, project, c.req.valid("json"), actor));
    return c.json({ apiKey: keyDto(row), key }, 201);
  });

  app.openapi(revokeRoute, async (c) => {
    const { projectId, keyId } = c.req.valid("param");
    const { project, auth } = await requireProjectRole(c, projectId, "OWNER");
    orRefuse(await revokeKey(c.var.services.db(), c.env, project, keyId, { userId: auth.user.id, ip: clientIp(c) }));
    return c.json({ ok: true as const }, 200);
  });
}
