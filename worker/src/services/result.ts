import type { ErrorCode } from "../errors.ts";

/**
 * What a service answers: the value, or a refusal named by one of the API's error codes. Services
 * know nothing of HTTP; the route turns a refusal into the error envelope (`orRefuse` in lib/api.ts).
 */
export type Refusal = {
  ok: false;
  code: ErrorCode;
  message: string;
  details?: unknown;
  /** For throttles: when the caller may try again. */
  retryAfterSeconds?: number;
};

export type Result<T> = { ok: true; value: T } | Refusal;

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

export const refuse = (
  code: ErrorCode,
  message: string,
  extra: Pick<Refusal, "details" | "retryAfterSeconds"> = {},
): Refusal => ({
  ok: false,
  code,
  message,
  ...extra,
});

/** Thrown inside a transaction to roll it back; `refusalOf` turns it back into a result outside. */
export class RollBack extends Error {
  readonly refusal: Refusal;

  constructor(refusal: Refusal) {
    super(refusal.message);
    this.refusal = refusal;
  }
}

/** Runs `work` and answers its refusal if it rolled back with one; other errors propagate. */
export async function refusalOf<T>(work: () => Promise<T>): Promise<Result<T>> {
  try {
    return ok(await work());
  } catch (error) {
    if (error instanceof RollBack) return error.refusal;
    throw error;
  }
}

/** Postgres unique_violation, wherever the driver wrapped it. */
export function isUniqueViolation(error: unknown): boolean {
  let current = error as { code?: string; cause?: unknown } | undefined;
  while (current) {
    if (current.code === "23505") return true;
    current = current.cause as typeof current;
  }
  return false;
}

/** Who did it, for the audit log. */
export interface Actor {
  userId: string;
  ip: string | null;
}

/** A throttle's refusal: 429 with the wait in Retry-After and in the details. */
export const throttled = (message: string, retryAfterSeconds: number): Refusal =>
  refuse("too_many_attempts", message, { details: { retryAfterSeconds }, retryAfterSeconds });
