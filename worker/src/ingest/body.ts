import { ApiError } from "../errors.ts";
import { INGEST_LIMITS } from "./limits.ts";

const JSON_TYPES = new Set(["application/json", "text/plain"]);

async function readCapped(stream: ReadableStream<Uint8Array>, maxBytes: number, what: string): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new ApiError("payload_too_large", `The body is larger than ${maxBytes} bytes ${what}`);
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/**
 * Reads a JSON ingest body within the limits, counted on the stream itself so neither a lying
 * Content-Length nor a chunked body nor a gzip bomb gets past them. `text/plain` is accepted so
 * browsers (and sendBeacon) can post without a CORS preflight.
 */
export async function readJsonBody(request: Request): Promise<unknown> {
  const mediaType = (request.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (!JSON_TYPES.has(mediaType)) {
    throw new ApiError("unsupported_media_type", "Send JSON as application/json or text/plain");
  }
  const encoding = (request.headers.get("content-encoding") ?? "identity").trim().toLowerCase();
  if (encoding !== "identity" && encoding !== "gzip") {
    throw new ApiError("unsupported_media_type", `Content-Encoding ${encoding} is not supported; use gzip or none`);
  }
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > INGEST_LIMITS.wireBytes) {
    throw new ApiError("payload_too_large", `The body is larger than ${INGEST_LIMITS.wireBytes} bytes on the wire`);
  }
  if (!request.body) throw new ApiError("invalid_json", "The body is empty");

  let bytes: Uint8Array;
  if (encoding === "gzip") {
    // Both limits apply at once: the wire count is taken before decompression, the decoded after.
    const counted = request.body.pipeThrough(wireCounter(INGEST_LIMITS.wireBytes));
    try {
      bytes = await readCapped(
        counted.pipeThrough(new DecompressionStream("gzip")),
        INGEST_LIMITS.decodedBytes,
        "once decompressed",
      );
    } catch (error) {
      if (error instanceof ApiError) throw error;
      throw new ApiError("invalid_json", "The body is not valid gzip");
    }
  } else {
    bytes = await readCapped(request.body, INGEST_LIMITS.wireBytes, "on the wire");
  }

  const text = new TextDecoder().decode(bytes);
  if (text.trim() === "") throw new ApiError("invalid_json", "The body is empty");
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("invalid_json", "The body is not valid JSON");
  }
}

function wireCounter(maxBytes: number): TransformStream<Uint8Array, Uint8Array> {
  let total = 0;
  return new TransformStream({
    transform(chunk, controller) {
      total += chunk.byteLength;
      if (total > maxBytes) {
        controller.error(new ApiError("payload_too_large", `The body is larger than ${maxBytes} bytes on the wire`));
        return;
      }
      controller.enqueue(chunk);
    },
  });
}
