import { createRoute, z } from "@hono/zod-openapi";
import type { SourceMapArtifact } from "@telemetry-tracker/db";
import type { Context } from "hono";
import { authenticateApiKey, extractApiKey } from "../auth/api-keys.ts";
import { requireProjectRole } from "../auth/rbac.ts";
import type { App, AppEnv } from "../context.ts";
import { ApiError } from "../errors.ts";
import {
  commonErrors,
  cookieAuth,
  decodeKeyset,
  ErrorEnvelope,
  encodeCursor,
  jsonContent,
  Ok,
  ProjectParams,
  Text,
} from "../lib/api.ts";
import { effectivePlan } from "../plans.ts";
import { listArtifacts } from "../services/reads/sourcemaps.ts";
import { countArtifacts, deleteArtifact, saveArtifact, type Uploader } from "../sourcemaps/artifacts.ts";
import { ARTIFACTS_PER_PROJECT, SOURCEMAP_LIMITS } from "../sourcemaps/limits.ts";
import { readUpload } from "../sourcemaps/upload-body.ts";

const tags = ["Source maps"];

const ArtifactSchema = z
  .object({
    id: z.uuid(),
    app: z.string(),
    release: z.string(),
    bundleUrl: z.string().openapi({ description: "The minified file's URL or path as uploaded (`~/` = any origin)" }),
    debugId: z.string().nullable(),
    sha256: z.string(),
    size: z.number().int().openapi({ description: "Bytes of the map" }),
    uploadedAt: z.string(),
    lastUsedAt: z.string().nullable().openapi({ description: "Last time a flush resolved frames with it (daily)" }),
  })
  .openapi("SourceMapArtifact");

const artifactDto = (a: SourceMapArtifact) => ({
  id: a.id,
  app: a.app,
  release: a.release,
  bundleUrl: a.bundleUrl,
  debugId: a.debugId,
  sha256: a.sha256,
  size: a.sizeBytes,
  uploadedAt: a.uploadedAt.toISOString(),
  lastUsedAt: a.lastUsedAt?.toISOString() ?? null,
});

const listRoute = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/sourcemaps",
  tags,
  security: cookieAuth,
  summary: "Uploaded source maps (VIEWER+), newest first, optionally of one app and/or release",
  request: {
    params: ProjectParams,
    query: z.object({
      app: Text.min(1).max(128).optional(),
      release: Text.min(1).max(200).optional(),
      cursor: Text.max(500).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
  },
  responses: {
    200: jsonContent(
      z
        .object({
          artifacts: z.array(ArtifactSchema),
          nextCursor: z.string().nullable(),
          usage: z.object({ stored: z.number().int(), limit: z.number().int() }),
        })
        .openapi("SourceMapList"),
    ),
    ...commonErrors,
  },
});

const deleteRoute = createRoute({
  method: "delete",
  path: "/api/projects/{projectId}/sourcemaps/{artifactId}",
  tags,
  security: cookieAuth,
  summary: "Delete an uploaded source map (EDITOR+): its R2 object and its metadata",
  request: { params: ProjectParams.extend({ artifactId: z.uuid() }) },
  responses: { 200: jsonContent(Ok), ...commonErrors },
});

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Who uploads: a CI job with an API key of the `sourcemap_upload` scope (Bearer, no cookie), or a
 * signed-in EDITOR+. A key is only good for its own project; anything else reads as "not found".
 */
async function authorizeUpload(c: Context<AppEnv>, projectId: string) {
  const bearer = c.req.header("authorization") ?? c.req.header("x-api-key");
  if (bearer && !c.req.header("cookie") && extractApiKey(c.req.raw)) {
    const key = await authenticateApiKey(c.env, c.var.services.db, c.req.raw, "sourcemap_upload");
    if (key.projectId !== projectId) throw new ApiError("not_found", "Project not found");
    return { plan: key.plan, uploader: { userId: null, keyId: key.keyId } satisfies Uploader };
  }
  const { org, auth } = await requireProjectRole(c, projectId, "EDITOR");
  return { plan: effectivePlan(org), uploader: { userId: auth.user.id, keyId: null } satisfies Uploader };
}

