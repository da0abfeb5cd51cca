import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../local/embedded-postgres.ts";
import { freePort } from "../local/stack.ts";

async function connect(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

async function scalar(url: string, query: string): Promise<unknown> {
  const client = await connect(url);
  try {
    const { rows } = await client.query(query);
    return rows[0] && Object.values(rows[0])[0];
  } finally {
    await client.end();
  }
}

describe("embedded Postgres (scratch)", () => {
  let server: EmbeddedPostgres;
  beforeAll(async () => {
    server = await startEmbeddedPostgres({ port: await freePort() });
  });
  afterAll(() => server?.stop());

  it("is a real PostgreSQL server on loopback", async () => {
    expect(await scalar(server.url, "select version()")).toMatch(/^PostgreSQL 17\./);
    expect(await scalar(server.url, "select current_setting('listen_addresses')")).toBe("127.0.0.1");
  });

  it("serves concurrent connections' extended queries and transactions without mixing them up", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => connect(server.url)));
    await clients[0].query("create table turns (id int primary key)");
    let wrong = 0;
    await Promise.all(
      clients.map(async (client, i) => {
        for (let n = 0; n < 100; n++) {
          if (n % 10 === 0) {
            await client.query("begin");
            await client.query("insert into turns values ($1)", [i * 1000 + n]);
            await client.query(n % 20 === 0 ? "rollback" : "commit");
          }
          const { rows } = await client.query("select $1::text || '!' as echo, $2::int * 2 as twice", [`${i}:${n}`, n]);
          if (rows[0].echo !== `${i}:${n}!` || rows[0].twice !== n * 2) wrong++;
        }
      }),
    );
    const { rows } = await clients[0].query("select count(*)::int as n from turns");
    await Promise.all(clients.map((client) => client.end()));
    expect(wrong).toBe(0);
    // Per client: 10 transactions, the 5 at n % 20 === 0 rolled back.
    expect(rows[0].n).toBe(8 * 5);
  });

  it("rolls back what a vanished connection left open, without holding up the others", async () => {
    const leaver = await connect(server.url);
    const other = await connect(server.url);
    await leaver.query("create table left_open (id int)");
    await leaver.query("begin");
    await leaver.query("insert into left_open values (1)");
    // A real server runs each connection in its own backend: the other one is not kept waiting.
    expect((await other.query("select count(*)::int as n from left_open")).rows[0].n).toBe(0);
    leaver.on("error", () => {}); // the cut is the point of the test
    (leaver as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy();
    await other.query("insert into left_open values (2)");
    expect((await other.query("select count(*)::int as n from left_open")).rows[0].n).toBe(1);
    await other.end();
  });
});

describe("embedded Postgres lifecycle", () => {
  const parent = mkdtempSync(join(tmpdir(), "tt-embedded-test-"));
  chmodSync(parent, 0o755); // the system-user way needs to enter it
  afterAll(() => rmSync(parent, { recursive: true, force: true }));

  it("keeps a data directory's contents across restarts", async () => {
    const dataDir = join(parent, "persistent");
    const first = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    await scalar(first.url, "create table kept as select 42 as answer");
    await first.stop();
    expect(existsSync(join(dataDir, "PG_VERSION"))).toBe(true);
    const second = await startEmbeddedPostgres({ dataDir, port: await freePort() });
    try {
      expect(await scalar(second.url, "select answer from kept")).toBe(42);
    } finally {
      await second.stop();
    }
  });

  it("says why when it cannot start (port taken)", async () => {
    const running = await startEmbeddedPostgres({ port: await freePort() });
    const port = Number(new URL(running.url).port);
    try {
      await expect(startEmbeddedPostgres({ port })).rejects.toThrow(/could not (bind|create)|already in use/i);
    } finally {
      await running.stop();
    }
  });

  it("stops when the process that started it dies, even by SIGKILL (no server outlives a killed run)", async () => {
    const port = await freePort();
    const module = new URL("../local/embedded-postgres.ts", import.meta.url).href;
    const starter = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { startEmbeddedPostgres } = await import(${JSON.stringify(module)});
         await startEmbeddedPostgres({ dataDir: ${JSON.stringify(join(parent, "orphan"))}, port: ${port} });
         console.log("ready");
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve, reject) => {
      starter.stdout.on("data", (chunk) => String(chunk).includes("ready") && resolve());
      starter.once("exit", (code) => reject(new Error(`the starter exited early (${code})`)));
    });
    const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    expect(await scalar(url, "select 1")).toBe(1);
    starter.kill("SIGKILL");
    const deadline = Date.now() + 20_000;
    let stillUp = true;
    while (stillUp && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      stillUp = await scalar(url, "select 1").then(
        () => true,
        () => false,
      );
    }
    expect(stillUp).toBe(false);
  });

  // Postgres refuses root; as root the server runs in a user namespace or as the tt-postgres system
  // user. Both ways are forced here so the one a machine does not pick by itself cannot rot.
  it.runIf(userInfo().uid === 0).each(["namespace", "system-user"])("runs as root by way of %s", async (way) => {
    const previous = process.env.TT_EMBEDDED_POSTGRES_AS;
    process.env.TT_EMBEDDED_POSTGRES_AS = way;
    try {
      const server = await startEmbeddedPostgres({ dataDir: join(parent, way), port: await freePort() });
      try {
        expect(await scalar(server.url, "select 1 + 1")).toBe(2);
      } finally {
        await server.stop();
      }
    } finally {
      if (previous === undefined) delete process.env.TT_EMBEDDED_POSTGRES_AS;
      else process.env.TT_EMBEDDED_POSTGRES_AS = previous;
    }
  });
});
