import { env, exports } from "cloudflare:workers";
import { type ApiKeyScope, apiKeys, type Database } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { inject } from "vitest";
import { BASE, call } from "../api/helpers.ts";
import "../fixtures/sourcemap-app/build.ts";
import { createApiKey } from "../helpers/fixtures.ts";

export const fixtureBuilds = () => inject("sourcemapApp");

/** An API key of the given scopes, inserted directly (the key route is tested in keys tests). */
export async function createScopedKey(db: Database, projectId: string, scopes: ApiKeyScope[]) {
  const created = await createApiKey(db, projectId);
  await db.update(apiKeys).set({ scopes }).where(eq(apiKeys.id, created.row.id));
  return created.key;
}

export interface UploadFields {
  app: string;
  release: string;
  bundle_url: string;
  debug_id?: string;
  map: unknown;
}

/** An upload as the dashboard's server would send it: JSON, cookie and Origin. */
export function uploadWithCookie(projectId: string, cookie: string, fields: UploadFields): Promise<Response> {
  return call(`/api/projects/${projectId}/sourcemaps`, { method: "POST", cookie, body: fields });
}

/** An upload as CI sends it: multipart with the map as a file part, Bearer key, no cookie, no Origin. */
export function uploadWithKey(projectId: string, key: string, fields: UploadFields): Promise<Response> {
  const form = new FormData();
  form.set("app", fields.app);
  form.set("release", fields.release);
  form.set("bundle_url", fields.bundle_url);
  if (fields.debug_id) form.set("debug_id", fields.debug_id);
  const map = typeof fields.map === "string" ? fields.map : JSON.stringify(fields.map);
  form.set("map", new File([map], "main.js.map", { type: "application/json" }));
  return exports.default.fetch(`${BASE}/api/projects/${projectId}/sourcemaps`, {
    method: "POST",
    headers: { authorization: `Bearer ${key}` },
    body: form,
  });
}

export const bucket = () => env.ARTIFACTS;

/** A minimal valid map, distinct per call (so uploads are distinct objects). */
export function tinyMap(tag = crypto.randomUUID()) {
  return { version: 3, file: "x.js", sources: [`${tag}.ts`], names: [], mappings: "AAAA" };
}
