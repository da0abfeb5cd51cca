import { brotliDecompressSync } from "node:zlib";
import { ApiError } from "../errors.ts";
import { readCapped } from "../lib/read-capped.ts";
import { INGEST_LIMITS } from "./limits.ts";

const JSON_TYPES = new Set(["application/json", "text/plain"]);

/**
 * `Content-Encoding`s a body reader can undo. HTTP's `deflate` is zlib-wrapped, though some clients
 * send it raw; `br` comes from node:zlib (workerd's DecompressionStream has no brotli). zstd is not
 * available in workerd.
 */
export type BodyEncoding = "gzip" | "deflate" | "br";

function tooLarge(maxBytes: number, what: string): () => ApiError {
  return () => new ApiError("payload_too_large", `The body is larger than ${maxBytes} bytes ${what}`);
}

function inflate(bytes: Uint8Array, format: "gzip" | "deflate" | "deflate-raw"): Promise<Uint8Array> {
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream(format));
  return readCapped(stream, INGEST_LIMITS.decodedBytes, tooLarge(INGEST_LIMITS.decodedBytes, "once decompressed"));
}

async function decode(bytes: Uint8Array, encoding: string): Promise<Uint8Array> {
  const invalid = () => new ApiError("invalid_json", `The body is not valid ${encoding}`);
  if (encoding === "br") {
    try {
      return new Uint8Array(brotliDecompressSync(bytes, { maxOutputLength: INGEST_LIMITS.decodedBytes }));
    } catch (error) {
      if (error instanceof RangeError) {
        throw new ApiError(
          "payload_too_large",
          `The body is larger than ${INGEST_LIMITS.decodedBytes} bytes once decompressed`,
        );
      }
      throw invalid();
    }
  }
  const formats: Array<"gzip" | "deflate" | "deflate-raw"> =
    encoding === "deflate" ? ["deflate", "deflate-raw"] : ["gzip"];
  for (const format of formats) {
    try {
      return await inflate(bytes, format);
    } catch (error) {
      if (error instanceof ApiError) throw error;
    }
  }
  throw invalid();
}

/**
 * Reads a request body within the ingest limits: at most `wireBytes` as sent, at most
 * `decodedBytes` once `Content-Encoding` (gzip, deflate, br) is undone. Counted on the stream
 * itself, so neither a lying Content-Length nor a chunked body nor a compression bomb gets past them.
 */
export async function readBodyBytes(
  request: Request,
  accepted: readonly BodyEncoding[] = ["gzip"],
): Promise<Uint8Array> {
  let encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase() || "identity";
  if (encoding === "x-gzip") encoding = "gzip";
  if (encoding !== "identity" && !accepted.includes(encoding as BodyEncoding)) {
    throw new ApiError(
      "unsupported_media_type",
      `Content-Encoding ${encoding} is not supported; use ${accepted.join(", ")} or none`,
    );
  }
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > INGEST_LIMITS.wireBytes) {
    throw new ApiError("payload_too_large", `The body is larger than ${INGEST_LIMITS.wireBytes} bytes on the wire`);
  }
  if (!request.body) return new Uint8Array(0);
  const wire = await readCapped(
    request.body,
    INGEST_LIMITS.wireBytes,
    tooLarge(INGEST_LIMITS.wireBytes, "on the wire"),
  );
  if (encoding === "identity" || wire.byteLength === 0) return wire;
  return decode(wire, encoding);
}

/**
 * Reads a JSON ingest body within the limits (see readBodyBytes). `text/plain` is accepted so
 * browsers (and sendBeacon) can post without a CORS preflight.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (!JSON_TYPES.has(mediaType)) {
    throw new ApiError("unsupported_media_type", "Send JSON as application/json or text/plain");
  }
  const text = new TextDecoder().decode(await readBodyBytes(request));
  if (text.trim() === "") throw new ApiError("invalid_json", "The body is empty");
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("invalid_json", "The body is not valid JSON");
  }
}
