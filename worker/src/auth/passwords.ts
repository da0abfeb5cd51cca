import { hashPassword, type PasswordCheck, verifyPassword } from "@telemetry-tracker/db";
import type { Bindings } from "../env.ts";

// Isolate-lifetime: a hash of nothing in particular, computed once, so that a login for an unknown
// email runs the same PBKDF2 work as a wrong password and timing does not reveal who has an account.
let dummyHash: Promise<string> | undefined;

export function hashUserPassword(env: Bindings, password: string): Promise<string> {
  return hashPassword(password, env.PASSWORD_PEPPER ?? "");
}

/** Verifies against the stored hash, or against a dummy one (always false) when there is no user. */
export async function checkUserPassword(
  env: Bindings,
  password: string,
  stored: string | null,
): Promise<PasswordCheck> {
  if (stored === null) {
    dummyHash ??= hashPassword("not-a-real-password", env.PASSWORD_PEPPER ?? "");
    await verifyPassword(password, await dummyHash, env.PASSWORD_PEPPER ?? "");
    return { valid: false, needsRehash: false };
  }
  return verifyPassword(password, stored, env.PASSWORD_PEPPER ?? "");
}
