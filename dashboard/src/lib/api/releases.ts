import { query } from "@solidjs/router";
import { read, worker } from "../server/worker";
import type { ReleaseDetail, ReleaseHealth } from "../types";
import { toIssue } from "./mappers";
import { compact, filterParams, type ViewFilters } from "./params";

/** The Worker's release sorts: most sessions, least crash-free, most errors, newest first. */
export const RELEASE_SORTS = ["adoption", "crash_free", "errors", "first_seen"] as const;
export type ReleaseSort = (typeof RELEASE_SORTS)[number];

export interface ReleaseQuery extends ViewFilters {
  sort?: string;
  cursor?: string;
}

export interface ReleasePage {
  items: ReleaseHealth[];
  nextCursor: string | null;
}

export function releaseSort(value: string | undefined): ReleaseSort {
  return RELEASE_SORTS.find((sort) => sort === value) ?? "adoption";
}

export const getReleases = query(async (projectId: string, params: ReleaseQuery) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/releases", {
      params: {
        path: { projectId },
        query: compact({ ...filterParams(params), sort: releaseSort(params.sort), cursor: params.cursor }),
      },
    }),
  );
  const page: ReleasePage = { items: wire.releases, nextCursor: wire.nextCursor };
  return page;
}, "releases");

/** The newest release in the view (by first seen), for the overview's card; null when none has data. */
export const getLatestRelease = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/releases", {
      params: {
        path: { projectId },
        query: compact({ ...filterParams(filters), sort: "first_seen" as const, limit: 1 }),
      },
    }),
  );
  return wire.releases[0] ?? null;
}, "latest-release");

export const getRelease = query(async (projectId: string, release: string, filters: ViewFilters) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/releases/{release}", {
      params: { path: { projectId, release }, query: compact(filterParams(filters)) },
    }),
  );
  const detail: ReleaseDetail = {
    ...wire,
    newIssues: wire.newIssues.map(toIssue),
    regressedIssues: wire.regressedIssues.map(toIssue),
  };
  return detail;
}, "release");
