import { sha256Hex } from "@telemetry-tracker/db";

export interface Frame {
  file: string | null;
  function: string | null;
  line: number | null;
  column: number | null;
  in_app: boolean;
}

const V8_FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?\s*$/;
const GECKO_FRAME = /^\s*(.*?)@(.+?):(\d+):(\d+)\s*$/;
const NOT_IN_APP = /node_modules|^node:|^internal\/|^native|<anonymous>|^(chrome|moz|safari)-extension:/;

export function isInApp(file: string | null): boolean {
  return Boolean(file) && !NOT_IN_APP.test(file as string);
}

/** V8 (`at fn (file:1:2)`) and Gecko/WebKit (`fn@file:1:2`) stack lines; unknown lines are skipped. */
export function parseStack(stack: string, maxFrames = 100): Frame[] {
  const frames: Frame[] = [];
  for (const line of stack.split("\n")) {
    if (frames.length >= maxFrames) break;
    const match = V8_FRAME.exec(line) ?? GECKO_FRAME.exec(line);
    if (!match) continue;
    const file = match[2];
    frames.push({
      function: match[1] || null,
      file,
      line: Number(match[3]),
      column: Number(match[4]),
      in_app: isInApp(file),
    });
  }
  return frames;
}

/** Replaces the parts of a message that vary between occurrences of the same bug. */
export function normalizeMessage(message: string): string {
  return message
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, "<uuid>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
    .replace(/\b[0-9a-f]*\d[0-9a-f]*[a-f][0-9a-f]*\b|\b[0-9a-f]*[a-f][0-9a-f]*\d[0-9a-f]*\b/gi, (token) =>
      token.length >= 8 ? "<hex>" : token,
    )
    .replace(/(["'`])(?:(?!\1).){0,200}\1/g, "<str>")
    .replace(/\d+(\.\d+)?/g, "<n>")
    .slice(0, 500);
}

/** The file as the same code is named everywhere: no origin, query, or content hash in bundle names. */
export function normalizeFile(file: string): string {
  return file
    .replace(/^[a-z]+:\/\/[^/]+/i, "")
    .replace(/[?#].*$/, "")
    .replace(/([.-])[0-9a-f]{6,}(?=\.\w+$)/i, "$1<hash>");
}

const FRAMES_IN_FINGERPRINT = 5;

export interface FingerprintInput {
  type: string;
  message: string;
  frames: Frame[];
  fingerprint?: string[] | null;
}

/** Sentry's fingerprint variable for "the grouping you would have done anyway". */
const DEFAULT_PART = /^\{\{\s*default\s*\}\}$/i;

/**
 * Groups errors: exception type, the normalised message and the top in-app frames (file and
 * function, never line or column, so a rebuild does not split a group). A client fingerprint wins;
 * a `{{ default }}` part in it stands for the default fingerprint (Sentry's convention), so
 * `["{{ default }}"]` alone groups exactly as no fingerprint does.
 */
export async function computeFingerprint(input: FingerprintInput): Promise<string> {
  const custom = input.fingerprint ?? [];
  if (custom.length > 0 && !custom.every((part) => DEFAULT_PART.test(part))) {
    const ours = custom.some((part) => DEFAULT_PART.test(part)) ? await defaultFingerprint(input) : "";
    return sha256Hex(["custom", ...custom.map((part) => (DEFAULT_PART.test(part) ? ours : part))].join("\n"));
  }
  return defaultFingerprint(input);
}

function defaultFingerprint(input: FingerprintInput): Promise<string> {
  const inApp = input.frames.filter((frame) => frame.in_app);
  const significant = (inApp.length > 0 ? inApp : input.frames).slice(0, FRAMES_IN_FINGERPRINT);
  const frameKeys = significant.map((frame) => `${normalizeFile(frame.file ?? "?")}|${frame.function ?? "?"}`);
  return sha256Hex([input.type, normalizeMessage(input.message), ...frameKeys].join("\n"));
}

/** `function (file)` of the top in-app frame: the group's subtitle. */
export function culpritOf(frames: Frame[]): string | null {
  const top = frames.find((frame) => frame.in_app) ?? frames[0];
  if (!top) return null;
  return `${top.function ?? "<anonymous>"} (${normalizeFile(top.file ?? "?")})`;
}
