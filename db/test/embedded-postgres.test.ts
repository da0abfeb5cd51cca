import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedPostgres, startEmbeddedPostgres } from "../local/embedded-postgres.ts";

let server: EmbeddedPostgres;
beforeAll(async () => {
  server = await startEmbeddedPostgres({ port: 40_000 + Math.floor(Math.random() * 10_000) });
});
afterAll(() => server?.stop());

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  return client;
}

describe("embedded Postgres wire server", () => {
  it("answers concurrent connections' extended queries and transactions without mixing them up", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, connect));
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

  it("rolls back what a vanished connection left open, and serves the others meanwhile", async () => {
    const leaver = await connect();
    const other = await connect();
    await leaver.query("create table left_open (id int)");
    await leaver.query("begin");
    await leaver.query("insert into left_open values (1)");
    // Waits for its turn: the leaver's transaction holds the backend until it goes away.
    const pendingCount = other.query("select count(*)::int as n from left_open");
    leaver.on("error", () => {}); // the cut is the point of the test
    (leaver as unknown as { connection: { stream: { destroy: () => void } } }).connection.stream.destroy();
    const { rows } = await pendingCount;
    expect(rows[0].n).toBe(0);
    await other.end();
  });
});
