import { query } from "@solidjs/router";
import { read, worker } from "../server/worker";
import type { Overview, Usage } from "../types";
import { toIssue, toSession, toTotals } from "./mappers";
import { compact, filterParams, type ViewFilters } from "./params";

export const getFilterOptions = query(async (projectId: string) => {
  "use server";
  return await read(worker().GET("/api/projects/{projectId}/filters", { params: { path: { projectId } } }));
}, "filter-options");

export const getOverview = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/overview", {
      params: { path: { projectId }, query: compact(filterParams(filters)) },
    }),
  );
  const overview: Overview = {
    range: wire.window,
    totals: toTotals(wire.totals),
    previous: toTotals(wire.previous.totals),
    series: wire.series.map((point) => ({ t: point.t, ...toTotals(point) })),
    topIssues: wire.topErrorGroups.map(toIssue),
    topEvents: wire.topEvents,
    recentSessions: wire.recentSessions.map(toSession),
  };
  return overview;
}, "overview");

export const getUsage = query(async (projectId: string) => {
  "use server";
  const wire = await read(worker().GET("/api/projects/{projectId}/usage", { params: { path: { projectId } } }));
  const usage: Usage = { limit: wire.quota, months: wire.months, deadLetters: wire.deadLetters };
  return usage;
}, "usage");
