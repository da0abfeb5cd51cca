const MAX_STRING = 8192;
const MAX_KEYS = 100;

/**
 * Copies any value into plain JSON data: cycles become "[Circular]", throwing getters "[Throws]",
 * BigInt and non-finite numbers strings, functions and symbols disappear. Runs at capture time so a
 * host that later mutates its object cannot change (or break) what is sent.
 */
export function normalize(value: unknown, depth = 8, ancestors: object[] = []): unknown {
  try {
    switch (typeof value) {
      case "string":
        return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
      case "number":
        return Number.isFinite(value) ? value : String(value);
      case "boolean":
        return value;
      case "bigint":
        return value.toString();
      case "object":
        break;
      default:
        return undefined;
    }
    if (value === null) return null;
    if (value instanceof Date) return Number.isNaN(+value) ? null : value.toISOString();
    if (ancestors.includes(value)) return "[Circular]";
    if (depth < 1) return "[Object]";
    if (value instanceof Error) value = { name: value.name, message: value.message, stack: value.stack };
    ancestors.push(value as object);
    let out: unknown;
    if (Array.isArray(value)) {
      out = value.slice(0, MAX_KEYS).map((x) => normalize(x, depth - 1, ancestors) ?? null);
    } else {
      const o: Record<string, unknown> = {};
      for (const k of Object.keys(value as object).slice(0, MAX_KEYS)) {
        let x: unknown;
        try {
          x = (value as Record<string, unknown>)[k];
        } catch {
          x = "[Throws]";
        }
        const y = normalize(x, depth - 1, ancestors);
        if (y !== undefined) o[k] = y;
      }
      out = o;
    }
    ancestors.pop();
    return out;
  } catch {
    // Proxies can throw from any trap, even Array.isArray; the item must still go out.
    return "[Unserializable]";
  }
}
