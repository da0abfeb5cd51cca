import type { Database } from "@telemetry-tracker/db";
import { sql } from "drizzle-orm";
import { rows } from "./sql.ts";

export interface OutcomeCount {
  month: string;
  source: "client" | "ignored";
  category: string;
  reason: string;
  quantity: number;
}

/** The Sentry intake's outcome counters of the latest `months` months that have any, largest first. */
export async function outcomesByMonth(db: Database, projectId: string, months = 3): Promise<OutcomeCount[]> {
  return rows<OutcomeCount>(
    db,
    sql`select month, source, category, reason, quantity::float8 as quantity from intake_outcomes
        where project_id = ${projectId}
          and month in (select distinct month from intake_outcomes where project_id = ${projectId}
                        order by month desc limit ${months})
        order by month desc, quantity desc, source, category, reason`,
  );
}
