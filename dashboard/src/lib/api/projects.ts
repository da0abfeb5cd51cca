import { action, query } from "@solidjs/router";
import { ingestBaseUrl, mutate, read, worker } from "../server/worker";
import type { ProjectContext } from "../types";

/** Projects, the project context every page reads, API keys, and the first-event check. */

export const getProjects = query(async (orgId: string) => {
  "use server";
  return await read(worker().GET("/api/orgs/{orgId}/projects", { params: { path: { orgId } } }));
}, "projects");

export const getProjectContext = query(async (projectId: string) => {
  "use server";
  const wire = await read(worker().GET("/api/projects/{projectId}/context", { params: { path: { projectId } } }));
  const context: ProjectContext = {
    project: wire.project,
    org: { ...wire.organization, plan: wire.plan },
    role: wire.role,
    can: wire.capabilities,
    usage: { month: wire.usage.month, used: wire.usage.units, limit: wire.usage.quota },
  };
  return context;
}, "project-context");

/** Where "/" should land: the first project of the first organization, or onboarding. */
export const getHome = query(async () => {
  "use server";
  const client = worker();
  const { organizations } = await read(client.GET("/api/orgs"));
  for (const org of organizations) {
    const { projects } = await read(client.GET("/api/orgs/{orgId}/projects", { params: { path: { orgId: org.id } } }));
    if (projects.length > 0) return `/projects/${projects[0].id}`;
  }
  return organizations.length > 0 ? `/onboarding?org=${organizations[0].id}` : "/onboarding";
}, "home");

export const createProject = action(async (orgId: string, name: string, slug?: string) => {
  "use server";
  const result = await mutate(
    worker().POST("/api/orgs/{orgId}/projects", {
      params: { path: { orgId } },
      body: slug ? { name, slug } : { name },
    }),
  );
  return result.ok ? { ok: true as const, data: { project: result.data } } : result;
}, "create-project");

export const updateProject = action(
  async (projectId: string, patch: { name?: string; slug?: string; piiDenyKeys?: string[] }) => {
    "use server";
    return await mutate(worker().PATCH("/api/projects/{projectId}", { params: { path: { projectId } }, body: patch }));
  },
  "update-project",
);

export const getKeys = query(async (projectId: string) => {
  "use server";
  return await read(worker().GET("/api/projects/{projectId}/keys", { params: { path: { projectId } } }));
}, "keys");

/** The full key is in this answer only; the Worker keeps a hash. */
export const createKey = action(
  async (projectId: string, name: string, allowedApp?: string, scope: "ingest" | "sourcemap_upload" = "ingest") => {
    "use server";
    const result = await mutate(
      worker().POST("/api/projects/{projectId}/keys", {
        params: { path: { projectId } },
        body: { name, scopes: [scope], ...(allowedApp ? { allowedApp } : {}) },
      }),
    );
    return result.ok ? { ok: true as const, data: { apiKey: result.data.apiKey, secret: result.data.key } } : result;
  },
  "create-key",
);

export const revokeKey = action(async (projectId: string, keyId: string) => {
  "use server";
  return await mutate(
    worker().DELETE("/api/projects/{projectId}/keys/{keyId}", { params: { path: { projectId, keyId } } }),
  );
}, "revoke-key");

/**
 * A Sentry DSN for one of our keys: the key's public id as the DSN's public key, the ingest URL's
 * host (and path, which the Worker accepts as a DSN path prefix), the project's numeric id.
 */
export function sentryDsn(ingestUrl: string, publicId: string, numericId: number): string {
  const url = new URL(ingestUrl);
  url.username = publicId;
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/${numericId}`;
  url.search = "";
  return url.toString();
}

/** What the Sentry intake saw but did not store (Sentry SDKs' client reports, ignored items). */
export const getOutcomes = query(async (projectId: string) => {
  "use server";
  return await read(worker().GET("/api/projects/{projectId}/usage/outcomes", { params: { path: { projectId } } }));
}, "outcomes");

/** The public ingest base URL the SDK snippets point at (INGEST_URL, else the Worker's URL in dev). */
export const getIngestUrl = query(async () => {
  "use server";
  return ingestBaseUrl();
}, "ingest-url");

/** Whether anything has reached the project yet: drives the "waiting for your first event" panel. */
export const getFirstActivity = query(async (projectId: string) => {
  "use server";
  const client = worker();
  const path = { projectId };
  const [events, issues] = await Promise.all([
    read(client.GET("/api/projects/{projectId}/events", { params: { path, query: { range: "30d", limit: 1 } } })),
    read(client.GET("/api/projects/{projectId}/issues", { params: { path, query: { status: "all", limit: 1 } } })),
  ]);
  const first = events.events[0];
  return { received: events.events.length > 0 || issues.issues.length > 0, firstEventName: first?.name ?? null };
}, "first-activity");
