import { createRoute, z } from "@hono/zod-openapi";
import { requireProjectRole } from "../auth/rbac.ts";
import type { App } from "../context.ts";
import { commonErrors, cookieAuth, jsonContent, orRefuse, ProjectParams, Text } from "../lib/api.ts";
import { resolveWindow } from "../services/reads/range.ts";
import { COUNT_CAP, search } from "../services/reads/search.ts";
import { ISSUE_STATUSES, MAX_QUERY_LENGTH, parseSearchQuery } from "../services/reads/search-query.ts";
import { IssueSchema } from "./issues.ts";
import { SessionSummarySchema } from "./sessions.ts";

const kindOf = <T extends z.ZodType>(item: T) =>
  z.object({
    searched: z.boolean().openapi({ description: "False when a token of the query does not apply to this kind" }),
    count: z.number().openapi({ description: `Matches, exact up to ${COUNT_CAP}` }),
    countCapped: z.boolean().openapi({ description: `More than ${COUNT_CAP} matches` }),
    items: z.array(item),
  });

const EventNameHit = z.object({ name: z.string(), count: z.number(), lastSeen: z.string() }).openapi("SearchEventName");
const UserHit = z
  .object({
    userKey: z.string().openapi({ description: "User id, or the anonymous id of sessions without one" }),
    lastSeen: z.string().openapi({ description: "Last UTC day with a session in the range" }),
  })
  .openapi("SearchUser");
const ReleaseHit = z
  .object({ release: z.string(), sessions: z.number(), lastSeen: z.string() })
  .openapi("SearchRelease");

const route = createRoute({
  method: "get",
  path: "/api/projects/{projectId}/search",
  tags: ["Read"],
  security: cookieAuth,
  summary: "Search issues, event names, sessions, users and releases; results grouped by kind with counts",
  description: [
    'Free text (words and `"quoted phrases"`, at least 3 characters each, all must match) is a',
    "case-insensitive substring of: an issue's message, type or fingerprint; an event name; a session id;",
    "a user or anonymous id; a release. Tokens narrow: `user:<id>`, `release:<name>`, `environment:<name>`,",
    `\`is:${ISSUE_STATUSES.join("|")}\` (issues only), \`range:1h|24h|7d|30d\` (default 30d). A kind a token`,
    "does not apply to is not searched (`searched: false`): event names carry no user or release.",
  ].join(" "),
  request: {
    params: ProjectParams,
    query: z.object({
      q: Text.min(1).max(MAX_QUERY_LENGTH),
      limit: z.coerce.number().int().min(1).max(20).default(5).openapi({ description: "Results per kind" }),
    }),
  },
  responses: {
    200: jsonContent(
      z
        .object({
          query: z.object({
            terms: z.array(z.string()),
            user: z.string().optional(),
            release: z.string().optional(),
            environment: z.string().optional(),
            status: z.enum(ISSUE_STATUSES).optional(),
            range: z.enum(["1h", "24h", "7d", "30d"]),
          }),
          window: z.object({ from: z.string(), to: z.string() }),
          issues: kindOf(IssueSchema),
          events: kindOf(EventNameHit),
          sessions: kindOf(SessionSummarySchema),
          users: kindOf(UserHit),
          releases: kindOf(ReleaseHit),
        })
        .openapi("SearchResults"),
    ),
    ...commonErrors,
  },
});

export function registerSearch(app: App): void {
  app.openapi(route, async (c) => {
    const { project } = await requireProjectRole(c, c.req.valid("param").projectId, "VIEWER");
    const { q, limit } = c.req.valid("query");
    const query = orRefuse(parseSearchQuery(q));
    const range = query.range ?? "30d";
    const results = await search(c.var.services.db(), project.id, query, resolveWindow({ range }), limit);
    return c.json({ query: { ...query, range }, ...results }, 200);
  });
}
