import {
  apiKeys,
  type Database,
  generateApiKey,
  memberships,
  organizations,
  type Plan,
  projects,
  type Role,
  users,
} from "@telemetry-tracker/db";

const unique = () => crypto.randomUUID().slice(0, 8);

/** An organization with one project, each test its own (Postgres is shared by all test files). */
export async function createTenant(db: Database, options: { plan?: Plan } = {}) {
  const [org] = await db
    .insert(organizations)
    .values({ name: `Org ${unique()}`, plan: options.plan ?? "FREE" })
    .returning();
  const [project] = await db
    .insert(projects)
    .values({ orgId: org.id, name: "Project", slug: `p-${unique()}` })
    .returning();
  return { org, project };
}

export async function createUser(db: Database, options: { email?: string; passwordHash?: string } = {}) {
  const [user] = await db
    .insert(users)
    .values({
      email: options.email ?? `user-${unique()}@example.test`,
      displayName: "Test User",
      passwordHash: options.passwordHash ?? "pbkdf2-sha256$1$00$00",
    })
    .returning();
  return user;
}

export async function addMember(db: Database, orgId: string, userId: string, role: Role) {
  await db.insert(memberships).values({ orgId, userId, role });
}

/** Inserts an ingest key directly; returns the full key string as a client would hold it. */
export async function createApiKey(
  db: Database,
  projectId: string,
  options: { allowedApp?: string; expiresAt?: Date; revokedAt?: Date } = {},
) {
  const key = await generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({
      projectId,
      publicId: key.publicId,
      secretHash: key.secretHash,
      name: "test key",
      allowedApp: options.allowedApp,
      expiresAt: options.expiresAt,
      revokedAt: options.revokedAt,
    })
    .returning();
  return { key: key.key, row };
}
