/**
 * The Sentry envelope format (https://develop.sentry.dev/sdk/data-model/envelopes/), parsed as
 * bytes because an item's `length` counts bytes:
 *
 *   <envelope header JSON>\n
 *   <item header JSON>\n<payload>[\n<item header JSON>\n<payload>]…[\n]
 *
 * A payload is exactly `length` bytes when the item header has one (it may then contain newlines
 * and binary data), else it runs to the next newline. Blank lines between items and a trailing
 * newline are tolerated. Anything else is a malformed envelope.
 */

export interface EnvelopeItem {
  /** The item header; `type` is always a non-empty string. */
  header: Record<string, unknown> & { type: string };
  payload: Uint8Array;
}

export interface Envelope {
  header: Record<string, unknown>;
  items: EnvelopeItem[];
}

/** Far above what any SDK sends in one envelope; bounds the work one request can ask for. */
export const MAX_ENVELOPE_ITEMS = 1_000;

/** A malformed envelope; the message says where, so an SDK author can find the fault. */
export class EnvelopeError extends Error {
  override name = "EnvelopeError";
}

const NEWLINE = 0x0a;
const decoder = new TextDecoder();

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Parses one header line; `what` names it in the error. */
function parseHeader(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch {
    throw new EnvelopeError(`${what} is not valid JSON`);
  }
  if (!isObject(value)) throw new EnvelopeError(`${what} must be a JSON object`);
  return value;
}

function isBlank(bytes: Uint8Array): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  }
  return true;
}

export function parseEnvelope(body: Uint8Array): Envelope {
  let position = 0;
  /** The bytes up to the next newline (or the end), consuming the newline. */
  const readLine = (): Uint8Array => {
    let end = body.indexOf(NEWLINE, position);
    if (end === -1) end = body.length;
    const line = body.subarray(position, end);
    position = Math.min(body.length, end + 1);
    return line;
  };

  if (body.length === 0) throw new EnvelopeError("The envelope is empty");
  const headerLine = readLine();
  if (isBlank(headerLine)) throw new EnvelopeError("The envelope header (first line) is missing");
  const header = parseHeader(headerLine, "The envelope header (first line)");

  const items: EnvelopeItem[] = [];
  while (position < body.length) {
    const line = readLine();
    if (isBlank(line)) continue;
    const what = `The header of item ${items.length + 1}`;
    const itemHeader = parseHeader(line, what);
    if (typeof itemHeader.type !== "string" || itemHeader.type === "") {
      throw new EnvelopeError(`${what} has no "type"`);
    }
    if (items.length >= MAX_ENVELOPE_ITEMS) {
      throw new EnvelopeError(`The envelope has more than ${MAX_ENVELOPE_ITEMS} items`);
    }
    let payload: Uint8Array;
    const length = itemHeader.length;
    if (length !== undefined && length !== null) {
      if (typeof length !== "number" || !Number.isSafeInteger(length) || length < 0) {
        throw new EnvelopeError(`${what} has an invalid "length" (a byte count is expected)`);
      }
      if (position + length > body.length) {
        throw new EnvelopeError(
          `Item ${items.length + 1} (${itemHeader.type}) declares ${length} bytes but only ${body.length - position} remain`,
        );
      }
      payload = body.subarray(position, position + length);
      position += length;
      // The newline after a sized payload is optional (absent after the last item).
      if (body[position] === NEWLINE) position++;
    } else {
      payload = readLine();
    }
    items.push({ header: itemHeader as EnvelopeItem["header"], payload });
  }
  return { header, items };
}

/** Parses an item's payload as a JSON object. */
export function parseItemJson(item: EnvelopeItem, index: number): Record<string, unknown> {
  const what = `The payload of item ${index + 1} (${item.header.type})`;
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(item.payload));
  } catch {
    throw new EnvelopeError(`${what} is not valid JSON`);
  }
  if (!isObject(value)) throw new EnvelopeError(`${what} must be a JSON object`);
  return value;
}
