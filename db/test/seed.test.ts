import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_FOLDER, migrateDatabase } from "../local/migrate.ts";
import { seedDemo, writeDemoFile } from "../local/seed.ts";
import { sha256Hex, verifyPassword } from "../src/credentials.ts";
import { useMigratedDatabase } from "./helpers.ts";

const db = useMigratedDatabase();

async function count(table: string): Promise<number> {
  const result = await db.client.query(`select count(*)::int as n from ${table}`);
  return result.rows[0].n;
}

describe("migrations", () => {
  it("apply every committed migration to an empty database, and again as a no-op", async () => {
    const files = readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith(".sql"));
    const applied = await drizzle({ client: db.client }).execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(applied.rows[0].n).toBe(files.length);
    await migrateDatabase(db.scratch.url);
    const again = await drizzle({ client: db.client }).execute(
      sql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    );
    expect(again.rows[0].n).toBe(files.length);
  });
});

describe("db:seed", () => {
  const secretsFile = join(mkdtempSync(join(tmpdir(), "tt-seed-")), "demo.json");

  it("is idempotent: a second run keeps one of everything and the same credentials", async () => {
    const first = await seedDemo(db.scratch.url, { secretsFile });
    writeDemoFile({ ...first }, secretsFile);
    const second = await seedDemo(db.scratch.url, { secretsFile });

    expect(second).toEqual(first);
    expect(await count("organizations")).toBe(1);
    expect(await count("projects")).toBe(1);
    expect(await count("users")).toBe(1);
    expect(await count("memberships")).toBe(1);
    expect(await count("api_keys")).toBe(1);
  });

  it("prints credentials that work: the password verifies and the key's hash is stored", async () => {
    const credentials = await seedDemo(db.scratch.url, { secretsFile });
    const user = await db.client.query("select password_hash from users where email = $1", [credentials.email]);
    expect((await verifyPassword(credentials.password, user.rows[0].password_hash)).valid).toBe(true);
    const [, , publicId, secret] = credentials.apiKey.split("_");
    const key = await db.client.query("select secret_hash, project_id from api_keys where public_id = $1", [publicId]);
    expect(key.rows[0].secret_hash).toBe(await sha256Hex(secret));
    expect(key.rows[0].project_id).toBe(credentials.projectId);
  });

  it("rotates the demo secrets when the credentials file is lost, without duplicating rows", async () => {
    const lost = join(mkdtempSync(join(tmpdir(), "tt-seed-")), "demo.json");
    const before = await seedDemo(db.scratch.url, { secretsFile });
    const rotated = await seedDemo(db.scratch.url, { secretsFile: lost });
    expect(rotated.password).not.toBe(before.password);
    expect(rotated.apiKey).not.toBe(before.apiKey);
    expect(await count("users")).toBe(1);
    expect(await count("organizations")).toBe(1);
    const user = await db.client.query("select password_hash from users where email = $1", [rotated.email]);
    expect((await verifyPassword(rotated.password, user.rows[0].password_hash)).valid).toBe(true);
  });
});
