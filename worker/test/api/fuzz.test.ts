import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { withDatabase } from "../helpers/db.ts";
import { call, createWorld, json, sessionCookieFor } from "./helpers.ts";

/**
 * Every /api operation in the OpenAPI document (so a new route is fuzzed without being listed
 * here), its query and JSON body filled from its own schema with hostile values: strings over the
 * whole UTF-16 range (NUL, lone surrogates, U+FFFF), wrong types, huge numbers. Whatever comes in,
 * the answer is never a 5xx.
 */

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  $ref?: string;
}
interface Operation {
  parameters?: Array<{ name: string; in: string; schema?: Schema }>;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

const hostileString = fc.oneof(
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("\u0000", "a\u0000b", "\ud800", "x\udfff", "\uffff", "", " ", "%00", "null", "' or 1=1 --"),
  fc.string({ maxLength: 300 }),
);

function valueFor(schema: Schema | undefined, doc: Doc, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  if (schema.$ref) return valueFor(doc.components?.schemas?.[schema.$ref.split("/").pop() ?? ""], doc, depth + 1);
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return fc.oneof(...options.map((s) => valueFor(s, doc, depth + 1)));
  const wrong = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), hostileString);
  if (schema.enum) return fc.oneof(fc.constantFrom(...schema.enum), hostileString);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "string":
      return hostileString;
    case "integer":
    case "number":
      return fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 63, -1, 0), hostileString);
    case "boolean":
      return fc.oneof(fc.boolean(), wrong);
    case "array":
      return fc.oneof(fc.array(valueFor(schema.items, doc, depth + 1), { maxLength: 5 }), wrong);
    case "object":
      return fc.oneof(
        fc.record(
          Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, valueFor(s, doc, depth + 1)])),
          { requiredKeys: [] },
        ),
        wrong,
      );
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A query value as it would arrive in a URL: always text. */
const asQueryText = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value ?? ""));

let doc: Doc;
let world: Awaited<ReturnType<typeof createWorld>>;

beforeAll(async () => {
  world = await withDatabase((db) => createWorld(db));
  doc = await json<Doc>(await call("/openapi.json"));
});

function operations(): Array<{ method: string; template: string; operation: Operation }> {
  const list: Array<{ method: string; template: string; operation: Operation }> = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    if (!template.startsWith("/api/")) continue;
    for (const [method, operation] of Object.entries(methods)) {
      list.push({ method: method.toUpperCase(), template, operation });
    }
  }
  return list;
}

function pathFor(template: string): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (name === "orgId") return world.org.id;
    if (name === "projectId") return world.project.id;
    if (name === "token") return "0".repeat(64);
    if (name === "sessionRowId") return "1";
    return crypto.randomUUID();
  });
}

describe("fuzzing every /api route's query and body", () => {
  it("the document lists the routes (the fuzz below covers each)", () => {
    expect(operations().length).toBeGreaterThan(40);
  });

  it("no input makes any /api route answer 5xx", async () => {
    let calls = 0;
    for (const { method, template, operation } of operations()) {
      const queryParams = (operation.parameters ?? []).filter((p) => p.in === "query");
      const bodySchema = operation.requestBody?.content?.["application/json"]?.schema;
      if (queryParams.length === 0 && !bodySchema) continue;
      // A fresh session per route: sign-out and password routes may end the one before.
      const cookie = await withDatabase((db) => sessionCookieFor(db, world.members.OWNER.id));
      const input = fc.record({
        query: fc.record(Object.fromEntries(queryParams.map((p) => [p.name, valueFor(p.schema, doc)])), {
          requiredKeys: [],
        }),
        body: bodySchema ? valueFor(bodySchema, doc) : fc.constant(undefined),
      });
      await fc.assert(
        fc.asyncProperty(input, async ({ query, body }) => {
          const search = new URLSearchParams();
          for (const [name, value] of Object.entries(query)) search.set(name, asQueryText(value));
          const qs = search.size > 0 ? `?${search}` : "";
          const response = await call(`${pathFor(template)}${qs}`, {
            method,
            cookie,
            ...(method === "GET" ? {} : { body: body ?? {} }),
          });
          calls++;
          const text = await response.text();
          if (response.status >= 500) {
            throw new Error(`${method} ${template}${qs} answered ${response.status}: ${text.slice(0, 300)}`);
          }
        }),
        { numRuns: 12 },
      );
    }
    expect(calls).toBeGreaterThan(200);
  }, 300_000);
});
