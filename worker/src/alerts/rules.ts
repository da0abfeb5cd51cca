import { z } from "@hono/zod-openapi";
import { type AlertRule, type AlertRuleKind, alertRules, type Database } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import type { ErrorRow, EventRow } from "../meter/buffered-row.ts";

/** Limits of the rules surface (README "Alerts"). */
export const ALERT_LIMITS = {
  customRulesPerProject: 20,
  destinationsPerProject: 20,
  defaultCooldownSeconds: 15 * 60,
  maxCooldownSeconds: 7 * 24 * 60 * 60,
  /** Longest window a custom count rule or a spike may look at; the minute counts are kept 2 days. */
  maxWindowMinutes: 24 * 60,
} as const;

const conditionText = z.string().trim().min(1).max(200);

/** AND-conditions over a row's fields. Which ones apply depends on the rule's target. */
export const CustomConditions = z
  .object({
    eventName: conditionText.optional().openapi({ description: "Events only: the event name equals" }),
    errorType: conditionText.optional().openapi({ description: "Errors only: the exception type equals" }),
    messageContains: conditionText
      .optional()
      .openapi({ description: "Errors only: the message contains (case-insensitive)" }),
    level: z.enum(["fatal", "error", "warning", "info", "debug"]).optional().openapi({ description: "Errors only" }),
    app: conditionText.optional(),
    environment: conditionText.optional(),
    release: conditionText.optional(),
  })
  .strict()
  .openapi("AlertConditions");

export const CustomParams = z
  .object({
    target: z.enum(["errors", "events"]),
    conditions: CustomConditions.default({}),
    count: z
      .object({
        threshold: z.number().int().min(1).max(10_000_000),
        windowMinutes: z.number().int().min(1).max(ALERT_LIMITS.maxWindowMinutes),
      })
      .strict()
      .optional()
      .openapi({ description: "Fire when this many matching rows arrive within the window (checked every minute)" }),
  })
  .strict()
  .superRefine((params, ctx) => {
    const { conditions, target } = params;
    const errorOnly = (["errorType", "messageContains", "level"] as const).filter((field) => conditions[field]);
    if (target === "events" && errorOnly.length > 0) {
      for (const field of errorOnly) {
        ctx.addIssue({ code: "custom", path: ["conditions", field], message: `${field} applies to errors only` });
      }
    }
    if (target === "errors" && conditions.eventName) {
      ctx.addIssue({ code: "custom", path: ["conditions", "eventName"], message: "eventName applies to events only" });
    }
  })
  .openapi("CustomRuleParams");
export type CustomParams = z.infer<typeof CustomParams>;

export const SpikeParams = z
  .object({
    windowMinutes: z.number().int().min(1).max(60).default(5),
    baselineMinutes: z.number().int().min(10).max(ALERT_LIMITS.maxWindowMinutes).default(60),
    multiplier: z.number().min(1).max(1000).default(3),
    floor: z.number().int().min(1).max(10_000_000).default(10),
  })
  .strict()
  .openapi("SpikeRuleParams");
export type SpikeParams = z.infer<typeof SpikeParams>;

export const QuotaNearParams = z
  .object({ percent: z.number().int().min(1).max(99).default(90) })
  .strict()
  .openapi("QuotaNearRuleParams");

const EmptyParams = z.object({}).strict();

/** Params schema per kind: what the API accepts and what evaluation trusts. */
export const PARAMS_BY_KIND: Record<AlertRuleKind, z.ZodType> = {
  new_issue: EmptyParams,
  regression: EmptyParams,
  error_spike: SpikeParams,
  quota_near: QuotaNearParams,
  quota_exceeded: EmptyParams,
  custom: CustomParams,
};

interface BuiltinDefault {
  name: string;
  params: Record<string, unknown>;
  /** null: the fact itself happens once (a new group, a month's crossing), no cooldown needed. */
  cooldownSeconds: number | null;
}

