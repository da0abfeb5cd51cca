import { originalPositionFor, sourceContentFor, type TraceMap } from "@jridgewell/trace-mapping";
import { type Frame, isInApp } from "../ingest/fingerprint.ts";

/** Lines of original source shown before and after a frame's line. */
export const CONTEXT_LINES = 5;
/** Context lines are cut here: an original line can still be a very long one (generated code). */
const CONTEXT_LINE_CHARS = 300;

/** A frame as stored: the original position when a map resolved it, with the client's frame kept in `raw`. */
export interface StoredFrame extends Frame {
  /** True when a source map resolved this frame. */
  symbolicated?: boolean;
  /** The frame as the client sent it (minified file, line, column, function). */
  raw?: Pick<Frame, "file" | "function" | "line" | "column">;
  pre_context?: string[];
  context_line?: string;
  post_context?: string[];
}

/** A parsed map and what symbolication derives from it, cached together per isolate. */
export interface LoadedMap {
  map: TraceMap;
  /** Original sources split into lines on first use (context lines, enclosing-function search). */
  lines: Map<string, string[] | null>;
}

/** Which map covers a frame, if any (by the frame's bundle path). */
export type MapForFrame = (frame: Frame) => LoadedMap | null;

/** `webpack://app/./src/a.ts`, `../src/a.ts`, `./src/a.ts` → `src/a.ts`: stable across builds and bundlers. */
export function cleanSourcePath(source: string): string {
  return source
    .replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*\//i, "")
    .replace(/^(\.\.?\/)+/, "")
    .replace(/^\/+/, "");
}

function sourceLines(loaded: LoadedMap, source: string): string[] | null {
  if (!loaded.lines.has(source)) {
    const content = sourceContentFor(loaded.map, source);
    loaded.lines.set(source, content == null ? null : content.split(/\r?\n/));
  }
  return loaded.lines.get(source) ?? null;
}

const clip = (line: string) => (line.length > CONTEXT_LINE_CHARS ? `${line.slice(0, CONTEXT_LINE_CHARS)}…` : line);

const KEYWORDS = new Set(["if", "for", "while", "switch", "catch", "function", "return", "with", "do", "else", "new"]);
const DECLARATIONS: RegExp[] = [
  // function name( / async function* name<T>(
  /\bfunction\s*\*?\s*([A-Za-z_$][\w$]*)\s*[(<]/g,
  // name = function / name = (a) => / name = async x => / name: function
  /([A-Za-z_$][\w$]*)\s*[:=]\s*(?:async\s+)?(?:function\b|\([^()]*\)\s*(?::\s*[^=]+?)?=>|[A-Za-z_$][\w$]*\s*=>)/g,
  // method(args) {  /  async method(args): T {
  /^\s*(?:(?:public|private|protected|static|async|override|get|set)\s+)*\*?\s*([A-Za-z_$][\w$]*)\s*(?:<[^>]*>)?\s*\([^()]*\)\s*(?::\s*[^{]+)?\{/g,
];

/**
 * The nearest function declared at or above the position in the original source: used when no
 * caller frame names the function (the outermost frame, callbacks). A heuristic over text, so it is
 * only the fallback.
 */
export function enclosingFunctionName(lines: string[], line: number, column: number): string | null {
  for (let index = line - 1, scanned = 0; index >= 0 && scanned < 200; index--, scanned++) {
    const text = index === line - 1 ? (lines[index] ?? "").slice(0, column + 1) : (lines[index] ?? "");
    let found: string | null = null;
    for (const pattern of DECLARATIONS) {
      for (const match of text.matchAll(pattern)) {
        if (!KEYWORDS.has(match[1])) found = match[1];
      }
      if (found) return found;
    }
  }
  return null;
}

function originalOf(loaded: LoadedMap, frame: Frame) {
  if (frame.line === null || frame.line < 1) return null;
  // Stack columns are 1-based; source maps' are 0-based.
  const position = originalPositionFor(loaded.map, { line: frame.line, column: Math.max(0, (frame.column ?? 1) - 1) });
  return position.source === null ? null : position;
}

/**
 * Resolves frames through their maps: original file, line, column and function, with up to five
 * lines of context from `sourcesContent`. Frames without a map stay as they were. A frame's
 * function comes from its caller's call site (the token the map names there is the callee's
 * original name), else from the nearest declaration above it in the original source, else the
 * minified name.
 */
export function symbolicateFrames(frames: Frame[], mapFor: MapForFrame): StoredFrame[] {
  const resolved = frames.map((frame) => {
    const loaded = mapFor(frame);
    return loaded ? { loaded, position: originalOf(loaded, frame) } : null;
  });
  return frames.map((frame, index): StoredFrame => {
    const hit = resolved[index];
    if (!hit?.position) return frame;
    const { loaded } = hit;
    const position = { ...hit.position, source: hit.position.source as string };
    const lines = sourceLines(loaded, position.source);
    const callerName = resolved[index + 1]?.position?.name ?? null;
    const declaredName = lines ? enclosingFunctionName(lines, position.line, position.column) : null;
    const file = cleanSourcePath(position.source);
    const stored: StoredFrame = {
      file,
      function: callerName ?? declaredName ?? frame.function,
      line: position.line,
      column: position.column + 1,
      in_app: isInApp(file),
      symbolicated: true,
      raw: { file: frame.file, function: frame.function, line: frame.line, column: frame.column },
    };
    if (lines && position.line <= lines.length) {
      const at = position.line - 1;
      stored.pre_context = lines.slice(Math.max(0, at - CONTEXT_LINES), at).map(clip);
      stored.context_line = clip(lines[at]);
      stored.post_context = lines.slice(at + 1, at + 1 + CONTEXT_LINES).map(clip);
    }
    return stored;
  });
}
