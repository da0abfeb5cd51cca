import { query } from "@solidjs/router";
import { read, worker } from "../server/worker";
import type { Page, SessionDetail, SessionSummary } from "../types";
import { toSession } from "./mappers";
import { compact, filterParams, type ViewFilters } from "./params";

export const getSessions = query(
  async (projectId: string, params: ViewFilters & { cursor?: string; userId?: string }) => {
    "use server";
    const wire = await read(
      worker().GET("/api/projects/{projectId}/sessions", {
        params: {
          path: { projectId },
          query: compact({ ...filterParams(params), userId: params.userId, cursor: params.cursor }),
        },
      }),
    );
    const page: Page<SessionSummary> = { items: wire.sessions.map(toSession), nextCursor: wire.nextCursor };
    return page;
  },
  "sessions",
);

export const getSession = query(async (projectId: string, sessionRowId: string) => {
  "use server";
  const wire = await read(
    worker().GET("/api/projects/{projectId}/sessions/{sessionRowId}", {
      params: { path: { projectId, sessionRowId } },
    }),
  );
  const detail: SessionDetail = {
    ...toSession(wire.session),
    truncated: wire.truncated,
    timeline: wire.timeline.map((item) =>
      item.kind === "error"
        ? {
            kind: "error",
            id: item.id,
            timestamp: item.timestamp,
            message: item.message ?? item.name,
            issueId: item.groupId,
          }
        : {
            kind: "event",
            id: item.id,
            timestamp: item.timestamp,
            name: item.name,
            properties: item.properties ?? undefined,
          },
    ),
  };
  return detail;
}, "session");
