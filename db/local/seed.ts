import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/node-postgres";
import pg from "pg";
import { generateApiKey, hashPassword, parseApiKey, randomHex, sha256Hex, verifyPassword } from "../src/credentials.ts";
import { apiKeys, memberships, organizations, projects, users } from "../src/schema/index.ts";
import { DATA_DIR } from "./data-dir.ts";

export const DEMO_FILE = join(DATA_DIR, "demo.json");

// Fixed ids make the seed idempotent: a second run finds the same rows instead of adding more.
const DEMO_ORG_ID = "00000000-0000-4000-8000-00000000d001";
const DEMO_PROJECT_ID = "00000000-0000-4000-8000-00000000d002";
const DEMO_EMAIL = "demo@telemetry-tracker.local";

export interface DemoCredentials {
  email: string;
  password: string;
  organizationId: string;
  projectId: string;
  apiKey: string;
}

function previousSecrets(file: string): Partial<DemoCredentials> {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8")) as Partial<DemoCredentials>;
  } catch {
    return {};
  }
}

/**
 * Creates (once) a demo organization, project, owner and ingest key. The secrets are random on the
 * first run and reused from `.data/demo.json` afterwards; if that file is gone, the demo password
 * and key are rotated so the printed credentials always work.
 */
export async function seedDemo(url: string, options: { secretsFile?: string; pepper?: string } = {}) {
  const previous = previousSecrets(options.secretsFile ?? DEMO_FILE);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const db = drizzle({ client });
    return await db.transaction(async (tx) => {
      await tx.insert(organizations).values({ id: DEMO_ORG_ID, name: "Demo Organization" }).onConflictDoNothing();
      await tx
        .insert(projects)
        .values({ id: DEMO_PROJECT_ID, orgId: DEMO_ORG_ID, name: "Demo Project", slug: "demo" })
        .onConflictDoNothing();

      const password = previous.password ?? `demo-${randomHex(6)}`;
      const [existingUser] = await tx.select().from(users).where(eq(users.email, DEMO_EMAIL));
      let userId = existingUser?.id;
      if (!existingUser) {
        const passwordHash = await hashPassword(password, options.pepper);
        [{ id: userId }] = await tx
          .insert(users)
          .values({ email: DEMO_EMAIL, displayName: "Demo Owner", passwordHash })
          .returning({ id: users.id });
      } else if (!(await verifyPassword(password, existingUser.passwordHash, options.pepper)).valid) {
        await tx
          .update(users)
          .set({ passwordHash: await hashPassword(password, options.pepper) })
          .where(eq(users.id, existingUser.id));
      }
      await tx
        .insert(memberships)
        .values({ orgId: DEMO_ORG_ID, userId: userId as string, role: "OWNER" })
        .onConflictDoNothing();

      let apiKey = previous.apiKey;
      const parsed = apiKey ? parseApiKey(apiKey) : null;
      const [storedKey] = parsed ? await tx.select().from(apiKeys).where(eq(apiKeys.publicId, parsed.publicId)) : [];
      const keyStillValid =
        parsed && storedKey && !storedKey.revokedAt && storedKey.secretHash === (await sha256Hex(parsed.secret));
      if (!keyStillValid) {
        const fresh = await generateApiKey();
        await tx.insert(apiKeys).values({
          projectId: DEMO_PROJECT_ID,
          publicId: fresh.publicId,
          secretHash: fresh.secretHash,
          name: "Demo key",
          createdBy: userId,
        });
        apiKey = fresh.key;
      }
      return {
        email: DEMO_EMAIL,
        password,
        organizationId: DEMO_ORG_ID,
        projectId: DEMO_PROJECT_ID,
        apiKey: apiKey as string,
      } satisfies DemoCredentials;
    });
  } finally {
    await client.end();
  }
}

export function writeDemoFile(contents: Record<string, unknown>, file = DEMO_FILE): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 });
}

if (import.meta.main) {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error("DATABASE_URL is not set (npm run dev seeds the embedded database itself)");
    process.exit(1);
  }
  const credentials = await seedDemo(url, { pepper: process.env.PASSWORD_PEPPER });
  writeDemoFile({ ...previousSecrets(DEMO_FILE), ...credentials });
  if (process.argv.includes("--json")) console.log(JSON.stringify(credentials, null, 2));
  else console.log(`demo owner ${credentials.email} / ${credentials.password}; key ${credentials.apiKey}`);
}
