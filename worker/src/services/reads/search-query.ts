import { ok, type Result, refuse } from "../result.ts";
import { RANGES, type RangeName } from "./range.ts";

// The global search's query language: free text (words and "quoted phrases") and structured tokens
// `user:`, `release:`, `environment:`, `is:` and `range:`, whose values may be quoted too
// (`user:"Jane Doe"`). Any other `word:…` is free text, so a pasted "TypeError: x" searches as typed.

export const ISSUE_STATUSES = ["unresolved", "resolved", "ignored"] as const;
export type IssueStatus = (typeof ISSUE_STATUSES)[number];

export const MAX_QUERY_LENGTH = 200;
export const MAX_TERMS = 8;
/** A trigram index needs a trigram: shorter words would turn every search into a walk of the project. */
export const MIN_TERM_LENGTH = 3;

export interface SearchQuery {
  /** Words and phrases, each matched case-insensitively as a substring; all must match. */
  terms: string[];
  user?: string;
  release?: string;
  environment?: string;
  status?: IssueStatus;
  range?: RangeName;
}

type TokenKey = "user" | "release" | "environment" | "is" | "range";
const TOKEN = /^(user|release|environment|is|range):/;

export interface QueryProblem {
  path: "q";
  message: string;
  /** The part of the query the problem is about, as typed. */
  token: string;
}

interface Piece {
  key?: TokenKey;
  value: string;
  raw: string;
}

/** Splits on whitespace; a `"` opens a phrase (a token's value or free text) that runs to the next `"` or the end. */
function pieces(q: string): Piece[] {
  const found: Piece[] = [];
  let i = 0;
  while (i < q.length) {
    if (/\s/.test(q[i] ?? "")) {
      i++;
      continue;
    }
    const start = i;
    const key = TOKEN.exec(q.slice(i))?.[1] as TokenKey | undefined;
    if (key) i += key.length + 1;
    let value: string;
    if (q[i] === '"') {
      const close = q.indexOf('"', i + 1);
      const end = close === -1 ? q.length : close;
      value = q.slice(i + 1, end);
      i = close === -1 ? q.length : close + 1;
    } else {
      const rest = q.slice(i).search(/\s/);
      const end = rest === -1 ? q.length : i + rest;
      value = q.slice(i, end);
      i = end;
    }
    found.push({ key, value: value.trim(), raw: q.slice(start, i) });
  }
  return found;
}

/** The query parsed, or every problem with it (400 validation_failed, each naming its token). */
export function parseSearchQuery(q: string): Result<SearchQuery> {
  const problems: QueryProblem[] = [];
  const problem = (token: string, message: string) => problems.push({ path: "q", message, token });
  if (q.length > MAX_QUERY_LENGTH) problem(q.slice(0, 20), `The query may have at most ${MAX_QUERY_LENGTH} characters`);

  const query: SearchQuery = { terms: [] };
  const seen = new Set<TokenKey>();
  for (const piece of pieces(q.slice(0, MAX_QUERY_LENGTH))) {
    if (!piece.key) {
      if (piece.value.length === 0) continue;
      if (piece.value.length < MIN_TERM_LENGTH) {
        problem(piece.raw, `Search words need at least ${MIN_TERM_LENGTH} characters`);
      } else query.terms.push(piece.value);
      continue;
    }
    const key = piece.key;
    if (seen.has(key)) {
      problem(piece.raw, `${key}: may be given once`);
      continue;
    }
    seen.add(key);
    if (piece.value.length === 0) {
      problem(piece.raw, `${key}: needs a value`);
      continue;
    }
    switch (key) {
      case "is":
        if ((ISSUE_STATUSES as readonly string[]).includes(piece.value)) query.status = piece.value as IssueStatus;
        else problem(piece.raw, `is: must be one of ${ISSUE_STATUSES.join(", ")}`);
        break;
      case "range":
        if ((RANGES as readonly string[]).includes(piece.value)) query.range = piece.value as RangeName;
        else problem(piece.raw, `range: must be one of ${RANGES.join(", ")}`);
        break;
      default:
        query[key] = piece.value;
    }
  }
  if (query.terms.length > MAX_TERMS) problem(q.slice(0, 20), `At most ${MAX_TERMS} words or phrases`);
  if (
    problems.length === 0 &&
    query.terms.length === 0 &&
    !query.user &&
    !query.release &&
    !query.environment &&
    !query.status
  ) {
    problem(q, "Search for some text, or narrow with user:, release:, environment: or is:");
  }
  if (problems.length > 0) return refuse("validation_failed", "The search query is invalid", { details: problems });
  return ok(query);
}
