import { query } from "@solidjs/router";
import { read, worker } from "../server/worker";
import type { SearchResults } from "../types";

/** What the results page shows: the hits, or why the Worker refused the query (each bad token named). */
export type SearchAnswer = { ok: true; results: SearchResults } | { ok: false; problems: string[] };

/** Results per kind on the results page. */
const PER_KIND = 10;

export const searchProject = query(async (projectId: string, q: string): Promise<SearchAnswer> => {
  "use server";
  const answer = await worker().GET("/api/projects/{projectId}/search", {
    params: { path: { projectId }, query: { q, limit: PER_KIND } },
  });
  if (answer.response.status === 400) {
    const envelope = answer.error as {
      error?: { message?: string; details?: Array<{ message: string; token?: string }> };
    };
    const details = envelope.error?.details ?? [];
    const problems = details.map((d) => (d.token ? `${d.message} (“${d.token}”)` : d.message));
    return { ok: false, problems: problems.length > 0 ? problems : [envelope.error?.message ?? "Invalid search"] };
  }
  return { ok: true, results: await read(Promise.resolve(answer)) };
}, "search");
