import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { sourceMapArtifacts } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import worker from "../../src/index.ts";
import { call, createWorld } from "../api/helpers.ts";
import { withDatabase } from "../helpers/db.ts";
import { bucket, tinyMap, uploadWithCookie } from "./helpers.ts";

const objectsOf = async (projectId: string) => (await bucket().list({ prefix: `sourcemaps/${projectId}/` })).objects;

describe("source map retention", () => {
  it("archiving a project deletes its maps from R2 and Postgres", async () => {
    const world = await withDatabase((db) => createWorld(db));
    for (const release of ["1", "2"]) {
      const res = await uploadWithCookie(world.project.id, world.members.OWNER.cookie, {
        app: "web",
        release,
        bundle_url: "~/a.js",
        map: tinyMap(),
      });
      expect(res.status).toBe(201);
    }
    expect(await objectsOf(world.project.id)).toHaveLength(2);
    const archived = await call(`/api/projects/${world.project.id}`, {
      method: "DELETE",
      cookie: world.members.OWNER.cookie,
    });
    expect(archived.status).toBe(200);
    expect(await objectsOf(world.project.id)).toHaveLength(0);
    const rows = await withDatabase((db) =>
      db.select().from(sourceMapArtifacts).where(eq(sourceMapArtifacts.projectId, world.project.id)),
    );
    expect(rows).toHaveLength(0);
  });

  it("the cron deletes maps unused past the plan's retention, and those of archived organizations", async () => {
    const world = await withDatabase((db) => createWorld(db, { plan: "FREE" }));
    const upload = (release: string) =>
      uploadWithCookie(world.project.id, world.members.OWNER.cookie, {
        app: "web",
        release,
        bundle_url: "~/a.js",
        map: tinyMap(),
      });
    expect((await upload("old")).status).toBe(201);
    expect((await upload("old-but-used")).status).toBe(201);
    expect((await upload("new")).status).toBe(201);
    const day = 86_400_000;
    await withDatabase(async (db) => {
      await db
        .update(sourceMapArtifacts)
        .set({ uploadedAt: new Date(Date.now() - 20 * day) })
        .where(eq(sourceMapArtifacts.projectId, world.project.id));
      await db
        .update(sourceMapArtifacts)
        .set({ uploadedAt: new Date(), lastUsedAt: null })
        .where(eq(sourceMapArtifacts.release, "new"));
      await db
        .update(sourceMapArtifacts)
        .set({ lastUsedAt: new Date(Date.now() - 2 * day) })
        .where(eq(sourceMapArtifacts.release, "old-but-used"));
    });
    const runCron = async () => {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ cron: "17 * * * *", scheduledTime: Date.now() }), env, ctx);
      await waitOnExecutionContext(ctx);
    };
    await runCron();
    const left = await withDatabase((db) =>
      db.select().from(sourceMapArtifacts).where(eq(sourceMapArtifacts.projectId, world.project.id)),
    );
    expect(left.map((a) => a.release).sort()).toEqual(["new", "old-but-used"]);
    expect(await objectsOf(world.project.id)).toHaveLength(2);

    // Archive the organization (not the project): the next run clears the rest.
    const archived = await call(`/api/orgs/${world.org.id}`, { method: "DELETE", cookie: world.members.OWNER.cookie });
    expect(archived.status).toBe(200);
    await runCron();
    expect(await objectsOf(world.project.id)).toHaveLength(0);
  });
});
