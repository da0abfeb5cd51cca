import { exports } from "cloudflare:workers";
import { sourceMapArtifacts } from "@telemetry-tracker/db";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { BASE, call, createWorld, json } from "../api/helpers.ts";
import { withDatabase } from "../helpers/db.ts";
import { createApiKey } from "../helpers/fixtures.ts";
import { expectError, postIngest } from "../helpers/ingest.ts";
import { bucket, createScopedKey, fixtureBuilds, tinyMap, uploadWithCookie, uploadWithKey } from "./helpers.ts";

interface ArtifactBody {
  artifact: {
    id: string;
    app: string;
    release: string;
    bundleUrl: string;
    sha256: string;
    size: number;
    uploadedAt: string;
  };
  replaced: boolean;
}

describe("source map upload", () => {
  it("stores a map in R2 with its metadata; the same bundle again replaces it (201, then 200)", async () => {
    const world = await withDatabase((db) => createWorld(db));
    const [build] = fixtureBuilds();
    const fields = { app: "web", release: "1.0.0", bundle_url: `~/assets/${build.bundleName}`, map: build.map };

    const created = await uploadWithCookie(world.project.id, world.members.EDITOR.cookie, fields);
    expect(created.status).toBe(201);
    const first = await json<ArtifactBody>(created);
    expect(first.replaced).toBe(false);
    expect(first.artifact).toMatchObject({ app: "web", release: "1.0.0", bundleUrl: fields.bundle_url });
    expect(first.artifact.size).toBe(new TextEncoder().encode(build.map).byteLength);
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(build.map));
    expect(first.artifact.sha256).toBe(
      [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join(""),
    );

    const [row] = await withDatabase((db) =>
      db.select().from(sourceMapArtifacts).where(eq(sourceMapArtifacts.id, first.artifact.id)),
    );
    expect(row.bundlePath).toBe(`/assets/${build.bundleName}`);
    expect(await (await bucket().get(row.r2Key))?.text()).toBe(build.map);

    // A new build of the same bundle URL: same artifact id, new content, the old object deleted.
    const changed = JSON.stringify({ ...JSON.parse(build.map), file: "changed.js" });
    const replaced = await uploadWithCookie(world.project.id, world.members.OWNER.cookie, { ...fields, map: changed });
    expect(replaced.status).toBe(200);
    const second = await json<ArtifactBody>(replaced);
    expect(second).toMatchObject({ replaced: true, artifact: { id: first.artifact.id } });
    expect(second.artifact.sha256).not.toBe(first.artifact.sha256);
    expect(await bucket().get(row.r2Key)).toBeNull();

    const list = await json<{ artifacts: ArtifactBody["artifact"][]; usage: { stored: number; limit: number } }>(
      await call(`/api/projects/${world.project.id}/sourcemaps?app=web&release=1.0.0`, {
        cookie: world.members.VIEWER.cookie,
      }),
    );
    expect(list.artifacts).toHaveLength(1);
    expect(list.artifacts[0]).toMatchObject({ id: first.artifact.id, sha256: second.artifact.sha256 });
    expect(list.usage).toEqual({ stored: 1, limit: 25 });
    const otherRelease = await json<{ artifacts: unknown[] }>(
      await call(`/api/projects/${world.project.id}/sourcemaps?release=9.9.9`, { cookie: world.members.VIEWER.cookie }),
    );
    expect(otherRelease.artifacts).toHaveLength(0);
  });

  it("accepts multipart uploads from a sourcemap_upload key, for its own project only", async () => {
    const world = await withDatabase((db) => createWorld(db));
    const key = await withDatabase((db) => createScopedKey(db, world.project.id, ["sourcemap_upload"]));
    const fields = { app: "web", release: "2.0.0", bundle_url: "https://cdn.example/assets/app.js", map: tinyMap() };
    const res = await uploadWithKey(world.project.id, key, fields);
    expect(res.status).toBe(201);
    expect((await json<ArtifactBody>(res)).artifact.bundleUrl).toBe(fields.bundle_url);

    const elsewhere = await uploadWithKey(world.other.project.id, key, fields);
    await expectError(elsewhere, 404, "not_found");
  });

  it("creates upload keys through the keys API (scopes), and keys default to ingest", async () => {
    const world = await withDatabase((db) => createWorld(db, { plan: "PRO" }));
    const created = await call(`/api/projects/${world.project.id}/keys`, {
      cookie: world.members.EDITOR.cookie,
      body: { name: "CI uploads", scopes: ["sourcemap_upload"] },
    });
    expect(created.status).toBe(201);
    const { key, apiKey } = await json<{ key: string; apiKey: { scopes: string[] } }>(created);
    expect(apiKey.scopes).toEqual(["sourcemap_upload"]);
    expect(
      (await uploadWithKey(world.project.id, key, { app: "web", release: "1", bundle_url: "~/a.js", map: tinyMap() }))
        .status,
    ).toBe(201);
    const plain = await json<{ apiKey: { scopes: string[] } }>(
      await call(`/api/projects/${world.project.id}/keys`, {
        cookie: world.members.EDITOR.cookie,
        body: { name: "SDK" },
      }),
    );
    expect(plain.apiKey.scopes).toEqual(["ingest"]);
    const wrong = await call(`/api/projects/${world.project.id}/keys`, {
      cookie: world.members.EDITOR.cookie,
      body: { name: "x", scopes: ["admin"] },
    });
    await expectError(wrong, 400, "validation_failed");
  });

  it("refuses ingest-only keys on upload, and upload keys on ingest and on /api reads", async () => {
    const world = await withDatabase((db) => createWorld(db));
    const ingestKey = await withDatabase(async (db) => (await createApiKey(db, world.project.id)).key);
    const uploadKey = await withDatabase((db) => createScopedKey(db, world.project.id, ["sourcemap_upload"]));
    const fields = { app: "web", release: "1", bundle_url: "~/a.js", map: tinyMap() };

    await expectError(await uploadWithKey(world.project.id, ingestKey, fields), 403, "insufficient_scope");
    await expectError(
      await postIngest("/ingest/error", { app: "web", message: "boom" }, { key: uploadKey }),
      403,
      "insufficient_scope",
    );
    await expectError(
      await postIngest("/ingest/event", { app: "web", name: "x" }, { key: uploadKey }),
      403,
      "insufficient_scope",
    );
    for (const path of ["sourcemaps", "issues", "keys", "overview"]) {
      const read = await exports.default.fetch(`${BASE}/api/projects/${world.project.id}/${path}`, {
        headers: { authorization: `Bearer ${uploadKey}` },
      });
      await expectError(read, 401, "unauthorized");
    }
    // A key with both scopes does both.
    const both = await withDatabase((db) => createScopedKey(db, world.project.id, ["ingest", "sourcemap_upload"]));
    expect((await uploadWithKey(world.project.id, both, fields)).status).toBe(201);
    expect((await postIngest("/ingest/event", { app: "web", name: "x" }, { key: both })).status).toBe(202);
  });

  it("needs EDITOR+ with a session; a VIEWER or no credentials is refused", async () => {
    const world = await withDatabase((db) => createWorld(db));
    const fields = { app: "web", release: "1", bundle_url: "~/a.js", map: tinyMap() };
    await expectError(await uploadWithCookie(world.project.id, world.members.VIEWER.cookie, fields), 403, "forbidden");
    await expectError(
      await uploadWithCookie(world.project.id, world.members.OUTSIDER.cookie, fields),
      404,
      "not_found",
    );
    const anonymous = await exports.default.fetch(`${BASE}/api/projects/${world.project.id}/sourcemaps`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://localhost:3000" },
      body: JSON.stringify(fields),
    });
    await expectError(anonymous, 401, "unauthorized");
    const badKey = await uploadWithKey(
      world.project.id,
      "tt_live_0123456789abcdef_00112233445566778899aabbccddeeff",
      fields,
    );
    await expectError(badKey, 401, "invalid_api_key");
  });

  it("explains what is wrong with a map or an upload (400, 415)", async () => {
    const world = await withDatabase((db) => createWorld(db));
    const key = await withDatabase((db) => createScopedKey(db, world.project.id, ["sourcemap_upload"]));
    const base = { app: "web", release: "1", bundle_url: "~/a.js" };
    const cases: Array<[unknown, string, RegExp]> = [
      ["not json at all", "invalid_sourcemap", /not valid JSON/],
      [{ ...tinyMap(), version: 2 }, "invalid_sourcemap", /version 3/],
      [{ version: 3, sources: [], names: [] }, "invalid_sourcemap", /mappings/],
      [{ version: 3, sections: [] }, "invalid_sourcemap", /sections/],
      [[1, 2], "invalid_sourcemap", /object/],
    ];
    for (const [map, code, message] of cases) {
      const res = await uploadWithKey(world.project.id, key, {
        ...base,
        map: typeof map === "string" ? map : JSON.stringify(map),
      });
      const body = await expectError(res, 400, code);
      expect(body.error.message).toMatch(message);
    }
    const missing = await uploadWithCookie(world.project.id, world.members.EDITOR.cookie, {
      app: "web",
      release: "",
      bundle_url: "~/a.js",
      map: tinyMap(),
    });
    expect((await expectError(missing, 400, "validation_failed")).error.details?.[0]?.path).toBe("release");
    const noMap = await call(`/api/projects/${world.project.id}/sourcemaps`, {
      cookie: world.members.EDITOR.cookie,
      body: base,
    });
    await expectError(noMap, 400, "validation_failed");
    const text = await exports.default.fetch(`${BASE}/api/projects/${world.project.id}/sourcemaps`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "text/plain" },
      body: "x",
    });
    await expectError(text, 415, "unsupported_media_type");
  });

  it("refuses a map over 10 MB with 413, reading no more of the stream than the limit", async () => {
    const world = await withDatabase((db) => createWorld(db));
    const key = await withDatabase((db) => createScopedKey(db, world.project.id, ["sourcemap_upload"]));
    // 64 MB offered in 1 MB chunks, without Content-Length: the Worker must stop pulling near 10 MB.
    const chunk = new Uint8Array(1024 * 1024).fill(0x20);
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled >= 64) return controller.close();
        pulled++;
        controller.enqueue(chunk);
      },
    });
    const res = await exports.default.fetch(`${BASE}/api/projects/${world.project.id}/sourcemaps`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
      // @ts-expect-error: workerd's RequestInit needs duplex for a streamed body only in some versions
      duplex: "half",
    });
    await expectError(res, 413, "payload_too_large");
    expect(pulled).toBeLessThan(16);

    // A declared length over the limit is refused before reading anything.
    const declared = await exports.default.fetch(`${BASE}/api/projects/${world.project.id}/sourcemaps`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${key}`,
        "content-type": "application/json",
        "content-length": String(11 * 1024 * 1024),
      },
      body: "{}",
    });
    expect(declared.status).toBe(413);

    // A map of 10 MB + 1 byte inside an otherwise small JSON body: the map's own size counts.
    const big = JSON.stringify({ ...tinyMap(), x: "" });
    const padded = big.replace('"x":""', `"x":"${"a".repeat(10 * 1024 * 1024 - big.length + 1)}"`);
    const res2 = await uploadWithKey(world.project.id, key, {
      app: "web",
      release: "1",
      bundle_url: "~/a.js",
      map: padded,
    });
    await expectError(res2, 413, "payload_too_large");
    const stored = await withDatabase((db) =>
      db.select().from(sourceMapArtifacts).where(eq(sourceMapArtifacts.projectId, world.project.id)),
    );
    expect(stored).toHaveLength(0);
  });

  it("keeps the plan's count of maps per project (FREE 25); replacing does not count", async () => {
    const world = await withDatabase((db) => createWorld(db, { plan: "FREE" }));
    const key = await withDatabase((db) => createScopedKey(db, world.project.id, ["sourcemap_upload"]));
    for (let i = 0; i < 25; i++) {
      const res = await uploadWithKey(world.project.id, key, {
        app: "web",
        release: "1",
        bundle_url: `~/c${i}.js`,
        map: tinyMap(),
      });
      expect(res.status).toBe(201);
    }
    const over = await uploadWithKey(world.project.id, key, {
      app: "web",
      release: "1",
      bundle_url: "~/c25.js",
      map: tinyMap(),
    });
    const body = await expectError(over, 403, "artifact_limit");
    expect(body.error.details).toEqual({ limit: 25, stored: 25 });
    const again = await uploadWithKey(world.project.id, key, {
      app: "web",
      release: "1",
      bundle_url: "~/c3.js",
      map: tinyMap(),
    });
    expect(again.status).toBe(200);
    // The refused upload left no object behind: 25 objects under the project.
    const listed = await bucket().list({ prefix: `sourcemaps/${world.project.id}/` });
    expect(listed.objects).toHaveLength(25);
  });

  it("deletes a map (EDITOR+): object and row; unknown or foreign ids are 404", async () => {
    const world = await withDatabase((db) => createWorld(db));
    const created = await json<ArtifactBody>(
      await uploadWithCookie(world.project.id, world.members.EDITOR.cookie, {
        app: "web",
        release: "1",
        bundle_url: "~/a.js",
        map: tinyMap(),
      }),
    );
    const path = `/api/projects/${world.project.id}/sourcemaps/${created.artifact.id}`;
    await expectError(await call(path, { method: "DELETE", cookie: world.members.VIEWER.cookie }), 403, "forbidden");
    await expectError(
      await call(`/api/projects/${world.other.project.id}/sourcemaps/${created.artifact.id}`, {
        method: "DELETE",
        cookie: world.members.OUTSIDER.cookie,
      }),
      404,
      "not_found",
    );
    expect((await call(path, { method: "DELETE", cookie: world.members.EDITOR.cookie })).status).toBe(200);
    expect((await bucket().list({ prefix: `sourcemaps/${world.project.id}/` })).objects).toHaveLength(0);
    await expectError(await call(path, { method: "DELETE", cookie: world.members.EDITOR.cookie }), 404, "not_found");
  });
});