export function registerSourcemaps(app: App): void {
  // Not an `app.openapi` route: its body is read as a stream with a hard cap (see readUpload), which a
  // schema-validated body would have buffered whole first. Documented below by hand.
  app.post("/api/projects/:projectId/sourcemaps", async (c) => {
    const projectId = c.req.param("projectId");
    if (!UUID.test(projectId)) throw new ApiError("not_found", "Project not found");
    const { plan, uploader } = await authorizeUpload(c, projectId);
    const input = await readUpload(c.req.raw);
    const saved = await saveArtifact(c.var.services.db(), c.env.ARTIFACTS, { projectId, plan }, input, uploader);
    return c.json({ artifact: artifactDto(saved.artifact), replaced: saved.replaced }, saved.replaced ? 200 : 201);
  });

  app.openapi(listRoute, async (c) => {
    const { project, org } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeKeyset(query.cursor, ["timestamp", "uuid"]);
    const db = c.var.services.db();
    const page = await listArtifacts(db, project.id, query, query.limit, after);
    const nextCursor = page.nextCursor ? encodeCursor(page.nextCursor) : null;
    return c.json(
      {
        artifacts: page.items.map(artifactDto),
        nextCursor,
        usage: { stored: await countArtifacts(db, project.id), limit: ARTIFACTS_PER_PROJECT[effectivePlan(org)] },
      },
      200,
    );
  });

  app.openapi(deleteRoute, async (c) => {
    const { projectId, artifactId } = c.req.valid("param");
    const { project } = await requireProjectRole(c, projectId, "EDITOR");
    const deleted = await deleteArtifact(c.var.services.db(), c.env.ARTIFACTS, project.id, artifactId);
    if (!deleted) throw new ApiError("not_found", "No source map with this id in this project");
    return c.json({ ok: true as const }, 200);
  });

  documentUpload(app);
}

function documentUpload(app: App): void {
  const fields = {
    app: Text.min(1).max(128),
    release: Text.min(1).max(200),
    bundle_url: z.string().min(1).max(SOURCEMAP_LIMITS.fieldChars).openapi({
      description: "URL or path of the minified file the map belongs to; `~/assets/main.js` matches any origin",
    }),
    debug_id: z.string().optional().openapi({ description: "Optional debug id (UUID) of the bundle" }),
  };
  const errorContent = { "application/json": { schema: ErrorEnvelope } };
  app.openAPIRegistry.registerPath({
    method: "post",
    path: "/api/projects/{projectId}/sourcemaps",
    tags,
    summary:
      "Upload a source map (EDITOR+ session, or an API key with the sourcemap_upload scope): 201 new, 200 replaced the same (app, release, bundle_url)",
    security: [{ sessionCookie: [] }, { apiKey: [] }],
    request: {
      params: ProjectParams,
      body: {
        required: true,
        content: {
          "application/json": {
            schema: z.object({ ...fields, map: z.union([z.string(), z.record(z.string(), z.unknown())]) }),
          },
          "multipart/form-data": {
            schema: z.object({ ...fields, map: z.string().openapi({ format: "binary" }) }),
          },
        },
      },
    },
    responses: {
      200: jsonContent(z.object({ artifact: ArtifactSchema, replaced: z.literal(true) }), "Replaced"),
      201: jsonContent(z.object({ artifact: ArtifactSchema, replaced: z.literal(false) }), "Created"),
      400: {
        description: "validation_failed, invalid_json, invalid_sourcemap (not version 3, no mappings)",
        content: errorContent,
      },
      401: { description: "No session and no (valid) API key", content: errorContent },
      403: {
        description:
          "Role below EDITOR, an API key without the sourcemap_upload scope (insufficient_scope), artifact_limit",
        content: errorContent,
      },
      404: { description: "Not found, or not yours", content: errorContent },
      413: { description: `payload_too_large: a map over ${SOURCEMAP_LIMITS.mapBytes} bytes`, content: errorContent },
      415: { description: "Neither application/json nor multipart/form-data", content: errorContent },
    },
  });
}
