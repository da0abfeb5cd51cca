import { describe, expect, it } from "vitest";
import {
  generateApiKey,
  hashPassword,
  PASSWORD_ITERATIONS,
  parseApiKey,
  sha256Hex,
  timingSafeEqual,
  verifyPassword,
} from "../src/credentials.ts";

describe("API keys", () => {
  it("round-trips: a generated key parses back to its public id and a secret matching the stored hash", async () => {
    const key = await generateApiKey();
    expect(key.key).toMatch(/^tt_live_[0-9a-f]{16}_[0-9a-f]{48}$/);
    const parsed = parseApiKey(key.key);
    expect(parsed).toEqual({ publicId: key.publicId, secret: key.secret });
    expect(await sha256Hex(parsed?.secret ?? "")).toBe(key.secretHash);
  });

  it("refuses anything that is not exactly our format", () => {
    for (const candidate of [
      "",
      "tt_live_",
      `tt_test_${"a".repeat(16)}_${"b".repeat(48)}`,
      `tt_live_${"A".repeat(16)}_${"b".repeat(48)}`,
      `tt_live_${"a".repeat(16)}_${"b".repeat(47)}`,
    ]) {
      expect(parseApiKey(candidate)).toBeNull();
    }
  });
});

describe("timingSafeEqual", () => {
  it("is equality, including for different lengths and empty strings", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("abcd", "abc")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
    expect(timingSafeEqual("", "a")).toBe(false);
  });
});

describe("passwords", () => {
  it("verify, refuse a wrong password or pepper, and ask for a rehash of weaker parameters", async () => {
    const stored = await hashPassword("correct horse", "pepper");
    expect(stored.startsWith(`pbkdf2-sha256$${PASSWORD_ITERATIONS}$`)).toBe(true);
    expect(await verifyPassword("correct horse", stored, "pepper")).toEqual({ valid: true, needsRehash: false });
    expect((await verifyPassword("wrong horse", stored, "pepper")).valid).toBe(false);
    expect((await verifyPassword("correct horse", stored, "other pepper")).valid).toBe(false);

    const [scheme, , salt] = stored.split("$");
    const weakHash = await (async () => {
      const material = await crypto.subtle.importKey(
        "raw",
        new TextEncoder().encode("peppercorrect horse"),
        "PBKDF2",
        false,
        ["deriveBits"],
      );
      const bits = await crypto.subtle.deriveBits(
        {
          name: "PBKDF2",
          hash: "SHA-256",
          salt: Uint8Array.from(salt.match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
          iterations: 1000,
        },
        material,
        256,
      );
      return Array.from(new Uint8Array(bits), (b) => b.toString(16).padStart(2, "0")).join("");
    })();
    const weak = `${scheme}$1000$${salt}$${weakHash}`;
    expect(await verifyPassword("correct horse", weak, "pepper")).toEqual({ valid: true, needsRehash: true });
  });

  it("refuses unknown schemes and out-of-range parameters instead of throwing", async () => {
    expect((await verifyPassword("x", "bcrypt$10$abc$def")).valid).toBe(false);
    expect((await verifyPassword("x", "pbkdf2-sha256$999999999$00$00")).valid).toBe(false);
    expect((await verifyPassword("x", "garbage")).valid).toBe(false);
    expect((await verifyPassword("x", "pbkdf2-sha256$1000")).valid).toBe(false);
    expect((await verifyPassword("x", "pbkdf2-sha256$1000$zz$00")).valid).toBe(false);
  });
});
