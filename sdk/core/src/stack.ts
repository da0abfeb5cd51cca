export interface Frame {
  file: string;
  function?: string;
  line: number;
  column: number;
  in_app: boolean;
}

// V8: "    at fn (file:1:2)" or "    at file:1:2"; Gecko/WebKit: "fn@file:1:2".
const V8 = /^\s*at (?:(.+?) \()?(.+?):(\d+):(\d+)\)?\s*$/;
const GECKO = /^\s*(.*?)@(.+?):(\d+):(\d+)\s*$/;
const NOT_APP = /node_modules|^node:|^internal\/|^native|extension:\/\//;

/** Frames of a stack trace, innermost first (the order the server's fingerprint reads "top frames" in). */
export function parseStack(stack: unknown): Frame[] {
  if (typeof stack !== "string") return [];
  const frames: Frame[] = [];
  for (const line of stack.split("\n")) {
    const m = V8.exec(line) ?? GECKO.exec(line);
    if (!m) continue;
    const file = m[2];
    frames.push({
      file,
      function: m[1] || undefined,
      line: +m[3],
      column: +m[4],
      in_app: !NOT_APP.test(file),
    });
    if (frames.length >= 50) break;
  }
  return frames;
}
