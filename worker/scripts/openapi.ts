import { registerHooks } from "node:module";
import { fileURLToPath } from "node:url";

/**
 * The Worker's OpenAPI document built from its app definition in plain Node: no server, no
 * workerd, no database. The dashboard generates its API types from it (`dashboard/scripts/api-types.ts`).
 * `node worker/scripts/openapi.ts` prints it.
 */

// Only the ProjectMeter's base class comes from the workerd runtime; describing the routes never
// constructs it, so an empty class lets the module graph load in Node.
registerHooks({
  resolve(specifier, context, nextResolve) {
    if (specifier === "cloudflare:workers") {
      return { url: "data:text/javascript,export class DurableObject {}", shortCircuit: true };
    }
    return nextResolve(specifier, context);
  },
});

interface WorkerModules {
  app: { getOpenAPI31Document(header: unknown): unknown };
  OPENAPI_HEADER: unknown;
}

export async function buildOpenApiDocument(): Promise<unknown> {
  // Imported by URL so this Node-typed script is not typechecked against the Worker's runtime types
  // (the Worker's own tsconfig checks those files).
  const { app } = (await import(new URL("../src/index.ts", import.meta.url).href)) as Pick<WorkerModules, "app">;
  const { OPENAPI_HEADER } = (await import(new URL("../src/routes/openapi.ts", import.meta.url).href)) as Pick<
    WorkerModules,
    "OPENAPI_HEADER"
  >;
  return app.getOpenAPI31Document(OPENAPI_HEADER);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`);
}
