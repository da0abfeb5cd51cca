/**
 * Where the Worker tests' Postgres lives. With DATABASE_URL set (CI: the machine's PostgreSQL), a
 * fresh database is created on that server for this run; without it, an embedded Postgres is
 * started in a temporary directory. Values are kept in process.env so the config and the global
 * setup (same process, different module instances) agree.
 */
export interface TestDatabaseSettings {
  /** The server's URL to create/drop the test database through, or undefined for embedded. */
  adminUrl: string | undefined;
  /** The test database as the Worker reaches it. */
  url: string;
  /** Port of the embedded Postgres, when used. */
  embeddedPort: number | undefined;
  /** `host:port` of the WebSocket→TCP proxy the Worker's Neon driver goes through. */
  wsProxy: string;
  proxyPort: number;
}

function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 20_000);
}

export function testDatabaseSettings(): TestDatabaseSettings {
  if (!process.env.TT_TEST_DATABASE_URL) {
    const proxyPort = randomPort();
    process.env.TT_TEST_PROXY_PORT = String(proxyPort);
    const admin = process.env.DATABASE_URL;
    if (admin) {
      const url = new URL(admin);
      url.pathname = `/tt_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
      process.env.TT_TEST_DATABASE_URL = url.toString();
    } else {
      const port = proxyPort + 1;
      process.env.TT_TEST_EMBEDDED_PORT = String(port);
      process.env.TT_TEST_DATABASE_URL = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    }
  }
  const proxyPort = Number(process.env.TT_TEST_PROXY_PORT);
  return {
    adminUrl: process.env.DATABASE_URL,
    url: process.env.TT_TEST_DATABASE_URL as string,
    embeddedPort: process.env.TT_TEST_EMBEDDED_PORT ? Number(process.env.TT_TEST_EMBEDDED_PORT) : undefined,
    wsProxy: `127.0.0.1:${proxyPort}`,
    proxyPort,
  };
}

export interface TestStripeSettings {
  /** Port of the fake Stripe API (test/setup/fake-stripe.ts) the global setup starts. */
  port: number;
  /** STRIPE_API_BASE for the Worker under test. */
  apiBase: string;
}

/** The fake Stripe API's port, chosen once per run and shared through process.env like the above. */
export function testStripeSettings(): TestStripeSettings {
  process.env.TT_TEST_STRIPE_PORT ??= String(randomPort());
  const port = Number(process.env.TT_TEST_STRIPE_PORT);
  return { port, apiBase: `http://127.0.0.1:${port}` };
}

/** Port of the loopback webhook/mail receiver (test/setup/webhook-receiver.ts) the global setup starts. */
export function testReceiverSettings(): { port: number; base: string } {
  process.env.TT_TEST_RECEIVER_PORT ??= String(randomPort());
  const port = Number(process.env.TT_TEST_RECEIVER_PORT);
  return { port, base: `http://127.0.0.1:${port}` };
}
