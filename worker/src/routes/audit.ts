import { createRoute, z } from "@hono/zod-openapi";
import { requireOrgRole } from "../auth/rbac.ts";
import type { App } from "../context.ts";
import {
  commonErrors,
  cookieAuth,
  decodeCursor,
  encodeCursor,
  jsonContent,
  OrgParams,
  PageQuery,
  Text,
} from "../lib/api.ts";
import { listAuditEntries } from "../services/audit.ts";

const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    action: z.string(),
    actor: z.object({ id: z.uuid(), email: z.string(), displayName: z.string() }).nullable(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    ip: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("AuditEntry");

const route = createRoute({
  method: "get",
  path: "/api/orgs/{orgId}/audit",
  tags: ["Organizations"],
  security: cookieAuth,
  summary: "The organization's audit log, newest first, cursor-paged (VIEWER+)",
  request: { params: OrgParams, query: z.object({ ...PageQuery, action: Text.max(100).optional() }) },
  responses: {
    200: jsonContent(z.object({ entries: z.array(AuditEntrySchema), nextCursor: z.string().nullable() })),
    ...commonErrors,
  },
});

export function registerAudit(app: App): void {
  app.openapi(route, async (c) => {
    const { org } = await requireOrgRole(c, c.req.valid("param").orgId, "VIEWER");
    const query = c.req.valid("query");
    const after = decodeCursor(query.cursor, ["number"]);
    const rows = await listAuditEntries(c.var.services.db(), org.id, {
      beforeId: after ? (after[0] as number) : null,
      action: query.action,
      limit: query.limit + 1,
    });
    const page = rows.slice(0, query.limit);
    return c.json(
      {
        entries: page.map(({ entry, actorEmail, actorName }) => ({
          id: entry.id,
          action: entry.action,
          actor:
            entry.actorUserId && actorEmail
              ? { id: entry.actorUserId, email: actorEmail, displayName: actorName ?? "" }
              : null,
          targetType: entry.targetType,
          targetId: entry.targetId,
          metadata: entry.metadata,
          ip: entry.ip,
          createdAt: entry.createdAt.toISOString(),
        })),
        nextCursor: rows.length > query.limit ? encodeCursor([page[page.length - 1].entry.id]) : null,
      },
      200,
    );
  });
}
