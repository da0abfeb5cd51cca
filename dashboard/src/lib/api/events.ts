import { query } from "@solidjs/router";
import { read, worker } from "../server/worker";
import type { EventRow, Page } from "../types";
import { compact, filterParams, type ViewFilters } from "./params";

export const getEventGroups = query(async (projectId: string, filters: ViewFilters) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/events/names", {
      params: { path: { projectId }, query: compact(filterParams(filters)) },
    }),
  );
  return {
    window: wire.window,
    times: wire.buckets.map((bucket) => new Date(bucket).getTime() / 1000),
    groups: wire.names,
  };
}, "event-groups");

export interface EventQuery extends ViewFilters {
  name?: string;
  prop?: string;
  value?: string;
  cursor?: string;
}

export const getEvents = query(async (projectId: string, params: EventQuery) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/events", {
      params: {
        path: { projectId },
        query: compact({
          ...filterParams(params),
          name: params.name,
          propertyKey: params.prop,
          propertyValue: params.prop ? params.value : undefined,
          cursor: params.cursor,
        }),
      },
    }),
  );
  const page: Page<EventRow> = { items: wire.events, nextCursor: wire.nextCursor };
  return page;
}, "events");

export const getEvent = query(async (projectId: string, eventId: string) => {
  "use server";
  const event = await read(
    worker().GET("/api/projects/{projectId}/events/{eventId}", { params: { path: { projectId, eventId } } }),
  );
  return { event };
}, "event");
