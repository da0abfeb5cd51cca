import { errorGroups, errorOccurrences } from "@telemetry-tracker/db";
import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { StoredFrame } from "../../src/sourcemaps/symbolicate.ts";
import { call, createWorld, json } from "../api/helpers.ts";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { flushMeter, postIngest } from "../helpers/ingest.ts";
import { createScopedKey, fixtureBuilds, uploadWithKey } from "./helpers.ts";

async function tenantWithKeys() {
  const world = await withDatabase((db) => createWorld(db));
  const ingestKey = await withDatabase(async (db) => (await createApiKey(db, world.project.id)).key);
  const uploadKey = await withDatabase((db) => createScopedKey(db, world.project.id, ["sourcemap_upload"]));
  return { world, ingestKey, uploadKey };
}

function sendError(key: string, build: { release: string; stack: string; message: string }, app = "shop") {
  return postIngest(
    "/ingest/error",
    { app, release: build.release, type: "RangeError", message: build.message, stack: build.stack },
    { key },
  );
}

async function occurrencesOf(projectId: string) {
  return withDatabase((db) =>
    db
      .select({ groupId: errorOccurrences.groupId, frames: errorOccurrences.frames, release: errorOccurrences.release })
      .from(errorOccurrences)
      .where(eq(errorOccurrences.projectId, projectId))
      .orderBy(asc(errorOccurrences.id)),
  );
}

describe("symbolication at flush", () => {
  it("resolves a real esbuild bundle's frames to the original file, line and function, with context", async () => {
    const { world, ingestKey, uploadKey } = await tenantWithKeys();
    const [build] = fixtureBuilds();
    const upload = await uploadWithKey(world.project.id, uploadKey, {
      app: "shop",
      release: build.release,
      bundle_url: `~/assets/${build.bundleName}`,
      map: build.map,
    });
    expect(upload.status).toBe(201);
    expect((await sendError(ingestKey, build)).status).toBe(202);
    await flushMeter(world.project.id);

    const [occurrence] = await occurrencesOf(world.project.id);
    const frames = occurrence.frames as StoredFrame[];
    expect(frames.map((f) => [f.file, f.function, f.line])).toEqual([
      ["cart.ts", "priceOf", 17],
      ["cart.ts", "totalOf", 10],
      ["main.ts", "checkout", 4],
    ]);
    expect(frames[0]).toMatchObject({
      symbolicated: true,
      in_app: true,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the original source line, verbatim
      context_line: "    throw new RangeError(`negative price ${item.price}`);",
      raw: { file: build.bundleUrl, line: 1, function: expect.stringMatching(/^\w$/) },
    });
    expect(frames[0].pre_context).toHaveLength(5);
    expect(frames[0].pre_context?.at(-1)).toBe("  if (item.price < 0) {");
    expect(frames[0].post_context?.[0]).toBe("  }");
    expect(frames[0].column).toBeGreaterThan(0);

    // The read API and the group show the original frames (what the dashboard renders).
    const [group] = await withDatabase((db) =>
      db.select().from(errorGroups).where(eq(errorGroups.projectId, world.project.id)),
    );
    expect(group.culprit).toBe("priceOf (cart.ts)");
    const detail = await json<{ latestOccurrences: Array<{ frames: StoredFrame[] }> }>(
      await call(`/api/projects/${world.project.id}/issues/${group.id}`, { cookie: world.members.VIEWER.cookie }),
    );
    expect(detail.latestOccurrences[0].frames[0]).toMatchObject({ file: "cart.ts", function: "priceOf", line: 17 });
  });

  it("groups two releases with different minified positions of the same function together", async () => {
    const { world, ingestKey, uploadKey } = await tenantWithKeys();
    const builds = fixtureBuilds();
    expect(builds[0].stack).not.toBe(builds[1].stack.replace(builds[1].bundleUrl, builds[0].bundleUrl));
    for (const build of builds) {
      const res = await uploadWithKey(world.project.id, uploadKey, {
        app: "shop",
        release: build.release,
        bundle_url: `~/assets/${build.bundleName}`,
        map: build.map,
      });
      expect(res.status).toBe(201);
      expect((await sendError(ingestKey, build)).status).toBe(202);
    }
    await flushMeter(world.project.id);
    const occurrences = await occurrencesOf(world.project.id);
    expect(occurrences).toHaveLength(2);
    expect(new Set(occurrences.map((o) => o.groupId)).size).toBe(1);
    for (const occurrence of occurrences) expect((occurrence.frames as StoredFrame[])[0].function).toBe("priceOf");
  });

  it("without maps the same two releases split (what the maps fix), and frames stay raw", async () => {
    const { world, ingestKey } = await tenantWithKeys();
    for (const build of fixtureBuilds()) expect((await sendError(ingestKey, build)).status).toBe(202);
    await flushMeter(world.project.id);
    const occurrences = await occurrencesOf(world.project.id);
    expect(new Set(occurrences.map((o) => o.groupId)).size).toBe(2);
    const frames = occurrences[0].frames as StoredFrame[];
    expect(frames[0].symbolicated).toBeUndefined();
    expect(frames[0].file).toBe(fixtureBuilds()[0].bundleUrl);
  });

  it("only uses maps of the error's own app and release; a client fingerprint is kept", async () => {
    const { world, ingestKey, uploadKey } = await tenantWithKeys();
    const [build] = fixtureBuilds();
    await uploadWithKey(world.project.id, uploadKey, {
      app: "shop",
      release: build.release,
      bundle_url: `~/assets/${build.bundleName}`,
      map: build.map,
    });
    expect((await sendError(ingestKey, { ...build, release: "other" })).status).toBe(202);
    expect((await sendError(ingestKey, build, "admin")).status).toBe(202);
    const custom = await postIngest(
      "/ingest/error",
      { app: "shop", release: build.release, message: build.message, stack: build.stack, fingerprint: ["mine"] },
      { key: ingestKey },
    );
    expect(custom.status).toBe(202);
    await flushMeter(world.project.id);
    const [otherRelease, otherApp, fingerprinted] = await occurrencesOf(world.project.id);
    expect((otherRelease.frames as StoredFrame[])[0].symbolicated).toBeUndefined();
    expect((otherApp.frames as StoredFrame[])[0].symbolicated).toBeUndefined();
    expect((fingerprinted.frames as StoredFrame[])[0]).toMatchObject({ symbolicated: true, function: "priceOf" });
    const groups = await withDatabase((db) =>
      db.select().from(errorGroups).where(eq(errorGroups.id, fingerprinted.groupId)),
    );
    const { sha256Hex } = await import("@telemetry-tracker/db");
    expect(groups[0].fingerprint).toBe(await sha256Hex(["custom", "mine"].join("\n")));
  });
});
