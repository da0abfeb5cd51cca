import { z } from "zod";
import { ApiError } from "../errors.ts";
import { readCapped } from "../lib/read-capped.ts";
import { SOURCEMAP_LIMITS } from "./limits.ts";
import { checkSourceMap } from "./validate.ts";

export interface UploadInput {
  app: string;
  release: string;
  bundleUrl: string;
  debugId: string | null;
  /** The map's bytes, checked to be a version 3 map with `mappings`. */
  mapBytes: Uint8Array;
}

const WIRE_LIMIT = SOURCEMAP_LIMITS.mapBytes + SOURCEMAP_LIMITS.envelopeBytes;

const fieldsSchema = z.object({
  app: z.string().trim().min(1).max(128),
  release: z.string().trim().min(1).max(200),
  bundle_url: z.string().trim().min(1).max(SOURCEMAP_LIMITS.fieldChars),
  debug_id: z
    .string()
    .trim()
    .regex(/^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i, "must be a UUID")
    .optional(),
});

function tooLarge(): ApiError {
  return new ApiError(
    "payload_too_large",
    `A source map may be at most ${SOURCEMAP_LIMITS.mapBytes} bytes (${SOURCEMAP_LIMITS.mapBytes / 1024 / 1024} MB)`,
    { details: { limitBytes: SOURCEMAP_LIMITS.mapBytes } },
  );
}

function fieldsFrom(raw: Record<string, unknown>) {
  const result = fieldsSchema.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues.map((issue) => ({ path: issue.path.join("."), message: issue.message }));
    throw new ApiError("validation_failed", `Invalid upload: ${details[0]?.path}: ${details[0]?.message}`, { details });
  }
  return result.data;
}

async function fromJson(bytes: Uint8Array): Promise<{ fields: Record<string, unknown>; map: Uint8Array }> {
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ApiError("invalid_json", "The body is not valid JSON");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new ApiError("validation_failed", "The body must be an object with app, release, bundle_url and map");
  }
  const { map, ...fields } = body as Record<string, unknown>;
  if (typeof map === "string") return { fields, map: new TextEncoder().encode(map) };
  if (typeof map === "object" && map !== null) return { fields, map: new TextEncoder().encode(JSON.stringify(map)) };
  throw new ApiError("validation_failed", "`map` is required: the source map as a JSON object or string", {
    details: [{ path: "map", message: "Required" }],
  });
}

async function fromMultipart(bytes: Uint8Array, contentType: string) {
  let form: FormData;
  try {
    form = await new Response(bytes, { headers: { "content-type": contentType } }).formData();
  } catch {
    throw new ApiError("bad_request", "The multipart body could not be parsed");
  }
  const fields: Record<string, unknown> = {};
  for (const name of ["app", "release", "bundle_url", "debug_id"]) {
    const value = form.get(name);
    if (typeof value === "string") fields[name] = value;
  }
  const map = form.get("map");
  if (map === null) {
    throw new ApiError("validation_failed", "`map` is required: the source map as a file part", {
      details: [{ path: "map", message: "Required" }],
    });
  }
  return {
    fields,
    map: typeof map === "string" ? new TextEncoder().encode(map) : new Uint8Array(await map.arrayBuffer()),
  };
}

/**
 * An upload as JSON (`{ app, release, bundle_url, debug_id?, map }`) or multipart/form-data (the
 * same fields, `map` as a file part). 413 beyond the size limit, 400 for a map that is not a
 * version 3 map with `mappings`.
 */
export async function readUpload(request: Request): Promise<UploadInput> {
  const contentType = request.headers.get("content-type") ?? "";
  const mediaType = contentType.split(";")[0].trim().toLowerCase();
  if (mediaType !== "application/json" && mediaType !== "multipart/form-data") {
    throw new ApiError("unsupported_media_type", "Send the upload as application/json or multipart/form-data");
  }
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity") throw new ApiError("unsupported_media_type", "Send the upload uncompressed");
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > WIRE_LIMIT) throw tooLarge();
  if (!request.body) throw new ApiError("validation_failed", "The body is empty");

  const bytes = await readCapped(request.body, WIRE_LIMIT, tooLarge);
  const { fields, map } =
    mediaType === "application/json" ? await fromJson(bytes) : await fromMultipart(bytes, contentType);
  const valid = fieldsFrom(fields);
  if (map.byteLength > SOURCEMAP_LIMITS.mapBytes) throw tooLarge();
  const check = checkSourceMap(new TextDecoder().decode(map));
  if (!check.ok) throw new ApiError("invalid_sourcemap", check.reason);
  return {
    app: valid.app,
    release: valid.release,
    bundleUrl: valid.bundle_url,
    debugId: valid.debug_id ?? (String(check.map.debugId ?? check.map.debug_id ?? "").slice(0, 128) || null),
    mapBytes: map,
  };
}
