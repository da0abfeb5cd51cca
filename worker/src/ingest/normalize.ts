// Postgres stores neither NUL (text refuses the byte, jsonb the `\u0000` escape) nor a lone UTF-16
// surrogate (`JSON.stringify` writes it as an escape jsonb refuses), and JSON may carry both. One
// such string accepted with a 202 used to fail every flush of its batch.

// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is looked for
const SUSPECT = /[\u0000\ud800-\udfff]/;
// A NUL, a high surrogate not followed by a low one, or a low one not preceded by a high one.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL is exactly what is replaced
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** The string with NUL and lone surrogates replaced by U+FFFD; the same string when it has neither. */
export function normalizeString(text: string): string {
  return SUSPECT.test(text) ? text.replace(UNSTORABLE, "\uFFFD") : text;
}

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  // defineProperty, not assignment: a parsed `"__proto__"` key must stay a plain property.
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Makes parsed JSON storable in Postgres: every string value and every object key, at any depth,
 * goes through `normalizeString` (NUL and lone surrogates → U+FFFD). Works in place on the value
 * (walked with an explicit stack, so depth cannot overflow the call stack) and returns it; a clean
 * value is left untouched. For JSON-shaped data (no cycles, no class instances). Every ingest route
 * calls it on what it is about to buffer, and so must any new intake.
 */
export function normalizeJsonText<T>(value: T): T {
  if (typeof value === "string") return normalizeString(value) as T;
  if (value === null || typeof value !== "object") return value;
  const pending: object[] = [value];
  for (let container = pending.pop(); container !== undefined; container = pending.pop()) {
    if (Array.isArray(container)) {
      for (let index = 0; index < container.length; index++) {
        const item: unknown = container[index];
        if (typeof item === "string") container[index] = normalizeString(item);
        else if (item !== null && typeof item === "object") pending.push(item);
      }
      continue;
    }
    const record = container as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const item = record[key];
      const cleanItem = typeof item === "string" ? normalizeString(item) : item;
      if (cleanItem !== null && typeof cleanItem === "object") pending.push(cleanItem);
      const cleanKey = normalizeString(key);
      if (cleanKey !== key) {
        delete record[key];
        setOwn(record, cleanKey, cleanItem);
      } else if (cleanItem !== item) {
        setOwn(record, key, cleanItem);
      }
    }
  }
  return value;
}
