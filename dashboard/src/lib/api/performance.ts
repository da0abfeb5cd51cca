import { query } from "@solidjs/router";
import { read, worker } from "../server/worker";
import { compact, filterParams, type ViewFilters } from "./params";

/** The project's Web Vitals and request durations over the view's range and scope. */
export const getPerformanceSummary = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  return await read(
    worker().GET("/api/projects/{projectId}/performance/summary", {
      params: { path: { projectId }, query: compact(filterParams(filters)) },
    }),
  );
}, "performance-summary");

/** One page of pages, slowest first by the p75 of `vital`. */
export const getSlowPages = query(
  async (projectId: string, filters: ViewFilters, vital: VitalName, cursor: string | undefined) => {
    "use server";
    return await read(
      worker().GET("/api/projects/{projectId}/performance/pages", {
        params: { path: { projectId }, query: compact({ ...filterParams(filters), vital, cursor, limit: 10 }) },
      }),
    );
  },
  "performance-pages",
);

/** One page of server routes, slowest first by p95. */
export const getSlowRoutes = query(async (projectId: string, filters: ViewFilters, cursor: string | undefined) => {
  "use server";
  return await read(
    worker().GET("/api/projects/{projectId}/performance/routes", {
      params: { path: { projectId }, query: compact({ ...filterParams(filters), cursor, limit: 10 }) },
    }),
  );
}, "performance-routes");

export const VITALS = ["LCP", "INP", "CLS", "FCP", "TTFB"] as const;
export type VitalName = (typeof VITALS)[number];
