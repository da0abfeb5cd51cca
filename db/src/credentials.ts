/**
 * How secrets are stored: API keys and passwords. Shared by the Worker (which verifies them) and the
 * seed script (which creates the demo ones). WebCrypto only, so it runs in workerd and in Node alike.
 */

const encoder = new TextEncoder();

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, "0")).join("");
}

export function randomHex(byteLength: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(byteLength)));
}

export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Compares two strings in time that depends only on the length of `a` (the candidate). */
export function timingSafeEqual(a: string, b: string): boolean {
  const left = encoder.encode(a);
  const right = encoder.encode(b);
  // Different lengths still walk all of `left`, against itself, so the answer takes the same time.
  const other = left.length === right.length ? right : left;
  let diff = left.length ^ right.length;
  for (let i = 0; i < left.length; i++) diff |= left[i] ^ other[i];
  return diff === 0;
}

export const API_KEY_PREFIX = "tt_live_";
const API_KEY_PATTERN = /^tt_live_([0-9a-f]{16})_([0-9a-f]{48})$/;

export interface ParsedApiKey {
  publicId: string;
  secret: string;
}

export function parseApiKey(key: string): ParsedApiKey | null {
  const match = API_KEY_PATTERN.exec(key);
  return match ? { publicId: match[1], secret: match[2] } : null;
}

export interface NewApiKey extends ParsedApiKey {
  /** The full key, shown to the user once. */
  key: string;
  secretHash: string;
}

/** A new key: 64 bits of public id to find it, 192 bits of secret of which only a hash is kept. */
export async function generateApiKey(): Promise<NewApiKey> {
  const publicId = randomHex(8);
  const secret = randomHex(24);
  return { publicId, secret, key: `${API_KEY_PREFIX}${publicId}_${secret}`, secretHash: await sha256Hex(secret) };
}

// PBKDF2-SHA256 at Cloudflare's ceiling of 100,000 iterations. The scheme and its parameters are
// stored in the hash, so raising them later only needs a rehash on the next login.
export const PASSWORD_SCHEME = "pbkdf2-sha256";
export const PASSWORD_ITERATIONS = 100_000;

async function pbkdf2(password: string, salt: Uint8Array, iterations: number, pepper: string): Promise<string> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(pepper + password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, material, 256);
  return toHex(bits);
}

/** `pbkdf2-sha256$<iterations>$<salt hex>$<hash hex>`; the optional pepper is a server secret. */
export async function hashPassword(password: string, pepper = ""): Promise<string> {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, PASSWORD_ITERATIONS, pepper);
  return `${PASSWORD_SCHEME}$${PASSWORD_ITERATIONS}$${toHex(salt)}$${hash}`;
}

export interface PasswordCheck {
  valid: boolean;
  /** The stored hash uses weaker parameters than today's: rehash after a successful login. */
  needsRehash: boolean;
}

export async function verifyPassword(password: string, stored: string, pepper = ""): Promise<PasswordCheck> {
  const [scheme, iterationsText, saltHex, hashHex] = stored.split("$");
  const iterations = Number(iterationsText);
  const wellFormed =
    scheme === PASSWORD_SCHEME && /^[0-9a-f]+$/.test(saltHex ?? "") && /^[0-9a-f]{64}$/.test(hashHex ?? "");
  if (!wellFormed || !Number.isInteger(iterations) || iterations < 1 || iterations > 100_000) {
    return { valid: false, needsRehash: false };
  }
  const salt = Uint8Array.from(saltHex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  const candidate = await pbkdf2(password, salt, iterations, pepper);
  const valid = timingSafeEqual(candidate, hashHex);
  return { valid, needsRehash: valid && iterations < PASSWORD_ITERATIONS };
}
