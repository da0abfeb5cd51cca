import { z } from "zod";
import { INGEST_LIMITS as L } from "./limits.ts";

/** JSON object bounded in depth, keys, node count and size, so no client can make us walk forever. */
function measureJson(value: unknown, depth: number, budget: { nodes: number }): string | null {
  if (--budget.nodes < 0) return `more than ${L.jsonNodes} values`;
  if (value === null || typeof value !== "object") return null;
  if (depth > L.jsonDepth) return `nested deeper than ${L.jsonDepth} levels`;
  const entries = Array.isArray(value) ? value : Object.values(value);
  if (!Array.isArray(value) && entries.length > L.jsonKeysPerObject) {
    return `an object has more than ${L.jsonKeysPerObject} keys`;
  }
  for (const entry of entries) {
    const problem = measureJson(entry, depth + 1, budget);
    if (problem) return problem;
  }
  return null;
}

const boundedObject = z.record(z.string().max(L.shortString), z.unknown()).superRefine((value, ctx) => {
  const problem = measureJson(value, 1, { nodes: L.jsonNodes });
  if (problem) ctx.addIssue({ code: "custom", message: `too large: ${problem}` });
  else if (JSON.stringify(value).length > L.jsonBytes) {
    ctx.addIssue({ code: "custom", message: `too large: more than ${L.jsonBytes} bytes of JSON` });
  }
});

const short = z.string().max(L.shortString);
const optionalShort = short.nullish();

/** ISO 8601 or epoch milliseconds, as the SDKs send either. */
const timestamp = z.union([
  z.number().finite().nonnegative(),
  z
    .string()
    .max(64)
    .refine((text) => !Number.isNaN(Date.parse(text)), "not an ISO 8601 date"),
]);

const app = z.string().trim().min(1).max(L.appLength);

const clientContext = {
  app,
  event_id: z.uuid().optional(),
  timestamp: timestamp.optional(),
  platform: optionalShort,
  environment: optionalShort,
  release: optionalShort,
  user_id: optionalShort,
  anonymous_id: optionalShort,
  session_id: optionalShort,
  url: z.string().max(L.urlLength).nullish(),
  sdk: z.object({ name: short.optional(), version: short.optional() }).nullish(),
  // The original SDKs sent these flat.
  sdk_name: optionalShort,
  sdk_version: optionalShort,
};

export const eventSchema = z.object({
  ...clientContext,
  name: z.string().trim().min(1).max(L.nameLength),
  properties: boundedObject.nullish(),
});

const frameSchema = z.object({
  file: z.string().max(1024).nullish(),
  function: z.string().max(512).nullish(),
  line: z.number().int().nonnegative().nullish(),
  column: z.number().int().nonnegative().nullish(),
  in_app: z.boolean().nullish(),
});

const breadcrumbSchema = z.object({
  timestamp: timestamp.optional(),
  category: optionalShort,
  message: z.string().max(1024).nullish(),
  level: optionalShort,
  data: boundedObject.nullish(),
});

export const errorSchema = z.object({
  ...clientContext,
  name: z.string().trim().max(L.nameLength).nullish(),
  message: z.string().min(1).max(L.messageLength),
  /** The exception's type on /ingest/error; in a batch `type` tags the item, so use `error_type`. */
  type: optionalShort,
  error_type: optionalShort,
  stack: z.string().max(L.stackLength).nullish(),
  frames: z.array(frameSchema).max(L.frames).nullish(),
  level: z.enum(["fatal", "error", "warning", "info", "debug"]).nullish(),
  handled: z.boolean().nullish(),
  fingerprint: z.array(z.string().max(L.shortString)).min(1).max(L.fingerprintParts).nullish(),
  tags: z
    .record(z.string().max(L.shortString), z.string().max(L.shortString))
    .nullish()
    .superRefine((tags, ctx) => {
      if (tags && Object.keys(tags).length > L.tags)
        ctx.addIssue({ code: "custom", message: `more than ${L.tags} tags` });
    }),
  context: boundedObject.nullish(),
  properties: boundedObject.nullish(),
  breadcrumbs: z.array(breadcrumbSchema).max(L.breadcrumbs).nullish(),
});

export const sessionSchema = z.object({
  session_id: z.string().trim().min(1).max(L.shortString),
  app,
  action: z.enum(["start", "update", "end"]).default("start"),
  event_id: z.uuid().optional(),
  started_at: timestamp.optional(),
  ended_at: timestamp.nullish(),
  timestamp: timestamp.optional(),
  status: z.enum(["ok", "errored", "crashed", "abnormal"]).nullish(),
  release: optionalShort,
  environment: optionalShort,
  user_id: optionalShort,
  anonymous_id: optionalShort,
  browser: optionalShort,
  os: optionalShort,
  device: optionalShort,
  country: optionalShort,
  platform: optionalShort,
  sdk: z.object({ name: short.optional(), version: short.optional() }).nullish(),
  sdk_name: optionalShort,
  sdk_version: optionalShort,
});

// An item without `type` is an event: that is what the original SDKs sent.
const batchItemSchema = z.discriminatedUnion("type", [
  eventSchema.extend({ type: z.literal("event") }),
  errorSchema.extend({ type: z.literal("error") }),
  sessionSchema.extend({ type: z.literal("session") }),
]);

export const batchSchema = z.object({
  events: z
    .array(
      z.preprocess(
        (item) =>
          item && typeof item === "object" && !Array.isArray(item) && !("type" in item)
            ? { ...item, type: "event" }
            : item,
        batchItemSchema,
      ),
    )
    .min(1)
    .max(L.batchItems),
});

export type EventInput = z.infer<typeof eventSchema>;
export type ErrorInput = z.infer<typeof errorSchema>;
export type SessionInput = z.infer<typeof sessionSchema>;
export type BatchItem =
  | ({ type: "event" } & EventInput)
  | ({ type: "error" } & ErrorInput)
  | ({ type: "session" } & SessionInput);
