import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { type Database, hashPassword, type Role, userSessions } from "@telemetry-tracker/db";
import { expect } from "vitest";
import { SESSION_TTL_MS, signSessionToken } from "../../src/auth/session.ts";
import worker from "../../src/index.ts";
import { withDatabase } from "../helpers/db.ts";
import { addMember, createApiKey, createTenant, createUser } from "../helpers/fixtures.ts";
import { flushMeter, postIngest } from "../helpers/ingest.ts";

export const ORIGIN = "http://localhost:3000";
export const BASE = "http://tt.test";

export interface CallOptions {
  method?: string;
  body?: unknown;
  cookie?: string;
  headers?: Record<string, string>;
  /** Calls the Worker with this env instead of the test bindings. */
  env?: Partial<typeof env>;
}

/** A request as the dashboard's server makes it: JSON, the browser's Origin and cookie forwarded. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const method = options.method ?? (options.body === undefined ? "GET" : "POST");
  const headers: Record<string, string> = {
    origin: ORIGIN,
    "cf-connecting-ip": `10.${rand255()}.${rand255()}.${rand255()}`,
    ...(method === "GET" ? {} : { "content-type": "application/json" }),
    ...(options.cookie ? { cookie: options.cookie } : {}),
    ...options.headers,
  };
  const init: RequestInit = {
    method,
    headers,
    body: options.body === undefined ? (method === "GET" ? undefined : "{}") : JSON.stringify(options.body),
  };
  if (!options.env) return exports.default.fetch(`${BASE}${path}`, init);
  const ctx = createExecutionContext();
  const response = await worker.fetch(
    new Request(`${BASE}${path}`, init),
    { ...env, ...options.env } as typeof env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

const rand255 = () => Math.floor(Math.random() * 255);

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

/** `name=value` from a response's Set-Cookie, ready for a Cookie header. */
export function cookieFrom(response: Response): string {
  const header = response.headers.get("set-cookie");
  if (!header) throw new Error("no Set-Cookie");
  return header.split(";")[0];
}

/** A signed-in session without the cost of a login (PBKDF2): a session row and its signed cookie. */
export async function sessionCookieFor(db: Database, userId: string): Promise<string> {
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  const [row] = await db.insert(userSessions).values({ userId, expiresAt }).returning({ id: userSessions.id });
  return `tt_session=${await signSessionToken(env, { sessionId: row.id, userId }, expiresAt)}`;
}

// Isolate-lifetime in tests: one real hash reused for every fixture user that must log in.
let knownHash: Promise<string> | undefined;
export const KNOWN_PASSWORD = "correct horse battery staple";
export function knownPasswordHash(): Promise<string> {
  knownHash ??= hashPassword(KNOWN_PASSWORD, env.PASSWORD_PEPPER ?? "");
  return knownHash;
}

export const uniqueEmail = (prefix = "user") => `${prefix}-${crypto.randomUUID().slice(0, 12)}@example.test`;

/** An org with one project and one member per role, plus an outsider who owns another org. */
export async function createWorld(db: Database, options: { plan?: "FREE" | "PRO" | "BUSINESS" } = {}) {
  const tenant = await createTenant(db, options);
  const other = await createTenant(db);
  const members = {} as Record<Role | "OUTSIDER", { id: string; email: string; cookie: string }>;
  for (const role of ["OWNER", "EDITOR", "VIEWER"] as const) {
    const user = await createUser(db, { email: uniqueEmail(role.toLowerCase()) });
    await addMember(db, tenant.org.id, user.id, role);
    members[role] = { id: user.id, email: user.email, cookie: await sessionCookieFor(db, user.id) };
  }
  const outsider = await createUser(db, { email: uniqueEmail("outsider") });
  await addMember(db, other.org.id, outsider.id, "OWNER");
  members.OUTSIDER = { id: outsider.id, email: outsider.email, cookie: await sessionCookieFor(db, outsider.id) };
  return { ...tenant, other, members };
}

/** The read suites' world: PRO, so no plan limit cuts a read short, and a key to send data as a client does. */
export async function createReadWorld() {
  const world = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
  const { key } = await withDatabase((db) => createApiKey(db, world.project.id));
  return { ...world, key };
}

export type ReadWorld = Awaited<ReturnType<typeof createReadWorld>>;

/** GETs `path` as one of the world's members (any world's); anything but 200 throws with the body. */
export async function readAs<T = Record<string, unknown>>(
  world: Pick<ReadWorld, "members">,
  path: string,
  role: Role = "VIEWER",
): Promise<T> {
  const res = await call(path, { cookie: world.members[role].cookie });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return json<T>(res);
}

/** Sends `events` through /ingest/batch with the world's key, then flushes the meter so reads see them. */
export async function ingestFlushed(world: ReadWorld, events: unknown[]): Promise<void> {
  const res = await postIngest("/ingest/batch", { events }, { key: world.key });
  expect(res.status, await res.clone().text()).toBe(202);
  await flushMeter(world.project.id);
}

export const MINUTE = 60_000;

/** `minutes` before `now` as ISO; a suite fixes its `now` once so every test reads the same window. */
export const minutesBefore = (now: number, minutes: number) => new Date(now - minutes * MINUTE).toISOString();

/**
 * Reads a cursor-paged list from `path` (a query string already begun) until the cursor ends and
 * returns what `items` picks from each page, so a test states the pages it expects in one line.
 */
export async function allPages<Page extends { nextCursor: string | null }, Item>(
  read: (path: string) => Promise<Page>,
  path: string,
  items: (page: Page) => Item[],
): Promise<Item[][]> {
  const pages: Item[][] = [];
  let cursor: string | null = null;
  do {
    if (pages.length === 100) throw new Error(`${path}: the cursor never ends`);
    const page: Page = await read(cursor === null ? path : `${path}&cursor=${cursor}`);
    pages.push(items(page));
    cursor = page.nextCursor;
  } while (cursor !== null);
  return pages;
}
