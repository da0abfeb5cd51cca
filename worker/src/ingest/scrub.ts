/**
 * PII scrubbing before anything is buffered: values that look like secrets or personal data are
 * replaced, and values under sensitive keys are dropped whole. Bounded in depth and nodes; it never
 * rejects a request, it only redacts.
 */
export const REDACTED = "[redacted]";

// Matched against the key lower-cased with `-` and `_` removed, so `api_key`, `apiKey` and
// `API-KEY` are one key. Substrings, except for short words that occur inside harmless ones.
const SENSITIVE_KEY_PARTS = [
  "password",
  "passwd",
  "secret",
  "token",
  "authorization",
  "cookie",
  "apikey",
  "privatekey",
  "credential",
  "cardnumber",
  "creditcard",
  "sessionkey",
];
const SENSITIVE_KEYS_EXACT = new Set(["auth", "pwd", "pass", "ssn", "cvv", "cvc", "pin"]);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, "");
}

export function isSensitiveKey(key: string): boolean {
  const normalized = normalizeKey(key);
  return SENSITIVE_KEYS_EXACT.has(normalized) || SENSITIVE_KEY_PARTS.some((part) => normalized.includes(part));
}

const VALUE_PATTERNS: Array<[RegExp, string]> = [
  // JWTs before the rest: they also contain dots and base64 that other patterns would half-match.
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b/g, "[jwt]"],
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, "Bearer [redacted]"],
  [/\btt_live_[0-9a-f]{16}_[0-9a-f]{48}\b/g, "[api_key]"],
  [/\b(sk|pk|rk)_(live|test)_[A-Za-z0-9]{8,}\b/g, "[api_key]"],
  [/\bAKIA[0-9A-Z]{16}\b/g, "[api_key]"],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}\b/g, "[api_key]"],
  [/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, "[email]"],
];

const CARD_CANDIDATE = /\b(?:\d[ -]?){13,19}\b/g;

function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

export function scrubString(text: string): string {
  let result = text;
  for (const [pattern, replacement] of VALUE_PATTERNS) result = result.replace(pattern, replacement);
  return result.replace(CARD_CANDIDATE, (match) => {
    const digits = match.replace(/[ -]/g, "");
    return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) ? "[card]" : match;
  });
}

export interface ScrubOptions {
  /** Per-project keys to drop, on top of the built-in sensitive ones (case-insensitive). */
  denyKeys: string[];
  maxDepth?: number;
  maxNodes?: number;
}

export function createScrubber(options: ScrubOptions) {
  const deny = new Set(options.denyKeys.map(normalizeKey));
  const maxDepth = options.maxDepth ?? 8;
  const isSensitive = (key: string) => isSensitiveKey(key) || deny.has(normalizeKey(key));

  /** Returns a scrubbed copy; past the depth or node budget, values are cut rather than walked. */
  function scrub(value: unknown, budget = { nodes: options.maxNodes ?? 5_000 }, depth = 0): unknown {
    if (--budget.nodes < 0) return "[truncated]";
    if (typeof value === "string") return scrubString(value);
    if (value === null || typeof value !== "object") return value;
    if (depth >= maxDepth) return "[truncated]";
    if (Array.isArray(value)) return value.map((item) => scrub(item, budget, depth + 1));
    const result: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      result[key] = isSensitive(key) ? REDACTED : scrub(entry, budget, depth + 1);
    }
    return result;
  }

  return { scrub, scrubString, isSensitive };
}
