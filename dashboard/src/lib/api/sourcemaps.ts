import { action, query } from "@solidjs/router";
import { mutate, read, worker } from "../server/worker";

/** A project's uploaded source maps (newest first, up to 500) and its plan's count. */
export const getSourceMaps = query(async (projectId: string) => {
  "use server";
  return await read(
    worker().GET("/api/projects/{projectId}/sourcemaps", {
      params: { path: { projectId }, query: { limit: 500 } },
    }),
  );
}, "sourcemaps");

export const deleteSourceMap = action(async (projectId: string, artifactId: string) => {
  "use server";
  return await mutate(
    worker().DELETE("/api/projects/{projectId}/sourcemaps/{artifactId}", {
      params: { path: { projectId, artifactId } },
    }),
  );
}, "delete-sourcemap");
