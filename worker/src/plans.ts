import type { Plan } from "@telemetry-tracker/db";

export interface PlanLimits {
  /** Ingest units per project per UTC month. */
  monthlyUnits: number;
  /** Ingest requests per second per project (token bucket; bursts up to one second's worth). */
  requestsPerSecond: number;
  /** Distinct `app` labels per project. */
  appLabels: number;
  projectsPerOrg: number;
  activeKeysPerProject: number;
  retentionDays: number;
}

/** DESIGN.md §7. Quotas are per project; billing is per organization. */
export const PLAN_LIMITS: Record<Plan, PlanLimits> = {
  FREE: {
    monthlyUnits: 250_000,
    requestsPerSecond: 20,
    appLabels: 5,
    projectsPerOrg: 1,
    activeKeysPerProject: 2,
    retentionDays: 14,
  },
  PRO: {
    monthlyUnits: 5_000_000,
    requestsPerSecond: 100,
    appLabels: 50,
    projectsPerOrg: 10,
    activeKeysPerProject: 10,
    retentionDays: 90,
  },
  BUSINESS: {
    monthlyUnits: 50_000_000,
    requestsPerSecond: 500,
    appLabels: 500,
    projectsPerOrg: 50,
    activeKeysPerProject: 50,
    retentionDays: 365,
  },
};

// A subscription in one of these states no longer pays for its tier; `past_due` still does (with a
// warning) so a failed card does not cut a customer off mid-retry.
const LAPSED_STATUSES = new Set(["canceled", "unpaid", "incomplete", "incomplete_expired"]);

/** The plan whose limits apply, given what was bought and the subscription's state. */
export function effectivePlan(org: { plan: Plan; subscriptionStatus: string | null }): Plan {
  if (org.plan === "FREE") return "FREE";
  if (org.subscriptionStatus && LAPSED_STATUSES.has(org.subscriptionStatus)) return "FREE";
  return org.plan;
}