export const BUILTIN_DEFAULTS: Record<Exclude<AlertRuleKind, "custom">, BuiltinDefault> = {
  new_issue: { name: "New issue", params: {}, cooldownSeconds: null },
  regression: { name: "Regression (a resolved issue seen again)", params: {}, cooldownSeconds: null },
  error_spike: {
    name: "Error spike",
    params: SpikeParams.parse({}),
    cooldownSeconds: ALERT_LIMITS.defaultCooldownSeconds,
  },
  quota_near: { name: "Monthly quota nearly used", params: QuotaNearParams.parse({}), cooldownSeconds: null },
  quota_exceeded: { name: "Monthly quota used up", params: {}, cooldownSeconds: null },
};

/** A rule as evaluation sees it: a stored row, or a built-in's defaults when none is stored yet. */
export interface EffectiveRule {
  /** Stored row id; null for a built-in never configured. */
  id: string | null;
  kind: AlertRuleKind;
  name: string;
  enabled: boolean;
  params: Record<string, unknown>;
  cooldownSeconds: number | null;
  destinationIds: string[] | null;
}

/** The cooldown gate's key: the stored id, or the kind for a built-in without a row. */
export const ruleKey = (rule: EffectiveRule): string => rule.id ?? rule.kind;

function fromRow(row: AlertRule): EffectiveRule {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    enabled: row.enabled,
    params: row.params,
    cooldownSeconds: row.cooldownSeconds,
    destinationIds: row.destinationIds,
  };
}

/** Every rule of a project, built-ins first (defaults for those never stored). */
export async function loadRules(db: Database, projectId: string): Promise<EffectiveRule[]> {
  const rows = await db.select().from(alertRules).where(eq(alertRules.projectId, projectId));
  const builtins = (Object.keys(BUILTIN_DEFAULTS) as Array<keyof typeof BUILTIN_DEFAULTS>).map((kind) => {
    const stored = rows.find((row) => row.kind === kind);
    if (stored) return fromRow(stored);
    const defaults = BUILTIN_DEFAULTS[kind];
    return { id: null, kind, enabled: true, destinationIds: null, ...defaults };
  });
  return [...builtins, ...rows.filter((row) => row.kind === "custom").map(fromRow)];
}

/** Inserts the built-in rows a project does not have yet, so each has an id the API can address. */
export async function materializeBuiltins(db: Database, projectId: string): Promise<void> {
  await db
    .insert(alertRules)
    .values(
      (Object.keys(BUILTIN_DEFAULTS) as Array<keyof typeof BUILTIN_DEFAULTS>).map((kind) => ({
        projectId,
        kind,
        name: BUILTIN_DEFAULTS[kind].name,
        params: BUILTIN_DEFAULTS[kind].params,
        cooldownSeconds: BUILTIN_DEFAULTS[kind].cooldownSeconds,
      })),
    )
    .onConflictDoNothing();
}

/** Whether a flushed row satisfies every condition of a custom rule. */
export function matchesCustom(params: CustomParams, row: EventRow | ErrorRow): boolean {
  if (params.target === "events" ? row.kind !== "event" : row.kind !== "error") return false;
  const c = params.conditions;
  if (c.app !== undefined && row.app !== c.app) return false;
  if (c.environment !== undefined && row.environment !== c.environment) return false;
  if (c.release !== undefined && row.release !== c.release) return false;
  if (row.kind === "event") return c.eventName === undefined || row.name === c.eventName;
  if (c.errorType !== undefined && row.type !== c.errorType) return false;
  if (c.level !== undefined && row.level !== c.level) return false;
  if (c.messageContains !== undefined && !row.message.toLowerCase().includes(c.messageContains.toLowerCase())) {
    return false;
  }
  return true;
}

/** Parses stored custom params; a row that no longer parses (hand-edited) is skipped, not fatal. */
export function customParamsOf(rule: EffectiveRule): CustomParams | null {
  const parsed = CustomParams.safeParse(rule.params);
  return parsed.success ? parsed.data : null;
}
