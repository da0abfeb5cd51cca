import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * Every machine-readable error code the API can answer with, and its HTTP status. Clients switch on
 * `code`; messages are for people and may change.
 */
export const ERROR_CODES = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  invalid_envelope: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  missing_api_key: 401,
  invalid_api_key: 401,
  revoked_api_key: 401,
  expired_api_key: 401,
  forbidden: 403,
  app_not_allowed: 403,
  app_limit: 403,
  project_limit: 403,
  key_limit: 403,
  artifact_limit: 403,
  insufficient_scope: 403,
  alert_rule_limit: 403,
  destination_limit: 403,
  csrf_rejected: 403,
  project_mismatch: 403,
  registration_closed: 403,
  invite_email_mismatch: 403,
  wrong_password: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  email_taken: 409,
  slug_taken: 409,
  last_owner: 409,
  already_member: 409,
  already_subscribed: 409,
  builtin_rule: 409,
  invalid_token: 400,
  invalid_cursor: 400,
  invalid_signature: 400,
  no_billing_customer: 400,
  invalid_sourcemap: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  quota_exceeded: 429,
  rate_limited: 429,
  too_many_attempts: 429,
  ip_rate_limited: 429,
  internal_error: 500,
  misconfigured: 500,
  billing_provider_error: 502,
  backend_unavailable: 503,
  buffer_full: 503,
  billing_not_configured: 503,
  mailer_not_configured: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; details?: unknown };
}

/** The one error type handlers throw; `onError` turns it into the envelope. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly details?: unknown;
  readonly headers?: Record<string, string>;

  constructor(code: ErrorCode, message: string, options: { details?: unknown; headers?: Record<string, string> } = {}) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = ERROR_CODES[code];
    this.details = options.details;
    this.headers = options.headers;
  }
}

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: unknown): ErrorBody {
  return { error: { code, message, requestId, ...(details === undefined ? {} : { details }) } };
}

/** One validation problem as the envelope's `details` lists it. */
export interface IssueDetail {
  path: string;
  message: string;
}

/**
 * zod issues as the envelope's `details`: dotted paths, at most `limit` of them (a body with
 * thousands of bad items should not produce a larger answer than itself). Used by the app's
 * validation hook and by ingest, which validates after reading the body itself.
 */
export function issueDetails(
  issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey>; message: string }>,
  limit = 20,
): IssueDetail[] {
  return issues.slice(0, limit).map((issue) => ({ path: issue.path.map(String).join("."), message: issue.message }));
}
