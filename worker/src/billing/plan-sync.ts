import { apiKeys, type Database, type Plan, projects } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { invalidateKeyCache } from "../auth/api-keys.ts";
import type { Bindings } from "../env.ts";
import { meterClient } from "../meter/client.ts";

type Queryable = Pick<Database, "select">;

/**
 * Makes a plan change bite at once: every project's ProjectMeter takes the new plan (quota and
 * rate apply on its next admit), and cached key records, which carry the plan, are dropped.
 */
export async function pushPlanToOrg(env: Bindings, db: Queryable, orgId: string, plan: Plan): Promise<void> {
  const rows = await db
    .select({ projectId: projects.id, publicId: apiKeys.publicId })
    .from(projects)
    .leftJoin(apiKeys, eq(apiKeys.projectId, projects.id))
    .where(eq(projects.orgId, orgId));
  const projectIds = [...new Set(rows.map((row) => row.projectId))];
  // Throws when a meter is unreachable: the webhook fails and Stripe redelivers it (see MeterClient).
  const meters = meterClient(env);
  await Promise.all(projectIds.map((projectId) => meters.setPlan(projectId, plan)));
  await invalidateKeyCache(
    env,
    rows.flatMap((row) => (row.publicId ? [row.publicId] : [])),
  );
}
